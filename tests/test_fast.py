"""Issue 7: the fast path's caches and start-up (what makes a warm query cheap), and progress output."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
from datetime import date

import pytest

import kgtool
from kgtool import progress
from kgtool.query import query_graph

engine_module = importlib.import_module("kgtool.engine")
TODAY = date(2026, 11, 26)


@pytest.fixture
def shipped_copy(make_project, root):
    project = make_project()
    shutil.rmtree(project / "data")
    shutil.copytree(root / "data", project / "data")
    return project


@pytest.fixture
def disk_store_always(monkeypatch):
    """Use the on-disk query store whatever the project's size (it starts at 4 MB of input)."""
    monkeypatch.setattr(engine_module, "DISK_STORE_MIN_BYTES", 0)


def _rows(result):
    return [tuple(str(v) for v in row.values()) for row in result.rows]


def test_a_warm_query_is_answered_from_the_on_disk_store_without_parsing(shipped_copy, disk_store_always):
    cold = kgtool.query(shipped_copy, name="profile-enables", params={"dim": ["engineering-led-cdp"]})
    stores = list((shipped_copy / ".kgtool-cache").glob("query-store-*"))
    assert len(stores) == 1 and stores[0].is_dir()
    kg = kgtool.load(shipped_copy, lazy=True)
    warm = kgtool.query(kg, name="profile-enables", params={"dim": ["engineering-led-cdp"]})
    assert not kg.parsed, "a warm query parsed the files"
    assert _rows(warm) == _rows(cold) and len(warm.rows) == 7


def test_the_on_disk_store_is_keyed_by_content(shipped_copy, disk_store_always):
    kgtool.query(shipped_copy, name="node-list")
    first = {p.name for p in (shipped_copy / ".kgtool-cache").glob("query-store-*")}
    seed = shipped_copy / "data" / "vendor" / "vendor.hightouch.ttl"
    seed.write_text(seed.read_text().replace('dcterms:title "Hightouch"', 'dcterms:title "Hightouch (renamed)"'))
    result = kgtool.query(shipped_copy, name="node-list")
    second = {p.name for p in (shipped_copy / ".kgtool-cache").glob("query-store-*")}
    assert first != second and len(second) == 1, "the old entry is replaced, not kept"
    titles = {str(row["title"]) for row in result.rows}
    assert "Hightouch (renamed)" in titles and "Hightouch" not in titles


def test_a_damaged_on_disk_store_is_rebuilt(shipped_copy, disk_store_always):
    kgtool.query(shipped_copy, name="node-list")
    store = next((shipped_copy / ".kgtool-cache").glob("query-store-*"))
    for child in store.iterdir():
        if child.is_file():
            child.write_bytes(b"garbage")
    result = kgtool.query(shipped_copy, name="node-list")
    assert len(result.rows) == 52


def test_a_broken_file_is_still_reported_when_the_cache_cannot_answer(shipped_copy, disk_store_always, cli):
    kgtool.query(shipped_copy, name="node-list")
    broken = shipped_copy / "data" / "vendor" / "vendor.hightouch.ttl"
    broken.write_text(broken.read_text() + "\ncdp:oops cdp:p .\n")
    result = cli("--project", str(shipped_copy), "query", "node-list")
    assert result.exit_code == 3
    assert "data/vendor/vendor.hightouch.ttl:" in result.stderr and "Traceback" not in result.stderr


def test_validation_never_sees_inferred_triples(shipped_copy):
    """The store holds the inferred graph for queries; validation must read the asserted graph only."""
    kg = kgtool.load(shipped_copy)
    before = kgtool.validate(kg, as_of=TODAY)
    query_graph(kg).run("SELECT * WHERE { ?s ?p ?o } LIMIT 1")  # puts the inferred graph in the store
    assert kg.inferred_in_store
    after = kgtool.validate(kg, as_of=TODAY)
    assert [(f.rule, f.focus, f.value) for f in after.findings] == [(f.rule, f.focus, f.value) for f in before.findings]
    assert query_graph(kg).run("ASK { ?s <https://cdp.composablestack.ai/kg/ontology#enabledBy> ?o }").value


def test_a_query_does_not_import_the_reasoners_or_validators(root):
    """Start-up: a query on a warm cache imports neither pySHACL, owlrl nor rdflib's SPARQL engine."""
    code = ("import sys\nfrom kgtool.cli import main\n"
            "try:\n    main(['--project', sys.argv[1], 'query', 'profile-enables', '-p', 'dim', 'engineering-led-cdp'])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pyshacl', 'owlrl', 'shacl')"
            " or m.startswith('rdflib.plugins.sparql'))\n"
            "print('LOADED', loaded)\n")
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, capture_output=True)  # warms the cache
    out = subprocess.run([sys.executable, "-c", code, str(root)], check=True, capture_output=True, text=True).stdout
    assert out.strip().endswith("LOADED []"), out


def test_progress_is_drawn_on_stderr_only_when_asked_or_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    monkeypatch.setenv("KGTOOL_PROGRESS", "1")
    with progress.bar("loading", total=3) as bar:
        for _ in range(3):
            bar.advance()
    out, err = capsys.readouterr()
    assert out == "" and "loading [" in err and "3/3" in err and "loading: done in" in err
    monkeypatch.setenv("KGTOOL_PROGRESS", "0")
    with progress.bar("loading", total=3) as bar:
        bar.advance(3)
    with progress.step("inferring"):
        pass
    assert capsys.readouterr() == ("", "")
    monkeypatch.delenv("KGTOOL_PROGRESS")
    assert not progress.enabled()  # pytest captures stderr: not a terminal


def test_a_step_that_outlasts_the_delay_says_so(monkeypatch, capsys):
    monkeypatch.setattr(progress, "DELAY", 0.05)
    monkeypatch.setenv("KGTOOL_PROGRESS", "1")
    with progress.step("inferring"):
        time.sleep(0.3)
    with progress.step("quick"):
        pass
    err = capsys.readouterr().err
    assert "inferring..." in err and "inferring: done in" in err and "quick" not in err


def test_a_reader_that_goes_away_stops_kgtool_quietly(root):
    """Regression: `kgtool query ... | head` ended with "internal error: BrokenPipeError" and exit 3."""
    kgtool_bin = str(root / ".venv" / "bin" / "kgtool") if (root / ".venv" / "bin" / "kgtool").exists() else "kgtool"
    proc = subprocess.Popen([kgtool_bin, "--project", str(root), "query", "source-list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # no reader: the first write fails with EPIPE
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr


def test_the_file_index_trusts_a_hash_only_for_an_unchanged_settled_file(tmp_path):
    load_module = importlib.import_module("kgtool.load")
    cache = tmp_path / "cache"
    settled, fresh = tmp_path / "settled.ttl", tmp_path / "fresh.ttl"
    settled.write_text("<urn:a> <urn:b> <urn:c> .\n")
    fresh.write_text("<urn:a> <urn:b> <urn:d> .\n")
    past = time.time_ns() - 10 * 10**9
    os.utime(settled, ns=(past, past))
    index = load_module.FileIndex.open(cache)
    index.record("settled.ttl", settled, "sha-settled")
    index.record("fresh.ttl", fresh, "sha-fresh")
    index.save()
    reopened = load_module.FileIndex.open(cache)
    assert reopened.lookup("settled.ttl", settled) == ("sha-settled", settled.stat().st_size)
    assert reopened.lookup("fresh.ttl", fresh) is None, "changed within a second of the index: re-hash (racy)"
    settled.write_text("<urn:a> <urn:b> <urn:changed> .\n")
    os.utime(settled, ns=(past, past))
    assert reopened.lookup("settled.ttl", settled) is None, "a changed size must not reuse the old hash"


def test_a_lazy_load_of_an_unchanged_project_reads_no_file(shipped_copy, monkeypatch):
    load_module = importlib.import_module("kgtool.load")
    past = time.time_ns() - 10 * 10**9
    for path in shipped_copy.rglob("*.ttl"):
        os.utime(path, ns=(past, past))
    first = kgtool.load(shipped_copy, lazy=True)
    reads = []
    real = load_module.read_file
    monkeypatch.setattr(load_module, "read_file", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    second = kgtool.load(shipped_copy, lazy=True)
    assert reads == [] and second.content_hash == first.content_hash
    assert second.input_bytes == first.input_bytes > 0


def test_the_ci_gate_also_infers_and_leaves_the_result_cached(shipped_copy):
    report = kgtool.check(shipped_copy, as_of=TODAY)
    assert report.passes()
    cached = list((shipped_copy / ".kgtool-cache").glob("inferred-*-store*.nt"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0


# ---- body-edge-mismatch, answered by an Aho-Corasick pass instead of names x bodies in SPARQL ----

fastchecks = importlib.import_module("kgtool.fastchecks")
validate_module = importlib.import_module("kgtool.validate")
RULES = __import__("pathlib").Path(__file__).parent / "fixtures" / "rules"


def _check_rows(kg, *, accelerated: bool, check: str = "body-edge-mismatch"):
    from kgtool.engine import OxigraphGraph
    from kgtool.queries import catalog

    target = OxigraphGraph.for_kg(kg, inferred=False)
    query = catalog(kg.project.queries_dir / "checks")[check]
    if accelerated:
        result = fastchecks.accelerated(check, query.text, target.graph_store(), target.union)
        assert result is not None, "the shipped check's text is the one the accelerator is bound to"
    else:
        result = target.run(query.text, name=check)
    return sorted(tuple(str(row[v]) for v in ("focus", "path", "value", "message")) for row in result.rows)


ACCELERATED_CHECKS = ["body-edge-mismatch", "superseded-id-in-use"]


@pytest.mark.parametrize("check", ACCELERATED_CHECKS)
def test_an_accelerated_check_gives_the_sparql_rows_on_the_shipped_graph(root, check):
    kg = kgtool.load(root)
    rows = _check_rows(kg, accelerated=True, check=check)
    assert rows == _check_rows(kg, accelerated=False, check=check)
    if check == "body-edge-mismatch":
        assert len(rows) >= 5


@pytest.mark.parametrize("check", ACCELERATED_CHECKS)
@pytest.mark.parametrize("kind", ["bad", "good"])
def test_an_accelerated_check_gives_the_sparql_rows_on_its_fixtures(make_project, check, kind):
    kg = kgtool.load(make_project({"fixture.ttl": RULES / f"{check}.{kind}.ttl"}))
    rows = _check_rows(kg, accelerated=True, check=check)
    assert rows == _check_rows(kg, accelerated=False, check=check)
    assert bool(rows) == (kind == "bad")


def test_old_ids_written_in_texts_are_found_as_the_sparql_finds_them(shipped_copy):
    """Whole words, inside words, twice in one text, in a rationale: every row, with its
    multiplicity, as the SPARQL gives it."""
    node = shipped_copy / "data" / "vendor" / "vendor.hightouch.ttl"
    text = node.read_text()
    text = text.replace('dcterms:abstract "', 'dcterms:abstract "Was vendor.census; see vendor.census. Not xvendor.census. ', 1)
    text = text.replace('kg:rationale "', 'kg:rationale "Like vendor.census-x and (vendor.census) ', 1)
    text = text.replace('kg:text "', 'kg:text "Formerly vendor.census. ', 1)
    node.write_text(text)
    kg = kgtool.load(shipped_copy)
    rows = _check_rows(kg, accelerated=True, check="superseded-id-in-use")
    assert rows == _check_rows(kg, accelerated=False, check="superseded-id-in-use")
    assert sum("vendor.census" == row[2] for row in rows) >= 2


def test_an_edited_body_check_runs_as_sparql(shipped_copy, monkeypatch):
    before = kgtool.validate(shipped_copy, as_of=TODAY, rules={"body-edge-mismatch"})
    assert before.findings
    check = shipped_copy / "queries" / "checks" / "body-edge-mismatch.rq"
    check.write_text(check.read_text().replace("# fix:", "# note: edited by a user\n# fix:"))

    def stale(*_args):
        raise AssertionError("the accelerator ran for a check whose text changed")

    monkeypatch.setitem(fastchecks.ACCELERATED, "body-edge-mismatch", (fastchecks.ACCELERATED["body-edge-mismatch"][0], stale))
    after = kgtool.validate(shipped_copy, as_of=TODAY, rules={"body-edge-mismatch"})
    assert after.findings == before.findings


def test_the_body_check_falls_back_to_sparql_for_data_it_does_not_model(make_project):
    """A language-tagged body text: GROUP_CONCAT and CONTAINS have their own rules for those."""
    text = (RULES / "body-edge-mismatch.bad.ttl").read_text()
    tagged = text.replace('"Acme CDP collects events and builds audiences."', '"Acme CDP collects events."@en')
    assert tagged != text
    kg = kgtool.load(make_project({"fixture.ttl": tagged}))
    from kgtool.engine import OxigraphGraph

    target = OxigraphGraph.for_kg(kg, inferred=False)
    assert fastchecks.body_edge_mismatch(target.graph_store(), target.union) is None
    fast = kgtool.validate(kg, as_of=TODAY, rules={"body-edge-mismatch"})
    reference = kgtool.validate(kg, as_of=TODAY, rules={"body-edge-mismatch"}, engine="rdflib")
    assert [(f.rule, f.focus, f.value) for f in fast.findings] == [(f.rule, f.focus, f.value) for f in reference.findings]
    assert fast.findings


def test_the_shapes_read_the_graph_from_a_temporary_file_that_is_removed(shipped_copy, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    written = []
    original = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: written.append(original(*a, **k)) or written[-1])
    through_file = kgtool.validate(shipped_copy, as_of=TODAY, full=True)
    assert any(path.endswith(".nt") and path.startswith(str(scratch)) for _fd, path in written)
    assert list(scratch.iterdir()) == [], "the temporary N-Triples file is removed"

    def no_temp(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    in_memory = kgtool.validate(shipped_copy, as_of=TODAY, full=True)
    assert in_memory.findings == through_file.findings and through_file.findings


def test_writing_the_query_cache_leaves_no_temporary_file(shipped_copy, disk_store_always):
    kgtool.query(shipped_copy, name="node-list")
    cache = shipped_copy / ".kgtool-cache"
    assert len(list(cache.glob("query-store-*"))) == 1
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []


def test_a_file_changed_between_hashing_and_parsing_is_an_error_naming_it(shipped_copy):
    from kgtool.errors import InputFileError

    kg = kgtool.load(shipped_copy, lazy=True)
    node = shipped_copy / "data" / "vendor" / "vendor.hightouch.ttl"
    node.write_text(node.read_text() + "\n# edited meanwhile\n")
    with pytest.raises(InputFileError) as caught:
        kg.store
    assert "data/vendor/vendor.hightouch.ttl" in str(caught.value) and "changed while kgtool was reading" in str(caught.value)
