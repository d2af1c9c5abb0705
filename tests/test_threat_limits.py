"""Threat: inputs that make kgtool do unbounded work or print what a terminal acts on (issue 13):
size limits checked before reading, a byte-order mark accepted, raw bytes never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[1] / "data" / "vendor" / "vendor.hightouch.ttl"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(make_project, cli, monkeypatch):
    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    big = project / "data" / "vendor" / "big.ttl"
    with big.open("wb") as handle:  # sparse: 3 GiB of nothing, which must never be read
        handle.truncate(3 * 2**30)
    opened = []
    real_read = Path.read_bytes

    def watch(self):
        if self.name == "big.ttl":
            opened.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", watch)
    for command in (["info"], ["validate"], ["fmt", "--check"]):
        result = cli("--project", str(project), *command)
        assert result.exit_code == 3, (command, result.output)
        assert "data/vendor/big.ttl" in result.stderr and "max-file-bytes" in result.stderr
    assert opened == []


def test_the_limits_are_settings(make_project, cli, monkeypatch):
    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    path = project / "data" / "vendor" / "vendor.hightouch.ttl"
    path.write_bytes(VENDOR.read_bytes() + b"# " + b"x" * 200_000 + b"\n")  # larger than any ontology file
    size = path.stat().st_size
    monkeypatch.setenv("KGTOOL_MAX_FILE_BYTES", str(size - 1))
    result = cli("--project", str(project), "info")
    assert result.exit_code == 3 and "vendor.hightouch.ttl" in result.stderr and "max-file-bytes" in result.stderr
    monkeypatch.setenv("KGTOOL_MAX_FILE_BYTES", str(size))
    assert cli("--project", str(project), "info").exit_code == 0
    monkeypatch.setenv("KGTOOL_MAX_PROJECT_BYTES", str(size))  # the ontology and shapes come first
    result = cli("--project", str(project), "info")
    assert result.exit_code == 3 and "max-project-bytes" in result.stderr
    monkeypatch.setenv("KGTOOL_MAX_PROJECT_BYTES", "lots")
    result = cli("--project", str(project), "info")
    assert result.exit_code == 3 and "max-project-bytes must be a positive number" in result.stderr


def test_a_byte_order_mark_is_accepted_and_fmt_drops_it(make_project, cli):
    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    path = project / "data" / "vendor" / "vendor.hightouch.ttl"
    path.write_bytes(b"\xef\xbb\xbf" + VENDOR.read_bytes())
    for engine in ("oxigraph", "rdflib"):
        info = cli("--project", str(project), "--engine", engine, "info")
        assert info.exit_code == 0, info.output
    check = cli("--project", str(project), "fmt", "--check")
    assert check.exit_code == 1 and "vendor.hightouch.ttl" in check.output
    assert cli("--project", str(project), "fmt").exit_code == 0
    assert path.read_bytes() == VENDOR.read_bytes()


@pytest.mark.parametrize("raw", [b"\x00", b"\x1b[2J\x1b]0;pwned\x07", b"\xe2\x80\xae"])
def test_raw_control_bytes_are_shown_escaped_in_messages(make_project, cli, raw):
    project = make_project({"vendor/x.ttl": b"@prefix ex: <https://example.org/> .\nex:a ex:b " .decode()})
    path = project / "data" / "vendor" / "x.ttl"
    path.write_bytes(b"@prefix ex: <https://example.org/> .\nex:a ex:b " + raw + b"oops .\n")
    result = cli("--project", str(project), "validate")
    assert result.exit_code == 3, result.output
    assert "data/vendor/x.ttl:2:" in result.stderr
    for byte in ("\x00", "\x1b", "\x07", "\u202e"):
        assert byte not in result.stderr


# -- time limits: kgtool query --timeout, on both engines ---------------------------------------

PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }\n"
REDOS = 'SELECT ?s WHERE { VALUES ?s { "%s!" } FILTER(REGEX(?s, "^(a+)+$")) }\n' % ("a" * 32)  # ~2 min in Python's re


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_a_cartesian_product_is_stopped_at_the_time_limit(make_project, tmp_path, engine):
    """Regression: the CLI had no query time limit; a product of five triple patterns ran until killed.
    (A subprocess: on pyoxigraph the abandoned evaluation runs on until its process ends.)"""
    import subprocess
    import sys

    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    query = tmp_path / "product.rq"
    query.write_text(PRODUCT)
    kgtool = Path(sys.executable).with_name("kgtool")
    done = subprocess.run([str(kgtool), "--project", str(project), "--engine", engine, "query", "--timeout", "1",
                           "--file", str(query)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "ran longer than the 1 s limit" in done.stderr and "--timeout" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_catastrophic_regular_expression_is_stopped_on_the_reference_engine(make_project, cli, tmp_path):
    """Regression: rdflib's REGEX is Python's backtracking re, which holds the interpreter: ``^(a+)+$``
    on 32 characters ran for minutes whatever the limit. The reference engine's evaluation runs in a
    child process that is killed at the limit."""
    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    query = tmp_path / "redos.rq"
    query.write_text(REDOS)
    result = cli("--project", str(project), "--engine", "rdflib", "query", "--timeout", "1", "--file", str(query))
    assert result.exit_code == 3, result.output
    assert "ran longer than the 1 s limit" in result.stderr
    # the default engine's regular expressions are linear: the same query answers at once
    result = cli("--project", str(project), "query", "--timeout", "5", "--file", str(query))
    assert result.exit_code == 0 and "0 rows" in result.output


def test_queries_have_a_time_limit_by_default(make_project, monkeypatch, tmp_path):
    import kgtool
    from kgtool import api
    from kgtool.errors import QueryTimeout

    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    monkeypatch.setattr(api, "DEFAULT_QUERY_TIMEOUT", 1.0)
    with pytest.raises(QueryTimeout, match="1 s limit"):
        kgtool.query(project, text=REDOS, engine="rdflib")


def test_the_reference_engine_answers_and_fails_as_before_within_its_limit(make_project):
    """The child process hands back rows and errors unchanged."""
    import kgtool
    from kgtool.errors import KgtoolError

    project = make_project({"vendor/vendor.hightouch.ttl": VENDOR})
    text = "SELECT ?t WHERE { ?v <http://purl.org/dc/terms/title> ?t }"
    rows = kgtool.query(project, text=text, engine="rdflib").rows
    assert len(rows) == 2 and sorted(rows, key=repr) == sorted(kgtool.query(project, text=text).rows, key=repr)
    with pytest.raises(KgtoolError):
        kgtool.query(project, text="SELECT * WHERE { ?s ?p }", engine="rdflib")
