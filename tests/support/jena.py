"""Apache Jena 4.5 command-line tools as an independent test oracle.

Runs Jena's own CLI classes (from Debian's ``libapache-jena-java``, installed by
``scripts/install-system-deps``) in a fresh JVM per call:

* ``riotcmd.riot --validate``     -> :func:`riot_validate`
* ``shacl.shacl validate``        -> :func:`shacl_validate`
* ``arq.sparql --results=json``   -> :func:`sparql_select`

Every call pays ~0.7-0.9 s of JVM start-up, so use these sparingly (a handful of
calls per test session) and guard tests with::

    pytestmark = pytest.mark.skipif(not jena_available(), reason="Jena CLI not installed")

Debian packaging bug worked around here: Jena's relocated xerces classes (package
``xerces.impl...``) look up ``xerces/impl/msg/*.properties`` but the jar ships them as
``org/apache/jena/ext/xerces/...``; without them every command dies at start with
``ExceptionInInitializerError ... RuntimeException: internal error``. :func:`classpath`
extracts those files once into a cache directory and puts it first on the classpath.

Files are always handed to Jena as absolute ``file://`` URIs (Jena rejects plain paths
containing spaces), so relative IRIs in the data resolve against ``file:///abs/path``.

Standard library only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "JenaError",
    "JenaUnavailable",
    "RiotResult",
    "classpath",
    "jena_available",
    "java_executable",
    "riot_validate",
    "run_jena",
    "shacl_validate",
    "sparql_select",
]

StrPath = str | os.PathLike[str]

JAVA_DIR = Path("/usr/share/java")

# Unversioned Debian symlinks; all are needed by riot / arq / shacl (jena-cmds).
REQUIRED_JARS: tuple[str, ...] = (
    "jena-base.jar",
    "jena-core.jar",
    "jena-iri.jar",
    "jena-arq.jar",
    "jena-cmds.jar",
    "jena-shacl.jar",
    "jena-shex.jar",
    "jena-dboe-base.jar",
    "jena-dboe-index.jar",
    "jena-dboe-storage.jar",
    "jena-dboe-trans-data.jar",
    "jena-dboe-transaction.jar",
    "jena-tdb.jar",
    "jena-tdb2.jar",
    "jena-rdfconnection.jar",
    "commons-cli.jar",
    "commons-codec.jar",
    "commons-compress.jar",
    "commons-csv.jar",
    "commons-io.jar",
    "commons-lang3.jar",
    "dexx.collection.jar",
    "gson.jar",
    "guava.jar",
    "httpclient.jar",
    "httpcore.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    "jackson-annotations.jar",
    "jakarta.json-api.jar",
    "jsonld-java.jar",
    "protobuf.jar",
    "thrift.jar",
    "titanium-json-ld.jar",
    "slf4j-api.jar",
    # slf4j-simple (not slf4j-nop): riot reports parse warnings/errors via the logger.
    "slf4j-simple.jar",
)
# Added when present (same Debian packages): JSON-LD 1.0 reader (syntax "JSON-LD-10") needs
# httpclient-cache; jcl-over-slf4j routes httpclient's commons-logging into slf4j-simple.
OPTIONAL_JARS: tuple[str, ...] = ("httpclient-cache.jar", "jcl-over-slf4j.jar")

_XERCES_PREFIX = "org/apache/jena/ext/xerces/"
_JVM_OPTS: tuple[str, ...] = ("-XX:TieredStopAtLevel=1", "-Dfile.encoding=UTF-8")
_LOG_PROBLEM = re.compile(r"\b(?:WARN|ERROR)\b")


class JenaUnavailable(RuntimeError):
    """Java or the Jena jars are missing (run scripts/install-system-deps)."""


class JenaError(RuntimeError):
    """A Jena command failed (non-zero exit); carries the completed process."""

    def __init__(self, message: str, proc: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"{message} (exit {proc.returncode}):\n{proc.stderr or proc.stdout}")
        self.proc = proc


@dataclass(frozen=True)
class RiotResult:
    ok: bool  # exit code 0 and no WARN/ERROR log line
    returncode: int
    output: str  # stdout + stderr (riot logs its findings on stderr)


def java_executable() -> str | None:
    """``$JAVA_HOME/bin/java`` if it exists, else ``java`` on PATH, else None."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


@functools.cache
def jena_available() -> bool:
    """True if a java binary and all required Jena jars are present (no JVM is started)."""
    return java_executable() is not None and all((JAVA_DIR / j).is_file() for j in REQUIRED_JARS)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kgtool-tests" / "jena-xerces"


def _xerces_fix_dir() -> Path:
    """Extract xerces ``.properties`` from jena-core.jar to ``<cache>/<key>/xerces/...``.

    ``<key>`` identifies the jar (real path, size, mtime) so a Jena upgrade gets a fresh
    copy. Extraction goes to a temp dir renamed into place: safe under pytest-xdist.
    """
    jar = (JAVA_DIR / "jena-core.jar").resolve()
    st = jar.stat()
    key = hashlib.sha256(f"{jar}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    root = _cache_root()
    final = root / key
    if (final / "xerces").is_dir():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        count = 0
        with zipfile.ZipFile(jar) as zf:
            for name in zf.namelist():
                if name.startswith(_XERCES_PREFIX) and name.endswith(".properties"):
                    target = tmp / "xerces" / name[len(_XERCES_PREFIX):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
                    count += 1
        if count == 0:
            raise JenaUnavailable(f"no {_XERCES_PREFIX}*.properties found in {jar}")
        try:
            os.rename(tmp, final)
        except OSError:  # lost a race with another process: theirs is as good as ours
            if not (final / "xerces").is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


@functools.cache
def classpath() -> str:
    """Classpath for Jena's CLI classes: xerces-fix dir first, then the Debian jars."""
    missing = [j for j in REQUIRED_JARS if not (JAVA_DIR / j).is_file()]
    if missing:
        raise JenaUnavailable(
            f"missing in {JAVA_DIR}: {', '.join(missing)} (run scripts/install-system-deps)"
        )
    jars = list(REQUIRED_JARS) + [j for j in OPTIONAL_JARS if (JAVA_DIR / j).is_file()]
    parts = [str(_xerces_fix_dir())] + [str(JAVA_DIR / j) for j in jars]
    return os.pathsep.join(parts)


def run_jena(main_class: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``java -XX:TieredStopAtLevel=1 -cp <classpath()> main_class args...``.

    Text mode (UTF-8), stdout and stderr captured, never raises on a non-zero exit
    (``subprocess.TimeoutExpired`` on timeout). Jena writes results on stdout and log
    messages (``[main] WARN ...``, stack traces) on stderr.
    """
    java = java_executable()
    if java is None:
        raise JenaUnavailable("no java executable (set JAVA_HOME or put java on PATH)")
    cmd = [java, *_JVM_OPTS, "-cp", classpath(), main_class, *args]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _uri(path: StrPath) -> str:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(str(p))
    return p.resolve().as_uri()


def riot_validate(path: StrPath, *, syntax: str | None = None) -> RiotResult:
    """Parse ``path`` with ``riotcmd.riot --validate`` (syntax from the file extension,
    or ``syntax`` e.g. ``"Turtle"``, ``"N-Triples"``).

    ``ok`` is True only when the exit code is 0 and no WARN/ERROR line was logged.
    riot also checks literal lexical forms (``"abc"^^xsd:integer`` -> WARN, exit 1) and
    IRIs (bad IRIs -> WARN). JSON-LD: the default reader (JSON-LD 1.1, titanium) fails on
    Debian 12 (no jakarta.json implementation packaged); pass ``syntax="JSON-LD-10"``.
    """
    args = ["--validate"]
    if syntax:
        args.append(f"--syntax={syntax}")
    proc = run_jena("riotcmd.riot", *args, _uri(path))
    output = proc.stdout + proc.stderr
    problems = any(_LOG_PROBLEM.search(line) for line in output.splitlines())
    return RiotResult(ok=proc.returncode == 0 and not problems, returncode=proc.returncode, output=output)


def shacl_validate(shapes_path: StrPath, data_path: StrPath) -> str:
    """Run ``shacl.shacl validate --shapes S --data D``; return the sh:ValidationReport as Turtle.

    Jena exits 0 whether or not the data conforms: read ``sh:conforms`` from the report.
    It exits non-zero (2) only when a file cannot be read or parsed; that raises
    :class:`JenaError`. The report is printed as Turtle on stdout by default (there is no
    output-format option; ``--text`` gives a non-RDF summary), so stdout is returned as is.
    Supports SHACL Core and SHACL-SPARQL (``sh:sparql`` / ``sh:SPARQLConstraint``).
    ``sh:resultPath`` for a complex path is a fresh blank node copy, e.g.
    ``[ sh:inversePath ex:p ]``, not the shapes graph's node.
    """
    proc = run_jena("shacl.shacl", "validate", "--shapes", _uri(shapes_path), "--data", _uri(data_path))
    if proc.returncode != 0:
        raise JenaError("shacl validate failed", proc)
    report = proc.stdout
    if "ValidationReport" not in report:
        raise JenaError("shacl validate printed no validation report", proc)
    return report


def sparql_select(data_paths: StrPath | Iterable[StrPath], query: str) -> dict[str, Any]:
    """Run ``arq.sparql --data F1 --data F2 ... --results=json QUERY``; return the parsed
    SPARQL 1.1 JSON results (``{"head": {"vars": [...]}, "results": {"bindings": [...]}}``;
    for ASK: ``{"head": {}, "boolean": bool}``).

    All files are merged into the default graph (set semantics). Literals keep their
    lexical form (no canonicalisation). Raises :class:`JenaError` on a bad query or file.
    """
    if isinstance(data_paths, (str, os.PathLike)):
        data_paths = [data_paths]
    args: list[str] = []
    for p in data_paths:
        args += ["--data", _uri(p)]
    if not args:
        raise ValueError("sparql_select needs at least one data file")
    proc = run_jena("arq.sparql", *args, "--results=json", query)
    if proc.returncode != 0:
        raise JenaError("arq.sparql failed", proc)
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise JenaError(f"arq.sparql output is not JSON: {exc}", proc) from exc
    return result
