"""Apache Jena 4.5 as an independent oracle for kgtool.

Three comparisons, each run by Jena's own command-line tools (``tests/support/jena.py``):

1. SHACL: Jena's SHACL engine and pyshacl (through ``kgtool.validate.run_shapes``) give the same
   results for the shipped data, for the shipped data with the verbatim seed page, and for every
   ``tests/fixtures/rules/<rule>.bad.ttl`` whose rule is a shape.
2. Syntax: every file under ``ontology/`` and ``data/`` passes ``riot --validate`` with no warning,
   and riot counts as many triples in each file as kgtool's loader.
3. Checks: the ``queries/checks/*.rq`` queries, bound as kgtool binds them, give the same rows in Jena
   ARQ as in kgtool (rdflib) on the shipped data (and on the verbatim-seed variant and on each check
   rule's ``.bad.ttl`` fixture).

Jena reads its own copy of the input: the ontology and the data files are parsed with pyoxigraph (the
parser kgtool uses, with the project's base IRI, so relative IRIs resolve as in kgtool) and written
as one N-Triples file per case, without going through rdflib (which normalises some literals, such as
``"01"^^xsd:integer``).

JVM start-up costs ~0.9 s per Jena call. ``shacl validate`` checks one data graph per run, so the SHACL
comparison takes one JVM per case (53); they are submitted to a small thread pool when the module's
first test starts and run while pyshacl works in the main thread. ``arq.sparql`` takes one query
per run, so the checks go to Jena as ONE query (a UNION of the 15 bound checks as sub-selects, each
tagged with its rule id) run inside ``GRAPH ?g`` over every case loaded as a named graph: one JVM for
all the check comparisons. riot takes many files: one JVM.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import namespace as rdfns

import kgtool
from kgtool.project import find_project
from kgtool.queries import NamedQuery, read_query
from kgtool.sparql import Bindings, SelectResult, coerce, run, values_block, where_brace
from kgtool.vocab import SH
from support.jena import JenaError, jena_available, run_jena, shacl_validate

validate_module = importlib.import_module("kgtool.validate")  # kgtool.validate is the function

pytestmark = pytest.mark.skipif(
    not jena_available(),
    reason="Apache Jena CLI (Debian libapache-jena-java) or java not installed: run scripts/install-system-deps",
)

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "ontology" / "shapes.ttl"
RULES = ROOT / "tests" / "fixtures" / "rules"
CHECKS = ROOT / "queries" / "checks"
SEED_FILE = ROOT / "data" / "org-dim" / "org-dim.operational-profile.engineering-led-cdp.ttl"
SEED_VERBATIM = ROOT / "tests" / "fixtures" / "seed-verbatim.ttl"
SEED_IRI = "https://cdp.composablestack.ai/kg/org-dim.operational-profile.engineering-led-cdp"
AS_OF = date(2026, 11, 26)
STALE_DAYS = 180
BASE = find_project(ROOT).settings.base
RDF_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
# JVM start-up is mostly single-threaded: one more worker than CPUs keeps them busy (measured on 2 CPUs).
JENA_WORKERS = max(2, min(4, (os.cpu_count() or 1) + 1))
RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # kebab-case shapes are rules (tests/fixtures/rules)


# ---------------------------------------------------------------------------------------------------
# Input files and test cases
# ---------------------------------------------------------------------------------------------------

def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _rdf_files(directory: Path) -> list[Path]:
    """The files kgtool loads from a folder (same rule as kgtool.load: .ttl / .nt, no dot files)."""
    return sorted(p for p in directory.rglob("*")
                  if p.is_file() and p.suffix in RDF_FORMATS and not p.name.startswith("."))


ONTOLOGY_FILES = tuple(p for p in _rdf_files(ROOT / "ontology") if not p.stem.startswith("shapes"))
SHIPPED_DATA = tuple(_rdf_files(ROOT / "data"))
SEED_DATA = tuple(SEED_VERBATIM if p == SEED_FILE else p for p in SHIPPED_DATA)


def _shape_names() -> set[str]:
    shapes = Graph().parse(SHAPES, format="turtle")
    names = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(rdfns.RDF.type, kind):
            if isinstance(shape, URIRef):
                names.add(_local_name(str(shape)))
    return names


SHAPE_NAMES = _shape_names()
CHECK_NAMES = {p.stem for p in CHECKS.glob("*.rq")}
BAD_FIXTURES = {p.name.split(".")[0]: p for p in sorted(RULES.glob("*.bad.ttl"))}


@dataclass(frozen=True)
class Case:
    """One data set: the data files that, with the ontology, form the data graph."""

    name: str
    data: tuple[Path, ...]
    rule: str | None = None  # the rule a .bad.ttl fixture breaks

    @property
    def shipped(self) -> bool:
        return self.data == SHIPPED_DATA

    @property
    def files(self) -> tuple[Path, ...]:
        return ONTOLOGY_FILES + self.data


SHIPPED = Case("shipped", SHIPPED_DATA)
SEED_CASE = Case("seed-verbatim", SEED_DATA, rule="node-source")
SHACL_CASES = [SHIPPED, SEED_CASE] + [
    Case(f"rule-{rule}", (path,), rule=rule) for rule, path in BAD_FIXTURES.items() if rule in SHAPE_NAMES]
CHECK_CASES = [SHIPPED, Case("seed-verbatim", SEED_DATA)] + [
    Case(f"rule-{rule}", (path,), rule=rule) for rule, path in BAD_FIXTURES.items() if rule in CHECK_NAMES]


def _load(case: Case, kg: kgtool.KnowledgeGraph) -> tuple[kgtool.KnowledgeGraph, Graph]:
    """kgtool's view of a case (the session ``kg`` for the shipped data) and the data graph as
    ``kgtool.validate`` builds it: ontology + data merged into a fresh graph."""
    loaded = kg if case.shipped else kgtool.load(ROOT, paths=list(case.data))
    read = {ROOT / f.path for f in loaded.files if f.role in ("ontology", "data")}
    assert read == set(case.files), f"kgtool read other files than Jena: {sorted(read ^ set(case.files))}"
    data = Graph()
    for triple in loaded.graph("ontology", "data"):
        data.add(triple)
    return loaded, data


# ---------------------------------------------------------------------------------------------------
# Jena jobs: submitted early to a thread pool, collected by the tests
# ---------------------------------------------------------------------------------------------------

def write_ntriples(files: Iterable[Path], out: Path) -> Path:
    """Parse each file with pyoxigraph (project base IRI) and write all triples as one N-Triples file."""
    with out.open("wb") as handle:
        for path in files:
            quads = ox.parse(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=BASE,
                             without_named_graphs=True)
            ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), handle,
                         ox.RdfFormat.N_TRIPLES)
    return out


class JenaJobs:
    """Jena calls, each run once in a small thread pool; the tests wait for the one they need."""

    def __init__(self, tmp: Path, workers: int) -> None:
        self.tmp = tmp
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jena")
        self.jobs: dict[tuple[str, str], Future] = {}
        self.merged: dict[tuple[Path, ...], Path] = {}
        self.lock = threading.RLock()

    def merged_file(self, case: Case) -> Path:
        """The case's ontology + data as one N-Triples file (written once per set of files)."""
        with self.lock:
            if case.files not in self.merged:
                out = self.tmp / f"{len(self.merged):03d}-{case.name}.nt"
                self.merged[case.files] = write_ntriples(case.files, out)
            return self.merged[case.files]

    def _submit(self, key: tuple[str, str], fn: Callable[..., Any], *args: Any) -> Future:
        with self.lock:
            if key not in self.jobs:
                self.jobs[key] = self.pool.submit(fn, *args)
            return self.jobs[key]

    def shacl(self, case: Case) -> Future:
        """``shacl validate``: one JVM per case (the CLI validates one data graph per run)."""
        return self._submit(("shacl", case.name), shacl_validate, SHAPES, self.merged_file(case))

    def riot(self) -> Future:
        return self._submit(("riot", ""), riot_all, RIOT_FILES)

    def checks(self, *cases: Case) -> dict[str, Future]:
        """All checks on all the cases not yet submitted in ONE ``arq.sparql`` run: each case's data is
        a named graph (named by its file's URI) and the combined query runs inside ``GRAPH ?g``.
        Returns case name -> future of {graph URI: SPARQL JSON bindings}."""
        with self.lock:
            todo = [c for c in cases if ("checks", c.name) not in self.jobs]
            if todo:
                graphs = sorted({self.merged_file(c).as_uri() for c in todo})
                future = self.pool.submit(run_checks_in_jena, graphs)
                for case in todo:
                    self.jobs[("checks", case.name)] = future
            return {c.name: self.jobs[("checks", c.name)] for c in cases}


@pytest.fixture(scope="module")
def jena(request, tmp_path_factory):
    """The module's Jena jobs. Every job the selected tests of this module will need is submitted at
    once (in test order), so the JVMs run while the main thread runs pyshacl and rdflib."""
    jobs = JenaJobs(tmp_path_factory.mktemp("jena"), JENA_WORKERS)
    if not hasattr(request.config, "workerinput"):  # under pytest-xdist, submit lazily instead
        this = Path(__file__).resolve()
        check_cases = []
        for item in request.session.items:
            if Path(str(item.path)).resolve() != this:
                continue
            params = getattr(getattr(item, "callspec", None), "params", {})
            if "shacl_case" in params:
                jobs.shacl(params["shacl_case"])
            elif "check_case" in params:
                check_cases.append(params["check_case"])
            elif getattr(item, "originalname", "") == "test_riot_validates_every_ontology_and_data_file":
                jobs.riot()
        if check_cases:
            jobs.checks(*check_cases)
    yield jobs
    jobs.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------------
# Comparable forms of RDF terms
# ---------------------------------------------------------------------------------------------------

_NUMERIC = {str(rdfns.XSD[t]) for t in (
    "decimal", "integer", "int", "long", "short", "byte", "nonNegativeInteger", "nonPositiveInteger",
    "positiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "double", "float")}


def literal_key(lexical: str, datatype: str | None = None, lang: str | None = None) -> str:
    """A literal by its lexical form; numbers by value (0.50 == 0.5, 01 == 1), booleans 1 == true."""
    if datatype in _NUMERIC:
        try:
            number = Decimal(lexical.strip())
            if number.is_finite():
                lexical = "0" if number == 0 else format(number.normalize(), "f")
        except InvalidOperation:
            pass  # ill-typed: keep the lexical form
    elif datatype == str(rdfns.XSD.boolean) and lexical.strip() in ("1", "0"):
        lexical = "true" if lexical.strip() == "1" else "false"
    return f'"{lexical}"' + (f"@{lang.lower()}" if lang else "")


def path_key(term, graph: Graph, depth: int = 0) -> str | None:
    """A SHACL path: an IRI as <iri>; a blank-node path structurally (lists, inverse, ...)."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return literal_key(str(term), str(term.datatype) if term.datatype else None, term.language)
    if depth > 20:
        return "[...]"
    if (term, rdfns.RDF.first, None) in graph:  # an RDF list (sequence path)
        items = []
        node = term
        while node is not None and node != rdfns.RDF.nil and len(items) < 100:
            items.append(path_key(graph.value(node, rdfns.RDF.first), graph, depth + 1))
            node = graph.value(node, rdfns.RDF.rest)
        return "(" + " ".join(str(i) for i in items) + ")"
    pairs = sorted(f"{path_key(p, graph, depth + 1)} {path_key(o, graph, depth + 1)}"
                   for p, o in graph.predicate_objects(term))
    return "[" + " ; ".join(pairs) + "]"


def node_key(term) -> str | None:
    """A focus node or value. Blank nodes cannot be matched across engines: all are "_:"."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return "_:"
    return literal_key(str(term), str(term.datatype) if term.datatype else None, term.language)


def json_key(term: dict[str, str] | None) -> str | None:
    """A term of SPARQL 1.1 JSON results (Jena ARQ), in the form of :func:`node_key`."""
    if term is None:
        return None
    if term["type"] == "uri":
        return f"<{term['value']}>"
    if term["type"] == "bnode":
        return "_:"
    return literal_key(term["value"], term.get("datatype"), term.get("xml:lang"))


def _local(term) -> str:
    return _local_name(str(term)) if isinstance(term, URIRef) else f"(blank node {term!r})"


def _show(items: Iterable[tuple]) -> str:
    lines = ["    " + "  ".join("-" if x is None else str(x) for x in item) for item in sorted(items, key=str)]
    return "\n".join(lines) or "    (none)"


def _differences(label: str, kgtool_side: Counter, jena_side: Counter) -> str:
    return (f"{label}\n  only in kgtool/pyshacl/rdflib:\n{_show((kgtool_side - jena_side).elements())}"
            f"\n  only in Jena:\n{_show((jena_side - kgtool_side).elements())}")


# ---------------------------------------------------------------------------------------------------
# 1. SHACL: Jena's engine vs pyshacl through kgtool.validate.run_shapes
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShResult:
    focus: str | None
    path: str | None
    severity: str
    shape: str
    component: str
    value: str | None

    def core(self) -> tuple:
        return (self.focus, self.path, self.severity, self.shape)


def report_results(report: Graph) -> tuple[bool | None, list[ShResult]]:
    """sh:conforms and the top-level results of a validation report (not nested sh:detail results)."""
    nodes = list(report.subjects(rdfns.RDF.type, SH.ValidationReport))
    assert len(nodes) == 1, f"expected one sh:ValidationReport, found {len(nodes)}"
    conforms = report.value(nodes[0], SH.conforms)
    results = []
    for result in report.objects(nodes[0], SH.result):
        severity = report.value(result, SH.resultSeverity)
        results.append(ShResult(
            focus=node_key(report.value(result, SH.focusNode)),
            path=path_key(report.value(result, SH.resultPath), report),
            severity=_local(severity).lower() if severity is not None else "(none)",
            shape=_local(report.value(result, SH.sourceShape)),
            component=_local(report.value(result, SH.sourceConstraintComponent)),
            value=node_key(report.value(result, SH.value)),
        ))
    return (conforms.toPython() if isinstance(conforms, Literal) else None), results


def finding_tuples(findings: list, report: Graph) -> Counter:
    """(focus, path, severity, rule) of kgtool's findings, in the form of :meth:`ShResult.core`."""
    out: Counter = Counter()
    for f in findings:
        focus = "_:" if f.focus.startswith("_:") else f"<{f.focus}>"
        path = None
        if f.path is not None:
            path = f"<{f.path}>"
            for term in (URIRef(f.path), BNode(f.path)):
                if (None, SH.resultPath, term) in report:
                    path = path_key(term, report)
                    break
        out[(focus, path, f.severity, f.rule)] += 1
    return out


@pytest.mark.parametrize("shacl_case", SHACL_CASES, ids=[c.name for c in SHACL_CASES])
def test_jena_shacl_gives_the_same_results_as_pyshacl(shacl_case: Case, jena, kg):
    jena_future = jena.shacl(shacl_case)
    loaded, data = _load(shacl_case, kg)
    findings, py_report = validate_module.run_shapes(loaded, data)
    jena_report = Graph().parse(data=jena_future.result(), format="turtle")

    py_conforms, py_results = report_results(py_report)
    jena_conforms, jena_results = report_results(jena_report)
    kgtool_core = finding_tuples(findings, py_report)
    jena_core = Counter(r.core() for r in jena_results)
    assert set(kgtool_core) == set(jena_core), _differences(
        f"{shacl_case.name}: (focus, path, severity, source shape) differ between kgtool and Jena",
        kgtool_core, jena_core)
    # Stricter: the same number of results, with the same constraint component and value.
    py_detail = Counter((r.focus, r.path, r.severity, r.shape, r.component, r.value) for r in py_results)
    jena_detail = Counter((r.focus, r.path, r.severity, r.shape, r.component, r.value) for r in jena_results)
    assert py_detail == jena_detail, _differences(
        f"{shacl_case.name}: (focus, path, severity, shape, component, value) results differ", py_detail, jena_detail)
    assert py_conforms == jena_conforms == (not jena_results)
    assert kgtool_core == Counter(r.core() for r in py_results), "kgtool's findings do not match pyshacl's report"

    # Jena on its own confirms what the case is about.
    if shacl_case.shipped:
        assert [r for r in jena_results if r.severity == "violation"] == []
    elif shacl_case is SEED_CASE:
        assert SEED_FILE in SHIPPED_DATA and SEED_VERBATIM in SEED_DATA
        violations = {(r.focus, r.shape) for r in jena_results if r.severity == "violation"}
        assert violations == {(f"<{SEED_IRI}>", "node-source")}
    else:
        assert shacl_case.rule in {r.shape for r in jena_results}, f"Jena: {shacl_case.rule} does not fire"


def test_every_shape_rule_fixture_is_compared():
    compared = {c.rule for c in SHACL_CASES if c.name.startswith("rule-")}
    rule_shapes = {n for n in SHAPE_NAMES if RULE_ID.match(n)}
    assert rule_shapes <= compared, f"shape rules without a .bad.ttl fixture: {sorted(rule_shapes - compared)}"


# ---------------------------------------------------------------------------------------------------
# 2. riot --validate on every file of ontology/ and data/
# ---------------------------------------------------------------------------------------------------

RIOT_FILES = tuple(sorted(p for d in ("ontology", "data") for p in (ROOT / d).rglob("*") if p.is_file()))
_RIOT_FILE = re.compile(r"\bINFO\b.*\bFile: (?P<path>.+?)\s*$")
_RIOT_COUNT = re.compile(r"^(?P<uri>\S+) : Triples = (?P<count>[\d,]+)\s*$")
_RIOT_PROBLEM = re.compile(r"\b(?:WARN|ERROR)\b")


@dataclass(frozen=True)
class RiotRun:
    returncode: int
    output: str
    problems: dict[str, list[str]]  # file -> WARN / ERROR lines
    seen: set[str]  # files riot announced
    counts: dict[str, int]  # file -> triples


def riot_all(files: tuple[Path, ...]) -> RiotRun:
    """One JVM: ``riot --validate --count F1 F2 ...``; riot logs ``File: <path>`` before each file."""
    uris = [p.resolve().as_uri() for p in files]
    proc = run_jena("riotcmd.riot", "--validate", "--count", *uris, timeout=300)
    output = proc.stdout + proc.stderr
    by_path = {}
    for p in files:
        by_path[str(p.resolve())] = by_path[p.resolve().as_uri()] = str(p.resolve())
    current = str(files[0].resolve()) if len(files) == 1 else "(before the first file)"
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for line in output.splitlines():
        if m := _RIOT_FILE.search(line):
            current = by_path.get(m.group("path"), m.group("path"))
            seen.add(current)
        elif m := _RIOT_COUNT.match(line):
            counts[by_path.get(m.group("uri"), m.group("uri"))] = int(m.group("count").replace(",", ""))
        elif _RIOT_PROBLEM.search(line):
            problems.setdefault(current, []).append(line)
    return RiotRun(proc.returncode, output, problems, seen, counts)


def test_riot_validates_every_ontology_and_data_file(jena, kg):
    assert SHAPES in RIOT_FILES and set(SHIPPED_DATA) <= set(RIOT_FILES)
    result: RiotRun = jena.riot().result()
    report = "\n".join(f"{f}:\n    " + "\n    ".join(lines) for f, lines in result.problems.items())
    assert not result.problems, f"riot --validate reported problems:\n{report}"
    assert result.returncode == 0, result.output[-3000:]
    expected = {str(p.resolve()) for p in RIOT_FILES}
    if len(RIOT_FILES) > 1:
        assert result.seen == expected, f"riot did not read: {sorted(expected - result.seen)}"
    # riot and kgtool's loader (pyoxigraph) count the same triples in each file.
    kgtool_counts = {str(ROOT / f.path): f.triples for f in kg.files}
    assert set(kgtool_counts) <= expected, "kgtool loads files outside ontology/ and data/"
    assert {f: result.counts.get(f) for f in kgtool_counts} == kgtool_counts


# ---------------------------------------------------------------------------------------------------
# 3. Check queries: Jena ARQ vs kgtool (rdflib) on the same bound text
# ---------------------------------------------------------------------------------------------------

_PREFIX = re.compile(r"^[ \t]*PREFIX[ \t]+([A-Za-z][\w.-]*)?:[ \t]*<([^>]*)>[ \t]*$", re.M | re.I)
_ROW_VARS = ("focus", "path", "value")


def check_queries() -> dict[str, NamedQuery]:
    return {p.stem: read_query(p) for p in sorted(CHECKS.glob("*.rq"))}


def bound_check(query: NamedQuery) -> str:
    """The check's text with its parameters bound as ``kgtool.validate.run_checks`` binds them."""
    fixed = {"asOf": [Literal(AS_OF.isoformat(), datatype=rdfns.XSD.date)], "staleDays": [Literal(STALE_DAYS)]}
    bindings = Bindings()
    for param in query.params:
        if param.name in fixed:
            bindings.values[param.name] = fixed[param.name]
        else:  # a check's own parameter (low-confidence's minConfidence): its default, as kgtool does
            assert param.default is not None, f"{query.name}: parameter {param.name} has no default"
            bindings.values[param.name] = [coerce(param, param.default, index=None, query=query.name)]
    block = values_block(bindings)
    if not block:
        return query.text
    at = where_brace(query.text)
    return query.text[:at] + block + query.text[at:]


_COMBINED: list[str] = []


def combined_check_query() -> str:
    """All checks in one SELECT, run on each named graph::

        SELECT ?g ?rule ?focus ?path ?value ?message
        WHERE { GRAPH ?g { { { <check 1> } BIND("<rule 1>" AS ?rule) } UNION ... } }

    Each check keeps its own bound text (a sub-select); its PREFIX lines move to the top."""
    if not _COMBINED:
        prefixes: dict[str, str] = {}
        parts = []
        for name, query in check_queries().items():
            text = bound_check(query)
            for m in _PREFIX.finditer(text):
                prefix, namespace = m.group(1) or "", m.group(2)
                assert prefixes.setdefault(prefix, namespace) == namespace, \
                    f"{name}: PREFIX {prefix}: <{namespace}> clashes with <{prefixes[prefix]}> of another check"
            body = _PREFIX.sub("", text)
            assert not re.search(r"^\s*BASE\b", body, re.M | re.I), f"{name}: BASE is not supported here"
            parts.append(f"    {{\n      {{\n{body}\n      }}\n      BIND({Literal(name).n3()} AS ?rule)\n    }}")
        head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
        _COMBINED.append(head + "SELECT ?g ?rule ?focus ?path ?value ?message\nWHERE {\n  GRAPH ?g {\n"
                         + "\n    UNION\n".join(parts) + "\n  }\n}\n")
    return _COMBINED[0]


def run_checks_in_jena(graph_uris: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``arq.sparql --namedGraph G1 --namedGraph G2 ... --results=json <combined query>``."""
    args = [arg for uri in graph_uris for arg in ("--namedGraph", uri)]
    proc = run_jena("arq.sparql", *args, "--results=json", combined_check_query(), timeout=300)
    if proc.returncode != 0:
        raise JenaError("arq.sparql failed", proc)
    results = json.loads(proc.stdout)
    by_graph: dict[str, list[dict[str, Any]]] = {uri: [] for uri in graph_uris}
    for binding in results["results"]["bindings"]:
        by_graph[binding["g"]["value"]].append(binding)
    return by_graph


def kgtool_check_rows(data: Graph) -> dict[str, Counter]:
    rows: dict[str, Counter] = {}
    for name, query in check_queries().items():
        result = run(data, bound_check(query), name=name)
        assert isinstance(result, SelectResult), name
        counter = rows.setdefault(name, Counter())
        for row in result.rows:
            if all(v is None for v in row.values()):
                continue  # kgtool skips the empty row of an aggregate over no solutions
            counter[tuple(node_key(row.get(v)) for v in _ROW_VARS)] += 1
    return rows


def jena_check_rows(bindings: list[dict[str, Any]]) -> dict[str, Counter]:
    rows: dict[str, Counter] = {name: Counter() for name in check_queries()}
    for binding in bindings:
        if all(binding.get(v) is None for v in (*_ROW_VARS, "message")):
            continue
        rows[binding["rule"]["value"]][tuple(json_key(binding.get(v)) for v in _ROW_VARS)] += 1
    return rows


@pytest.mark.parametrize("check_case", CHECK_CASES, ids=[c.name for c in CHECK_CASES])
def test_check_queries_give_the_same_rows_in_jena_arq(check_case: Case, jena, kg):
    jena_future = jena.checks(check_case)[check_case.name]
    _, data = _load(check_case, kg)
    ours = kgtool_check_rows(data)
    theirs = jena_check_rows(jena_future.result()[jena.merged_file(check_case).as_uri()])
    differing = sorted(name for name in ours if set(ours[name]) != set(theirs[name]))
    assert not differing, "\n".join(_differences(f"{check_case.name}: check {name}: (focus, path, value) rows differ",
                                                 ours[name], theirs[name]) for name in differing)
    duplicated = sorted(name for name in ours if ours[name] != theirs[name])
    assert not duplicated, "\n".join(_differences(f"{check_case.name}: check {name}: row multiplicities differ",
                                                  ours[name], theirs[name]) for name in duplicated)
    if check_case.rule is not None:
        assert theirs[check_case.rule], f"Jena: {check_case.rule} finds nothing in its .bad.ttl fixture"
    if check_case.shipped:
        fired = {name for name, rows in theirs.items() if rows}
        assert {"stale", "body-edge-mismatch"} <= fired  # the known warnings: the comparison is not vacuous


def test_the_combined_query_holds_every_check():
    text = combined_check_query()
    assert len(CHECK_NAMES) == 16
    assert all(f'BIND("{name}" AS ?rule)' in text for name in CHECK_NAMES)
    assert "GRAPH ?g" in text


def test_comparison_keys_normalise_numbers_and_compare_paths_structurally():
    decimal, integer = str(rdfns.XSD.decimal), str(rdfns.XSD.integer)
    assert literal_key("0.50", decimal) == literal_key("0.5", decimal) == '"0.5"'
    assert literal_key("01", integer) == literal_key("+1", integer) == literal_key("1.0", decimal)
    assert literal_key("abc", integer) == '"abc"' != literal_key("0.5")
    assert json_key({"type": "literal", "value": "0.60", "datatype": decimal}) == node_key(
        Literal("0.6", datatype=rdfns.XSD.decimal))
    assert json_key({"type": "uri", "value": SEED_IRI}) == node_key(URIRef(SEED_IRI))
    # [ sh:inversePath ex:p ] and ( ex:p ex:q ) from two different graphs compare equal
    turtle = ("@prefix sh: <http://www.w3.org/ns/shacl#> . <urn:{s}> <urn:path> [ sh:inversePath <urn:p> ] ; "
              "<urn:seq> ( <urn:p> <urn:q> ) .")
    one = Graph().parse(data=turtle.format(s="r"), format="turtle")
    two = Graph().parse(data=turtle.format(s="x"), format="turtle")
    for prop in (URIRef("urn:path"), URIRef("urn:seq")):
        assert path_key(one.value(URIRef("urn:r"), prop), one) == path_key(two.value(URIRef("urn:x"), prop), two)
    assert path_key(one.value(URIRef("urn:r"), URIRef("urn:seq")), one) == "(<urn:p> <urn:q>)"
