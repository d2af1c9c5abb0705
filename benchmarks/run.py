"""Benchmark kgtool on synthetic projects: whole-process commands, wall time and peak RSS.

    .venv/bin/python benchmarks/run.py [--sizes 1k,10k] [--engines rdflib,oxigraph] [--timeout 600]
                                       [--out benchmarks/results.json]

For each size it generates (or reuses) a synthetic project with ``benchmarks/generate.py``, then runs,
per engine, each command in a fresh process and measures its wall time, CPU time and peak RSS (the
child's, from ``/usr/bin/time -v``'s format or, without it, ``getrusage(RUSAGE_CHILDREN)`` in a tiny
wrapper):

- ``load``: ``kgtool info``;
- ``infer cold``: a first ``kgtool query`` after deleting ``.kgtool-cache/`` (load + inference);
  ``infer warm``: the same query again (load + cached inference);
- ``validate``: ``kgtool validate --full --as-of 2026-11-26``; then the same without ``--full`` after
  editing one node (the incremental path);
- ``query NAME``: every named query, with the parameters of its header's example mapped onto ids of
  the synthetic graph (``benchmark.json`` lists them);
- ``recommend``: 10 profiles, one ``kgtool recommend --dim ... --dim ...`` call each (total and per call);
- ``check``: the CI gate, ``kgtool check --as-of 2026-11-26``, after deleting ``.kgtool-cache/``;

plus the "plain stack" baseline (``benchmarks/baseline.py``: rdflib parse, owlrl RDFS and OWL-RL
closures, pyshacl validation), one process per step. Every process is killed at ``--timeout``
(reported as "> N s"); a step whose smaller size timed out, or whose linear extrapolation from the
smaller size exceeds the timeout, is skipped and says why.

An engine is a list of extra global CLI arguments (``ENGINES``); only engines whose flags
``kgtool --help`` shows are run. Results go to ``--out`` (JSON) and ``--markdown``
(``benchmarks/RESULTS.md``), with the machine and library versions. It is a script, not a test.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (benchmarks/generate.py)

AS_OF = "2026-11-26"
# Engine name -> extra global arguments of the kgtool CLI (placed before the sub-command).
ENGINES: dict[str, list[str]] = {"rdflib": ["--engine", "rdflib"], "oxigraph": ["--engine", "oxigraph"]}
STEP_GROUPS = ("generate", "startup", "load", "infer", "validate", "queries", "recommend", "check", "baseline")
BASELINE_STEPS = {"parse": "rdflib parse", "rdfs": "owlrl RDFS closure", "owlrl": "owlrl OWL-RL closure",
                  "shacl": "pyshacl validate"}
TIME_BIN = "/usr/bin/time"
PLAIN = "plain"  # the "engine" of engine-independent steps (generator, start-up, plain stack)
KIND_OF_DIR = {"org-dim": "dimension", "vendor": "vendor", "pattern": "pattern", "source-node": "source"}
LIBRARIES = ("kgtool", "rdflib", "pyshacl", "owlrl", "pyoxigraph", "click", "pyparsing")

# A tiny wrapper used when /usr/bin/time is missing: the peak RSS of the waited-for child.
RUSAGE_WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter(); rc = subprocess.call(sys.argv[2:]); wall = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1], 'w').write(json.dumps({'wall': wall, 'user': u.ru_utime, 'sys': u.ru_stime,"
    " 'maxrss_kb': u.ru_maxrss}))\n"
    "sys.exit(rc)\n"
)


@dataclass
class Measurement:
    size: str
    engine: str
    step: str
    group: str
    command: list[str]
    status: str  # ok, timeout, error, oom, skipped
    seconds: float | None = None
    cpu_seconds: float | None = None
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    note: str = ""
    detail: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Running one process
# ---------------------------------------------------------------------------------------------------

class NodeEdit:
    """Edit one node's confidence before each run (a different value each time, so that every run sees
    one changed file), and put the file back afterwards."""

    def __init__(self, path: Path) -> None:
        self.path, self.original, self.count = path, path.read_text(encoding="utf-8"), 0

    def apply(self) -> None:
        self.count += 1
        edited = re.sub(r"kg:confidence 0\.\d+", f"kg:confidence 0.{50 + self.count % 2}", self.original, count=1)
        self.path.write_text(edited, encoding="utf-8")

    def restore(self) -> None:
        self.path.write_text(self.original, encoding="utf-8")


class Runner:
    def __init__(self, *, timeout: float, mem_limit_gb: float | None, log_dir: Path, repeat: int):
        self.timeout = timeout
        self.mem_limit = int(mem_limit_gb * 1024 ** 3) if mem_limit_gb else None
        self.log_dir = log_dir
        self.repeat = max(1, repeat)
        self.use_time = Path(TIME_BIN).is_file() and os.access(TIME_BIN, os.X_OK)
        log_dir.mkdir(parents=True, exist_ok=True)

    def _limits(self) -> None:  # runs in the child, before exec
        if self.mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (self.mem_limit, self.mem_limit))

    def once(self, cmd: list[str], *, label: str, env: dict | None = None) -> dict:
        """Run ``cmd`` once; return wall, cpu, peak RSS, exit code, stdout/stderr paths and status."""
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:150]
        out_path, err_path = self.log_dir / f"{stem}.out", self.log_dir / f"{stem}.err"
        fd, stats_path = tempfile.mkstemp(prefix="kgbench-", suffix=".stats")
        os.close(fd)
        if self.use_time:
            full = [TIME_BIN, "-f", "%e %U %S %M", "-o", stats_path, *cmd]
        else:
            full = [sys.executable, "-c", RUSAGE_WRAPPER, stats_path, *cmd]
        started = time.perf_counter()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True, preexec_fn=self._limits)
            try:
                rc = proc.wait(timeout=self.timeout)
                status = "ok"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group (time + kgtool)
                proc.wait()
                rc, status = None, "timeout"
        wall = time.perf_counter() - started
        result = {"wall": wall, "cpu": None, "rss_mb": None, "rc": rc, "status": status,
                  "stdout": str(out_path), "stderr": str(err_path)}
        try:
            raw = Path(stats_path).read_text().strip()
            if raw and self.use_time:
                # /usr/bin/time prints "Command exited with non-zero status N" before the format line.
                fields = raw.splitlines()[-1].split()
                result["cpu"] = float(fields[1]) + float(fields[2])
                result["rss_mb"] = int(fields[3]) / 1024
            elif raw:
                stats = json.loads(raw)
                result["cpu"] = stats["user"] + stats["sys"]
                result["rss_mb"] = stats["maxrss_kb"] / 1024
        except (OSError, ValueError, IndexError, KeyError):
            pass
        finally:
            Path(stats_path).unlink(missing_ok=True)
        if status == "ok" and rc not in (0, 1):
            stderr = Path(err_path).read_text(errors="replace")
            result["status"] = "oom" if "MemoryError" in stderr or "memory allocation" in stderr else "error"
        return result

    def measure(self, m: Measurement, *, before=None, ok_codes=(0, 1), env: dict | None = None) -> Measurement:
        runs = []
        m.detail["loadavg"] = round(os.getloadavg()[0], 2)
        for k in range(self.repeat):
            if before is not None:
                before()
            r = self.once(m.command, label=f"{m.size}-{m.engine}-{m.step}-{k}", env=env)
            runs.append(r)
            if r["status"] != "ok" or r["rc"] not in ok_codes:
                break
        last = runs[-1]
        m.exit_code = last["rc"]
        m.status = last["status"] if last["status"] != "ok" or last["rc"] in ok_codes else "error"
        m.detail.setdefault("stdout", last["stdout"])
        m.detail.setdefault("stderr", last["stderr"])
        if len(runs) > 1:
            m.detail["runs"] = [round(r["wall"], 3) for r in runs]
        if m.status == "ok":
            m.seconds = round(statistics.median(r["wall"] for r in runs), 3)
            cpus = [r["cpu"] for r in runs if r["cpu"] is not None]
            rss = [r["rss_mb"] for r in runs if r["rss_mb"] is not None]
            m.cpu_seconds = round(statistics.median(cpus), 3) if cpus else None
            m.peak_rss_mb = round(max(rss), 1) if rss else None
        elif m.status == "timeout":
            m.note = f"killed after {self.timeout:g} s"
        else:
            m.seconds = round(last["wall"], 3)
            m.peak_rss_mb = round(last["rss_mb"], 1) if last["rss_mb"] is not None else None
            m.note = (f"exit {last['rc']}: " + tail(last["stderr"])).strip()
        return m


def tail(path: str, lines: int = 3) -> str:
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])[:600]


# ---------------------------------------------------------------------------------------------------
# The synthetic project and the commands to run on it
# ---------------------------------------------------------------------------------------------------

def read_header(path: Path) -> dict:
    """title, example (argv after `kgtool`), params {name: type}, and the query form, from a .rq file."""
    params, example, form = {}, None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*param:\s*(\S+)\s+(\S+)", line)
        if m:
            params[m.group(1)] = m.group(2)
        m = re.match(r"#\s*example:\s*(.*)$", line)
        if m:
            example = shlex.split(m.group(1))
        if form is None and not line.startswith("#"):
            found = re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", line, re.I)
            if found:
                form = found.group(1).upper()
    return {"params": params, "example": example, "form": form or "SELECT"}


def shipped_kind(ref: str) -> str | None:
    """The kind of a node id of the shipped graph (``hightouch`` -> vendor), from the repo's data files."""
    for d, kind in KIND_OF_DIR.items():
        folder = REPO / "data" / d
        if (folder / f"{ref}.ttl").is_file() or any(folder.glob(f"*.{ref}.ttl")):
            return kind
    return None


def query_args(path: Path, ids: dict) -> tuple[list[str], str]:
    """``-p`` arguments for a named query: its header example with node ids mapped onto the synthetic
    graph (dimensions in order, a target that the first dimension enables, the first vendor/pattern)."""
    header = read_header(path)
    example = header["example"] or []
    pairs = []
    k = 0
    while k < len(example):
        if example[k] in ("-p", "--param") and k + 2 < len(example) + 1:
            pairs.append((example[k + 1], example[k + 2]))
            k += 3
        else:
            k += 1
    dims = iter([ids["dimension"], ids["dimension_2"], ids["dimension_3"]])
    args = []
    for name, value in pairs:
        kind = header["params"].get(name)
        if kind == "node":
            if name == "target":
                value = ids["enabled_target"]
            else:
                node_kind = {"dim": "dimension", "pattern": "pattern"}.get(name) or shipped_kind(value) or "vendor"
                value = next(dims) if node_kind == "dimension" else ids.get(node_kind, ids["vendor"])
        elif name == "alias":
            value = ids["alias"]
        elif name == "tag":
            value = ids["tag"]
        args += ["-p", name, value]
    if header["form"] == "SELECT":
        args += ["--format", "csv"]
    return args, header["form"]


def summarize_output(m: Measurement, form: str | None = None) -> None:
    """Rows (SELECT CSV), verdicts (recommend JSON) or the summary line (validate/check), and a hash."""
    path = m.detail.get("stdout")
    if not path or m.status != "ok":
        return
    data = Path(path).read_bytes()
    m.detail["output_sha1"] = hashlib.sha1(data).hexdigest()[:12]
    m.detail["output_bytes"] = len(data)
    text = data.decode("utf-8", errors="replace")
    m.detail["normalized_sha1"] = normalized_hash(text, m.group, form)
    if m.group == "queries" and form == "SELECT":
        m.detail["rows"] = max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
    elif m.group == "queries" and form == "ASK":
        m.detail["answer"] = text.strip()
    elif m.group == "queries":
        m.detail["lines"] = text.count("\n")
    elif m.group == "recommend":
        try:
            m.detail["verdicts"] = len(json.loads(text)["verdicts"])
        except (ValueError, KeyError):
            pass
    elif m.group in ("validate", "check"):
        lines = [line for line in text.splitlines() if line.strip()]
        if lines:
            m.note = lines[-1][:200]
    elif m.group == "load":
        found = re.search(r"^triples\s+(\d+)", text, re.M)
        if found:
            m.detail["triples"] = int(found.group(1))


_DECIMAL = re.compile(r"^-?[0-9]+[.][0-9]+$")


def _number(cell: str) -> str:
    """0.60 and 0.6 are the same decimal (Oxigraph writes the canonical form, rdflib keeps the lexical one)."""
    if _DECIMAL.match(cell):
        cell = cell.rstrip("0").rstrip(".") or "0"
    return cell


def normalized_hash(text: str, group: str, form: str | None) -> str:
    """A hash of the output that ignores the lexical form of numbers (and key order in JSON), so that
    engines that agree on the values compare equal."""
    if group == "queries" and form == "SELECT":
        rows = [[_number(c) for c in row] for row in csv.reader(io.StringIO(text))]
        canon = json.dumps(rows)
    elif group == "recommend":
        try:
            canon = json.dumps(json.loads(text), sort_keys=True)
        except ValueError:
            canon = text
    elif group == "queries" and form in ("CONSTRUCT", "DESCRIBE"):
        canon = "\n".join(sorted(re.sub(r'"(-?[0-9]+[.][0-9]+)"\^\^xsd:decimal|\b(-?[0-9]+[.][0-9]+)\b',
                                         lambda m: _number(m.group(1) or m.group(2)), line)
                                  for line in text.splitlines()))
    else:
        canon = text
    return hashlib.sha1(canon.encode()).hexdigest()[:12]


def probe_engines(kgtool: str, wanted: list[str] | None, *, env: dict | None = None) -> tuple[list[str], dict[str, str]]:
    """The engines whose extra arguments ``kgtool --help`` accepts (and why the others were left out)."""
    help_text = subprocess.run([kgtool, "--help"], capture_output=True, text=True, timeout=120, env=env).stdout
    accepted, refused = [], {}
    for name in wanted or list(ENGINES):
        if name not in ENGINES:
            refused[name] = f"unknown engine (known: {', '.join(ENGINES)})"
            continue
        args = ENGINES[name]
        reason = None
        for k, arg in enumerate(args):
            if arg.startswith("--"):
                if not re.search(rf"(^|\s){re.escape(arg)}\b", help_text, re.M):
                    reason = f"`kgtool --help` has no {arg}"
                    break
                choices = re.search(rf"{re.escape(arg)}\s+\[([^\]]*)\]", help_text)
                if choices and k + 1 < len(args) and args[k + 1] not in choices.group(1).split("|"):
                    reason = f"{arg} does not offer {args[k + 1]} ({choices.group(1)})"
                    break
        if reason:
            refused[name] = reason
        else:
            accepted.append(name)
    return accepted, refused


# ---------------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------------

def snapshot(dest: Path) -> dict:
    """Copy kgtool/, ontology/ and queries/ of the repository into ``dest``: every size of a run then
    uses the same code, shapes and queries, even while people edit the working tree. Returns what was
    copied (commit, uncommitted files, a content hash per folder)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    hashes = {}
    for name in ("kgtool", "ontology", "queries"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        digest = hashlib.sha256()
        for path in sorted(p for p in (dest / name).rglob("*") if p.is_file()):
            digest.update(f"{path.relative_to(dest)}\0".encode() + path.read_bytes())
        hashes[name] = digest.hexdigest()[:16]
    info = {"path": str(dest), "sha256": hashes}
    try:
        info["commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True).stdout.strip()
        info["uncommitted"] = [line[3:] for line in subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "kgtool", "ontology", "queries"],
            capture_output=True, text=True).stdout.splitlines()]
    except OSError:
        pass
    return info


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.kgtool = str(Path(args.kgtool).resolve()) if Path(args.kgtool).exists() else args.kgtool
        self.python = str(Path(self.kgtool).parent / "python") if (Path(self.kgtool).parent / "python").exists() \
            else sys.executable
        self.workdir = Path(args.workdir)
        self.runner = Runner(timeout=args.timeout, mem_limit_gb=args.mem_limit_gb,
                             log_dir=self.workdir / "logs", repeat=args.repeat)
        self.steps = set(args.steps.split(",")) if args.steps else set(STEP_GROUPS)
        self.results: dict = {}
        self.measurements: list[Measurement] = []
        self.previous: dict[tuple[str, str], tuple[int, Measurement]] = {}  # (engine, step) -> (nodes, m)
        self.startup_seconds = 0.4
        self.pinned = self.workdir / "snapshot"
        self.results["inputs"] = snapshot(self.pinned)
        # The console script imports kgtool from PYTHONPATH before the editable install of the repo.
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(self.pinned)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))

    # ---- bookkeeping ------------------------------------------------------------------------------
    def record(self, m: Measurement, nodes: int) -> Measurement:
        self.measurements.append(m)
        if m.status != "skipped":
            self.previous[(m.engine, m.step)] = (nodes, m)
        shown = (f"{m.seconds:9.2f} s" if m.seconds is not None and m.status == "ok" else f"{m.status:>11}")
        rss = f"{m.peak_rss_mb:8.0f} MB" if m.peak_rss_mb is not None else "        -  "
        print(f"[{m.size:>5}] {m.engine:<9} {m.step:<40} {shown} {rss}  {m.note[:110]}", flush=True)
        self.save()
        return m

    def skip_reason(self, engine: str, step: str, nodes: int) -> str | None:
        """Skip a step whose previous (smaller) size timed out or extrapolates past the timeout."""
        prior = self.previous.get((engine, step))
        if prior is None or not self.args.extrapolate:
            return None
        prior_nodes, m = prior
        if m.status == "timeout":
            return f"> {self.args.timeout:g} s at {prior_nodes} nodes"
        if m.status == "ok" and m.seconds is not None and nodes > prior_nodes:
            # From the smaller of wall and CPU time: on a busy machine the wall time overstates the work.
            took = min(m.seconds, m.cpu_seconds) if m.cpu_seconds else m.seconds
            base = self.startup_seconds if m.group != "baseline" else 0.0
            estimate = base + max(0.0, took - base) * nodes / prior_nodes
            if estimate > self.args.timeout:
                return f"estimated >= {estimate:.0f} s (linear from {took:.1f} s at {prior_nodes} nodes)"
        return None

    def step(self, *, size: str, nodes: int, engine: str, step: str, group: str, command: list[str],
             before=None, form: str | None = None, blocked: str | None = None) -> Measurement:
        m = Measurement(size=size, engine=engine, step=step, group=group, command=command, status="ok")
        reason = blocked or self.skip_reason(engine, step, nodes)
        if reason:
            m.status, m.note = "skipped", reason
            return self.record(m, nodes)
        self.runner.measure(m, before=before, env=self.env)
        summarize_output(m, form)
        return self.record(m, nodes)

    # ---- per size ---------------------------------------------------------------------------------
    def project(self, size: str, nodes: int) -> tuple[Path, dict]:
        path = self.workdir / size
        manifest_path = path / "benchmark.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
        fresh = (manifest is not None and manifest.get("generator_version") == generate.GENERATOR_VERSION
                 and manifest.get("size") == nodes and manifest.get("seed") == self.args.seed)
        if "generate" in self.steps and (self.args.regenerate or not fresh):
            cmd = [self.python, str(HERE / "generate.py"), str(nodes), str(path), "--seed", str(self.args.seed),
                   "--inputs", str(self.pinned)]
            self.step(size=size, nodes=nodes, engine=PLAIN, step="generate", group="generate", command=cmd)
            manifest = json.loads(manifest_path.read_text())
        elif not fresh:
            raise SystemExit(f"run.py: no generated project for {size} in {path} (include the generate step)")
        else:  # the project's ontology/ and queries/ are those of this run's snapshot
            for name in ("ontology", "queries"):
                shutil.rmtree(path / name)
                shutil.copytree(self.pinned / name, path / name)
        return path, manifest

    def run_size(self, size: str, engines: list[str]) -> None:
        self._run_size(size, engines)
        measured = self.results["sizes"][size].get("measured", {})
        measured.update({"finished": now(), "loadavg_end": [round(x, 2) for x in os.getloadavg()]})
        self.save()

    def _run_size(self, size: str, engines: list[str]) -> None:
        nodes = generate.parse_size(size)
        path, manifest = self.project(size, nodes)
        ids = manifest["ids"]
        info = self.results.setdefault("sizes", {}).setdefault(size, {})
        info.update({"nodes": nodes, "project": str(path), "node_counts": manifest["nodes"],
                     "relations": manifest["relations"], "sources": manifest["sources"],
                     "stale_nodes": manifest["stale_nodes"], "profiles": manifest["profiles"][: self.args.profiles],
                     "inputs": {"commit": self.results["inputs"].get("commit"), **self.results["inputs"]["sha256"]},
                     "measured": {"started": now(), "command": self.results.get("command"),
                                  "loadavg_start": [round(x, 2) for x in os.getloadavg()]}})
        base = [self.kgtool, "--project", str(path)]
        cache = path / ".kgtool-cache"

        def drop_cache():
            shutil.rmtree(cache, ignore_errors=True)

        if "startup" in self.steps:
            m = self.step(size=size, nodes=nodes, engine=PLAIN, step="start-up (kgtool --version)", group="startup",
                          command=[self.kgtool, "--version"])
            if m.seconds:
                self.startup_seconds = m.seconds
        query_files = sorted((path / "queries").glob("*.rq"))
        if self.args.queries:
            wanted = set(self.args.queries.split(","))
            query_files = [q for q in query_files if q.stem in wanted]
        infer_query = ["query", "alternatives", "-p", "node", ids["vendor"], "--format", "csv"]
        limits = dict(item.split("=", 1) for item in (self.args.engine_sizes or "").split(";") if "=" in item)
        for engine in engines:
            if engine in limits and size not in limits[engine].split(","):
                print(f"[{size:>5}] {engine:<9} not run at this size (--engine-sizes {engine}={limits[engine]})", flush=True)
                continue
            cmd = base + ENGINES[engine]
            common = dict(size=size, nodes=nodes, engine=engine)
            blocked = None
            if "load" in self.steps:
                m = self.step(**common, step="load (info)", group="load", command=cmd + ["info"])
                if m.status != "ok":
                    blocked = f"load failed at this size ({m.status})"
                elif m.detail.get("triples"):
                    info["triples"] = m.detail["triples"]
            inferred_blocked = blocked
            if "infer" in self.steps:
                m = self.step(**common, step="infer cold (query, no cache)", group="infer", command=cmd + infer_query,
                              before=drop_cache, blocked=blocked)
                if m.status != "ok" and not blocked and self.args.prime_timeout > 0:
                    # Build the cache once without measuring it, so the warm steps can still be measured.
                    primed = Runner(timeout=self.args.prime_timeout, mem_limit_gb=self.args.mem_limit_gb,
                                    log_dir=self.runner.log_dir, repeat=1).once(
                        cmd + infer_query, label=f"{size}-{engine}-prime-cache", env=self.env)
                    print(f"[{size:>5}] {engine:<9} (cache primed outside the measurement: {primed['status']}, "
                          f"{primed['wall']:.0f} s)", flush=True)
                    info.setdefault("primed", {})[engine] = {"status": primed["status"] if primed["rc"] in (0, 1)
                                                             else "error", "seconds": round(primed["wall"], 1)}
                    if primed["status"] == "ok" and primed["rc"] in (0, 1):
                        m.note += f"; cache then built outside the measurement in {primed['wall']:.0f} s"
                        self.save()
                    else:
                        inferred_blocked = f"no inference cache (infer cold: {m.status})"
                elif m.status != "ok":
                    inferred_blocked = blocked or f"no inference cache (infer cold: {m.status})"
                self.step(**common, step="infer warm (same query, cached)", group="infer", command=cmd + infer_query,
                          blocked=inferred_blocked)
            if "validate" in self.steps:
                m = self.step(**common, step="validate", group="validate",
                              command=cmd + ["validate", "--full", "--as-of", AS_OF], blocked=blocked)
                if engine == "oxigraph":  # the reference engine has no incremental path
                    edit = NodeEdit(path / "data" / "vendor" / f"{ids['vendor']}.ttl")
                    try:
                        self.step(**common, step="validate after editing one node", group="validate",
                                  command=cmd + ["validate", "--as-of", AS_OF], before=edit.apply,
                                  blocked=blocked or (None if m.status == "ok" else "validate failed"))
                    finally:
                        edit.restore()
            if "queries" in self.steps:
                for qf in query_files:
                    qargs, form = query_args(qf, ids)
                    self.step(**common, step=f"query {qf.stem}", group="queries", form=form,
                              command=cmd + ["query", qf.stem] + qargs, blocked=inferred_blocked)
            if "recommend" in self.steps:
                for k, profile in enumerate(manifest["profiles"][: self.args.profiles], start=1):
                    dims = [a for d in profile for a in ("--dim", d)]
                    self.step(**common, step=f"recommend profile {k} ({len(profile)} dims)", group="recommend",
                              command=cmd + ["recommend", *dims, "--as-of", AS_OF, "--format", "json"],
                              blocked=inferred_blocked)
            if "check" in self.steps:
                self.step(**common, step="check (CI gate, no cache)", group="check",
                          command=cmd + ["check", "--as-of", AS_OF], before=drop_cache, blocked=blocked)
        if "baseline" in self.steps and (not self.args.baseline_sizes or size in self.args.baseline_sizes.split(",")):
            for key, label in BASELINE_STEPS.items():
                m = self.step(size=size, nodes=nodes, engine=PLAIN, step=f"baseline: {label}", group="baseline",
                              command=[self.python, str(HERE / "baseline.py"), key, str(path)])
                if m.status == "ok":
                    try:
                        lines = Path(m.detail["stdout"]).read_text().strip().splitlines()
                        m.detail.update(json.loads(lines[-1]))
                    except (OSError, ValueError, IndexError):
                        pass
                    self.save()

    # ---- output -----------------------------------------------------------------------------------
    def save(self) -> None:
        self.results["measurements"] = [asdict(m) for m in self.measurements]
        self.results["ratios"] = ratios(self.measurements, list(self.results.get("sizes", {})))
        self.results["finished"] = now()
        out = Path(self.args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.results, indent=1) + "\n")
        os.replace(tmp, out)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------
# Aggregates, ratios, tables
# ---------------------------------------------------------------------------------------------------

def aggregates(ms: list[dict]) -> list[dict]:
    """Per (size, engine): the queries total and the recommend total and per-call mean."""
    out = []
    keys = sorted({(m["size"], m["engine"]) for m in ms if m["group"] in ("queries", "recommend")})
    for size, engine in keys:
        for group, label in (("queries", "queries: all named (total)"), ("recommend", "recommend: 10 profiles (total)")):
            items = [m for m in ms if m["size"] == size and m["engine"] == engine and m["group"] == group]
            if not items:
                continue
            done = [m for m in items if m["status"] == "ok"]
            total = sum(m["seconds"] for m in done)
            rss = max((m["peak_rss_mb"] or 0 for m in done), default=None)
            status = "ok" if len(done) == len(items) else ("partial" if done else items[0]["status"])
            label = label.replace("10 profiles", f"{len(items)} profiles") if group == "recommend" else \
                label.replace("all named", f"{len(items)} named")
            cpu = sum(m["cpu_seconds"] or 0 for m in done)
            out.append({"size": size, "engine": engine, "step": label, "group": group + "-total", "status": status,
                        "seconds": round(total, 3) if done else None, "peak_rss_mb": rss,
                        "cpu_seconds": round(cpu, 3) if done else None,
                        "note": "" if status == "ok" else f"{len(done)} of {len(items)} ran"})
            if group == "recommend" and done:
                per = [m["seconds"] for m in done]
                out.append({"size": size, "engine": engine, "step": "recommend: per call (mean; min-max)",
                            "group": "recommend-mean", "status": "ok", "seconds": round(statistics.mean(per), 3),
                            "cpu_seconds": round(statistics.mean(m["cpu_seconds"] or 0 for m in done), 3),
                            "peak_rss_mb": rss, "note": f"{min(per):.2f}-{max(per):.2f} s"})
    return out


def cpu_ratio(a: dict, b: dict) -> float | None:
    if a.get("cpu_seconds") and b.get("cpu_seconds"):
        return round(a["cpu_seconds"] / b["cpu_seconds"], 2)
    return None


def ratios(measurements: list[Measurement], sizes: list[str]) -> list[dict]:
    ms = [asdict(m) for m in measurements]
    ms += aggregates(ms)
    by = {(m["size"], m["engine"], m["step"]): m for m in ms}
    out = []
    engines = sorted({m["engine"] for m in ms if m["engine"] not in (PLAIN, "rdflib")})
    for size in sizes:
        steps = [m["step"] for m in ms if m["size"] == size and m["engine"] == "rdflib"]
        for engine in engines:
            for step in steps:
                a, b = by.get((size, "rdflib", step)), by.get((size, engine, step))
                if a and b and a["status"] == "ok" and b["status"] in ("ok",) and a["seconds"] and b["seconds"]:
                    out.append({"size": size, "kind": "engine", "step": step, "numerator": "rdflib",
                                "denominator": engine, "ratio": round(a["seconds"] / b["seconds"], 2),
                                "cpu_ratio": cpu_ratio(a, b)})
        for engine in ["rdflib", *engines]:
            for kg_step, base_step, what in (
                    ("load (info)", "baseline: rdflib parse", "load vs rdflib parse"),
                    ("infer cold (query, no cache)", "baseline: owlrl OWL-RL closure", "infer cold vs owlrl OWL-RL (process)"),
                    ("validate", "baseline: pyshacl validate", "validate vs pyshacl (process)")):
                a, b = by.get((size, engine, kg_step)), by.get((size, PLAIN, base_step))
                if a and b and a["status"] == "ok" and b["status"] == "ok" and b["seconds"]:
                    out.append({"size": size, "kind": "baseline", "step": what, "numerator": f"kgtool {engine}",
                                "denominator": "plain stack", "ratio": round(a["seconds"] / b["seconds"], 2),
                                "cpu_ratio": cpu_ratio(a, b)})
    return out


def fmt_seconds(m: dict | None, timeout: float) -> str:
    if m is None:
        return ""
    if m["status"] == "ok" or (m["status"] == "partial" and m["seconds"] is not None):
        s = m["seconds"]
        text = f"{s:.2f}" if s < 10 else f"{s:.1f}" if s < 100 else f"{s:.0f}"
        return text + ("*" if m["status"] == "partial" else "")
    if m["status"] == "timeout":
        return f"> {timeout:g}"
    if m["status"] == "skipped":
        return "skipped"
    return m["status"]


def fmt_cpu(m: dict | None) -> str:
    if m is None or m.get("cpu_seconds") is None or m["status"] not in ("ok", "partial"):
        return ""
    c = m["cpu_seconds"]
    return f"{c:.2f}" if c < 10 else f"{c:.1f}" if c < 100 else f"{c:.0f}"


def fmt_mb(m: dict | None) -> str:
    if m is None or m.get("peak_rss_mb") is None or m["status"] not in ("ok", "partial"):
        return ""
    return f"{m['peak_rss_mb']:.0f}"


def tables(results: dict, timeout: float) -> str:
    ms = results.get("measurements", [])
    ms = ms + aggregates(ms)
    out = []
    for size in results.get("sizes", {}):
        rows = [m for m in ms if m["size"] == size]
        if not rows:
            continue
        engines = [e for e in dict.fromkeys(m["engine"] for m in rows)]
        engines = ([PLAIN] if PLAIN in engines else []) + [e for e in engines if e != PLAIN]
        kg_engines = [e for e in engines if e != PLAIN]
        info = results["sizes"][size]
        out.append(f"### {size}: {info.get('nodes')} nodes, {info.get('triples', '?')} triples, "
                   f"{info.get('relations')} relations, {info.get('sources')} sources\n")
        when = info.get("measured", {})
        if when:
            out.append(f"Measured {when.get('started')} to {when.get('finished', '?')} "
                       f"(load average {when.get('loadavg_start')} to {when.get('loadavg_end', '?')}) by "
                       f"`{' '.join(when.get('command') or [])}`.\n")
        pinned = results.get("inputs", {})
        if info.get("inputs") and pinned.get("sha256") and any(info["inputs"].get(k) != v
                                                                for k, v in pinned["sha256"].items()):
            out.append(f"(measured in an earlier run, on other inputs: {info['inputs']})\n")
        header = ["step"] + [f"{e} {u}" for e in engines for u in ("s", "cpu s", "MB")]
        if "rdflib" in kg_engines:
            header += [f"rdflib ÷ {e}" for e in kg_engines if e != "rdflib"]
        header.append("notes")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        order = list(dict.fromkeys(m["step"] for m in rows))
        by = {(m["engine"], m["step"]): m for m in rows}
        for step in order:
            cells = [step]
            notes = []
            for e in engines:
                m = by.get((e, step))
                cells += [fmt_seconds(m, timeout), fmt_cpu(m), fmt_mb(m)]
                if m and m.get("note") and (m["status"] != "ok" or m["group"] in ("validate", "check",
                                                                                 "recommend-mean")):
                    note = m["note"].replace("|", "/")
                    notes.append(f"{e}: {note}" if len(kg_engines) > 1 and e != PLAIN else note)
                if m and m["group"] == "queries" and m["status"] == "ok":
                    rows_ = m["detail"].get("rows", m["detail"].get("answer", m["detail"].get("lines")))
                    if e == kg_engines[0] and rows_ is not None:
                        unit = "rows" if "rows" in m["detail"] else ("" if "answer" in m["detail"] else "lines")
                        notes.append(f"{rows_} {unit}".strip())
            for e in kg_engines:
                if e == "rdflib":
                    continue
                a, b = by.get(("rdflib", step)), by.get((e, step))
                if a and b and a["status"] == "ok" and b["status"] == "ok" and b["seconds"]:
                    cells.append(f"{a['seconds'] / b['seconds']:.2f}")
                elif "rdflib" in kg_engines:
                    cells.append("")
                if a and b and a["status"] == "ok" and b["status"] == "ok" and a["group"] in ("queries", "recommend"):
                    if a["detail"].get("normalized_sha1") != b["detail"].get("normalized_sha1"):
                        same_count = all(a["detail"].get(k) == b["detail"].get(k) for k in ("rows", "verdicts", "answer"))
                        notes.append(f"{e} output differs" + (" (same counts)" if same_count else " (counts differ)"))
                    elif a["detail"].get("output_sha1") != b["detail"].get("output_sha1"):
                        notes.append("same answer (number formatting differs)")
            cells.append("; ".join(notes))
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def ratio_table(results: dict) -> str:
    rs = [r for r in results.get("ratios", [])]
    if not rs:
        return "(no ratios: run at least two engines, or an engine and the baseline, at the same size)\n"
    lines = ["| size | comparison | ratio of | wall ratio | CPU ratio |", "|---|---|---|---|---|"]
    for r in rs:
        if r["kind"] == "engine" and not r["step"].startswith(("load", "infer", "validate", "check", "queries:",
                                                                  "recommend:")):
            continue
        cpu = f"{r['cpu_ratio']:.2f}" if r.get("cpu_ratio") is not None else ""
        lines.append(f"| {r['size']} | {r['step']} | {r['numerator']} ÷ {r['denominator']} | {r['ratio']:.2f} | {cpu} |")
    return "\n".join(lines) + "\n"


def hot_spots(results: dict) -> str:
    ms = results.get("measurements", [])
    lines = []
    for size in results.get("sizes", {}):
        for engine in dict.fromkeys(m["engine"] for m in ms if m["size"] == size and m["engine"] != PLAIN):
            rows = [m for m in ms if m["size"] == size and m["engine"] == engine]
            done = [m for m in rows if m["status"] == "ok"]
            total = sum(m["seconds"] for m in done)
            if not done:
                continue
            groups: dict[str, float] = {}
            for m in done:
                groups[m["group"]] = groups.get(m["group"], 0.0) + m["seconds"]
            top = sorted(groups.items(), key=lambda kv: -kv[1])[:3]
            load = next((m for m in done if m["group"] == "load"), None)
            q = [m["seconds"] for m in done if m["group"] == "queries"]
            warm = next((m for m in done if m["step"].startswith("infer warm")), None)
            text = (f"- **{size}, {engine}**: {total:.0f} s of measured commands; by group "
                    + ", ".join(f"{g} {s:.0f} s ({100 * s / total:.0f}%)" for g, s in top))
            if load and q:
                text += (f". A named query takes {statistics.median(q):.2f} s (median) of which loading "
                         f"(`info`) is {load['seconds']:.2f} s")
                if warm:
                    text += f" and load + cached inference {warm['seconds']:.2f} s"
            failed = [m for m in rows if m["status"] not in ("ok", "skipped")]
            if failed:
                text += "; failed: " + ", ".join(f"{m['step']} ({m['status']})" for m in failed)
            lines.append(text + ".")
    return "\n".join(lines) + "\n"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        ram = round(int(found.group(1)) / 1024 ** 2, 1) if found else None
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu": cpu, "ram_gb": ram, "kernel": platform.release(),
            "system": f"{platform.system()} {platform.machine()}", "time_tool": TIME_BIN if Path(TIME_BIN).exists()
            else "getrusage wrapper"}


def software(python: str) -> dict:
    code = ("import json, sys, importlib.metadata as m\n"
            "v = {}\n"
            f"for p in {LIBRARIES!r}:\n"
            "    try: v[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: v[p] = None\n"
            "print(json.dumps({'python': sys.version.split()[0], 'libraries': v}))\n")
    try:
        info = json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60).stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        info = {"python": None, "libraries": {}}
    return info


def markdown(results: dict) -> str:
    mach, soft, inputs = results.get("machine", {}), results.get("software", {}), results.get("inputs", {})
    timeout = results.get("settings", {}).get("timeout", 600)
    libs = ", ".join(f"{k} {v}" for k, v in soft.get("libraries", {}).items() if v)
    preserved = results.get("_notes", "")
    parts = [
        "# kgtool benchmark results",
        "",
        "Written by `benchmarks/run.py` (see [README.md](README.md) for how to run it). Every number is one",
        "whole `kgtool` process (or one plain-stack step) in a fresh process: wall seconds and peak RSS in MB",
        "of that process" + (f", median of {results['settings']['repeat']} runs" if results.get("settings", {}).get(
            "repeat", 1) > 1 else ", one run each") + ". `> N` = killed at the timeout; `skipped` = the",
        "smaller size timed out or a linear extrapolation from it exceeds the timeout (the note says which).",
        "",
        "## Machine",
        "",
        f"- {mach.get('nproc')} cores (`nproc`), {mach.get('cpu')}, {mach.get('ram_gb')} GB RAM, "
        f"{mach.get('system')}, kernel {mach.get('kernel')}",
        f"- Python {soft.get('python')}; {libs}",
        f"- kgtool, ontology and queries: a snapshot of commit {inputs.get('commit', '?')}"
        + (f" plus the uncommitted changes to {', '.join(inputs['uncommitted'])}" if inputs.get("uncommitted") else "")
        + f" taken at the start of the run (content hashes {', '.join(f'{k} {v}' for k, v in inputs.get('sha256', {}).items())})",
        f"- Peak RSS from `{mach.get('time_tool')}`",
        f"- Run {results.get('started')} to {results.get('finished')}; load average at start "
        f"{results.get('loadavg_start')}, at end {results.get('loadavg_end')} (a shared machine: other jobs"
        " may have run at the same time, so compare numbers of the same run)",
        f"- Command: `{' '.join(results.get('command', []))}`; timeout {timeout:g} s per process, "
        f"memory limit {results.get('settings', {}).get('mem_limit_gb')} GB (address space) per process",
        f"- Engines run: {', '.join(results.get('engines', [])) or '-'}"
        + ("; not run: " + "; ".join(f"{k} ({v})" for k, v in results.get("engines_refused", {}).items())
           if results.get("engines_refused") else ""),
        *[f"- Added from a separate run (`{' '.join(run.get('command') or [])}`, {run.get('started')} to "
          f"{run.get('finished')}, load average {run.get('loadavg_start')} to {run.get('loadavg_end')}): "
          + ", ".join(run.get("steps", [])) for run in results.get("added_runs", [])],
        "",
        "## Results",
        "",
        tables(results, timeout),
        "## Ratios (same run)",
        "",
        ratio_table(results),
        "## Where the time goes",
        "",
        hot_spots(results),
        "<!-- notes:start -->",
        preserved.strip(),
        "<!-- notes:end -->",
        "",
    ]
    return "\n".join(parts)


def preserved_notes(path: Path) -> str:
    """Hand-written notes between the notes markers of an existing RESULTS.md survive a re-run."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    found = re.search(r"<!-- notes:start -->\n?(.*?)<!-- notes:end -->", text, re.S)
    return found.group(1) if found else ""


def add_from(args: argparse.Namespace) -> int:
    """Merge the measurements of other results files into ``--out`` (keeping what it has) and rewrite
    the report: the record of each added run (command, load average) goes along in ``added_runs``."""
    out = Path(args.out)
    results = json.loads(out.read_text())
    have = {(m["size"], m["engine"], m["step"]) for m in results["measurements"]}
    for name in args.add_from:
        other = json.loads(Path(name).read_text())
        added = [m for m in other["measurements"] if (m["size"], m["engine"], m["step"]) not in have]
        results["measurements"] += added
        results.setdefault("added_runs", []).append({
            "command": other.get("command"), "started": other.get("started"), "finished": other.get("finished"),
            "loadavg_start": other.get("loadavg_start"), "loadavg_end": other.get("loadavg_end"),
            "steps": sorted({f"{m['size']} {m['engine']} {m['step']}" for m in added})})
        for size, info in other.get("sizes", {}).items():
            mine = results.setdefault("sizes", {}).setdefault(size, {})
            for key, value in info.items():
                mine.setdefault(key, value)
    measurements = [Measurement(**m) for m in results["measurements"]]
    results["ratios"] = ratios(measurements, list(results.get("sizes", {})))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(tmp, out)
    if args.markdown:
        path = Path(args.markdown)
        results["_notes"] = preserved_notes(path)
        path.write_text(markdown(results), encoding="utf-8")
    print(tables(results, args.timeout))
    return 0


# ---------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sizes", default="1k,10k", help="comma-separated node counts (default 1k,10k)")
    parser.add_argument("--engines", default=None,
                        help=f"comma-separated engines (default: every one of {', '.join(ENGINES)} the CLI accepts)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a process is killed (default 600)")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="JSON results (default benchmarks/results.json)")
    parser.add_argument("--markdown", default=str(HERE / "RESULTS.md"),
                        help="Markdown report (default benchmarks/RESULTS.md; '' to skip)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "kgtool-bench"),
                        help="where generated projects and logs go (default $TMPDIR/kgtool-bench)")
    parser.add_argument("--kgtool", default=str(REPO / ".venv" / "bin" / "kgtool"), help="the kgtool executable")
    parser.add_argument("--steps", default=None, help=f"comma-separated step groups (default all: {','.join(STEP_GROUPS)})")
    parser.add_argument("--queries", default=None, help="comma-separated named queries to run (default all)")
    parser.add_argument("--profiles", type=int, default=10, help="recommend profiles to run (default 10, at most 10)")
    parser.add_argument("--baseline-sizes", default=None, help="sizes to run the plain-stack baseline on (default all)")
    parser.add_argument("--engine-sizes", default="rdflib=1k",
                        help="limit engines to some sizes, ';' between engines (default rdflib=1k: the reference "
                             "engine needs minutes per step at 10k); '' for every engine at every size")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command, median reported (default 1)")
    parser.add_argument("--mem-limit-gb", type=float, default=12.0,
                        help="address-space limit per process, GB (default 12; 0 for none)")
    parser.add_argument("--no-extrapolate", dest="extrapolate", action="store_false",
                        help="do not skip steps that a smaller size predicts to exceed the timeout")
    parser.add_argument("--prime-timeout", type=float, default=0,
                        help="when the cold inference times out, build the cache once more with this timeout "
                             "(not measured) so that the cached steps can still run (default 0: off)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate projects even when they exist")
    parser.add_argument("--add-from", action="append", default=[], metavar="FILE",
                        help="run nothing: add the measurements of another results file (steps --out lacks), "
                             "then rewrite --out and the report; for a step run separately (e.g. a long baseline)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the measurements of other sizes already in --out (default: replace the file)")
    args = parser.parse_args(argv)

    bench = Bench(args)
    if args.steps and (unknown := set(args.steps.split(",")) - set(STEP_GROUPS)):
        parser.error(f"unknown steps {', '.join(sorted(unknown))} (known: {', '.join(STEP_GROUPS)})")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    sizes.sort(key=generate.parse_size)
    wanted = args.engines.split(",") if args.engines else None
    if args.add_from:
        return add_from(args)
    engines, refused = probe_engines(bench.kgtool, wanted, env=bench.env)
    if refused:
        for name, why in refused.items():
            print(f"engine {name} not run: {why}", file=sys.stderr)
    if args.merge and Path(args.out).is_file():
        old = json.loads(Path(args.out).read_text())
        bench.measurements = [Measurement(**{k: v for k, v in m.items()}) for m in old.get("measurements", [])
                              if m["size"] not in sizes]
        bench.results["sizes"] = {k: v for k, v in old.get("sizes", {}).items() if k not in sizes}
    bench.results.update({
        "format": "kgtool-benchmark-results/1", "started": now(), "command": ["benchmarks/run.py", *sys.argv[1:]],
        "machine": machine(), "software": software(bench.python), "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "engines": engines, "engines_refused": refused,
        "settings": {"timeout": args.timeout, "mem_limit_gb": args.mem_limit_gb or None, "repeat": args.repeat,
                     "seed": args.seed, "as_of": AS_OF, "workdir": args.workdir},
    })
    print(f"kgtool {bench.kgtool}; engines {', '.join(engines)}; sizes {', '.join(sizes)}; timeout {args.timeout:g} s",
          flush=True)
    for size in sizes:
        bench.results.setdefault("sizes", {})[size] = bench.results.get("sizes", {}).get(size, {})
        bench.run_size(size, engines)
    bench.results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    bench.save()
    print()
    print(tables(bench.results, args.timeout))
    print(ratio_table(bench.results))
    if args.markdown:
        path = Path(args.markdown)
        bench.results["_notes"] = preserved_notes(path)
        path.write_text(markdown(bench.results), encoding="utf-8")
        bench.results.pop("_notes")
        print(f"wrote {args.out} and {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
