"""Validation: SHACL completeness shapes (pyshacl) plus the quality checks in ``queries/checks/``.

Both produce :class:`Finding` objects with a stable rule id (the local name of the SHACL shape, or
the check's file name), a severity, the focus node, the path, the value and a message that says what
to do. Shapes and checks are inspected before they run: a dataset clause, SERVICE or an update in a
SHACL-SPARQL constraint is refused, and so is a SHACL term that does not exist (a typo such as
``sh:minCont`` would otherwise pass silently).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from . import progress
from .errors import KgtoolError, ShapesError, UsageError
from .load import KnowledgeGraph
from .terms import to_rdflib
from .queries import NamedQuery, catalog
from .netguard import offline
from .sparql import Bindings, SelectResult, bound_text, check_query, coerce, remember_verdicts, run
from .vocab import KG, SH

RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # shapes named in kebab case are rules; others are helpers
# Shapes that passed pySHACL's meta-SHACL check in this process (by content): it costs ~0.5 s a run.
_META_SHACL_PASSED: set[str] = set()
SEVERITY_ORDER = {"violation": 0, "warning": 1, "info": 2}
_SH_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_SHACL_QUERY_PROPS = (SH.select, SH.ask, SH.construct, SH.update)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    focus: str
    node: str | None
    path: str | None
    value: str | None
    message: str
    file: str | None
    line: int | None
    kind: str  # "shape" or "check"


@dataclass
class ValidationReport:
    findings: list[Finding]
    as_of: date
    shacl_report: Graph = field(repr=False, default_factory=Graph)
    incremental: "object | None" = field(default=None, compare=False)  # kgtool.incremental.Incremental

    def __post_init__(self) -> None:
        # one line per problem: a property shape whose sh:minInclusive and sh:maxInclusive both fail on
        # one value (an ill-typed literal fails every comparison) gives two identical results
        self.findings = list(dict.fromkeys(self.findings))

    def counts(self) -> dict[str, int]:
        counter = Counter(f.severity for f in self.findings)
        return {s: counter.get(s, 0) for s in SEVERITY_ORDER}

    def failing(self, threshold: str) -> list[Finding]:
        """Findings at or above ``threshold`` (violation, warning or info)."""
        if threshold not in SEVERITY_ORDER:
            raise UsageError(f"unknown severity {threshold!r}", hint="use violation, warning or info")
        limit = SEVERITY_ORDER[threshold]
        return [f for f in self.findings if SEVERITY_ORDER[f.severity] <= limit]

    def passes(self, threshold: str = "violation") -> bool:
        return not self.failing(threshold)


def _local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1]
    return iri


def shacl_vocabulary() -> set[URIRef]:
    """Every term the SHACL vocabulary defines (from the copy pySHACL ships)."""
    import pyshacl

    path = Path(pyshacl.__file__).parent / "assets" / "shacl.ttl"
    graph = Graph().parse(path, format="turtle")
    return {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(str(SH))}


def check_shapes(shapes: Graph, kg: KnowledgeGraph) -> None:
    """Refuse shapes that are broken or unsafe, naming the file and the shape."""
    known = shacl_vocabulary()
    shape_files = [f.path for f in kg.files if f.role == "shapes"] or ["(no shapes file)"]
    where = ", ".join(shape_files)
    for s, p, o in shapes:
        for term in (p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(SH)) and term not in known:
                raise ShapesError(f"{where}: shape {_shape_name(s)} uses {term.n3(shapes.namespace_manager)}, "
                                  "which is not a SHACL term", hint="fix the spelling; unknown terms would be ignored silently")
        if p in _SHACL_QUERY_PROPS:
            try:
                check_query(_with_shacl_prefixes(str(o), shapes, s))
            except KgtoolError as exc:
                raise ShapesError(f"{where}: shape {_shape_name(s)}: {exc.message}") from None
    for shape in set(shapes.subjects(SH.severity, None)):
        for severity in shapes.objects(shape, SH.severity):
            if severity not in _SH_SEVERITY:
                raise ShapesError(f"{where}: shape {_shape_name(shape)} has unknown severity {severity}")


def _shape_name(shape) -> str:
    return _local_name(str(shape)) if isinstance(shape, URIRef) else "(blank node)"


def _with_shacl_prefixes(text: str, shapes: Graph, shape) -> str:
    """A SHACL-SPARQL query with the prefixes its shape declares (sh:prefixes), for checking."""
    declarations = []
    for holder in shapes.objects(shape, SH.prefixes):
        for decl in shapes.objects(holder, SH.declare):
            prefix = shapes.value(decl, SH.prefix)
            namespace = shapes.value(decl, SH.namespace)
            if prefix is not None and namespace is not None:
                declarations.append(f"PREFIX {prefix}: <{namespace}>")
    text = text.replace("$this", "?this").replace("$currentShape", "?currentShape").replace("$shapesGraph", "?shapesGraph")
    return "\n".join(declarations) + "\n" + text


def _node_of(focus: URIRef, graph: Graph) -> URIRef:
    """The node a finding belongs to: a relation belongs to its subject, a section to its page."""
    subject = graph.value(focus, KG.subject)
    if isinstance(subject, URIRef):
        return subject
    if "#" in str(focus):
        return URIRef(str(focus).split("#", 1)[0])
    return focus


def _identifier(node: URIRef, graph: Graph) -> str | None:
    value = graph.value(node, DCTERMS.identifier)
    return str(value) if value is not None else None


def _finding(kg: KnowledgeGraph, graph: Graph, *, rule: str, severity: str, focus, path, value, message: str,
             kind: str) -> Finding:
    focus_text = str(focus) if not isinstance(focus, BNode) else f"_:{focus}"
    node = _node_of(focus, graph) if isinstance(focus, URIRef) else None
    location = kg.location(focus) if isinstance(focus, URIRef) else None
    if location is None and node is not None:
        location = kg.location(node)
    return Finding(
        rule=rule, severity=severity, focus=focus_text,
        node=_identifier(node, graph) if node is not None else None,
        path=str(path) if path is not None else None,
        value=(str(value) if not isinstance(value, BNode) else "(blank node)") if value is not None else None,
        message=message, file=location[0] if location else None, line=location[1] if location else None,
        kind=kind,
    )


def run_shapes(kg: KnowledgeGraph, data: Graph) -> tuple[list[Finding], Graph]:
    import pyshacl

    shapes = kg.shapes
    if len(shapes) == 0:
        return [], Graph()
    check_shapes(shapes, kg)
    shapes_key = hashlib.sha256("".join(f.sha256 for f in kg.files if f.role == "shapes").encode()).hexdigest()
    try:
        # SHACL-SPARQL constraints are queries from a pull request: evaluated where no socket opens.
        conforms, report, _text = offline(
            pyshacl.validate, data, shacl_graph=shapes, inference="none", advanced=True,
            meta_shacl=shapes_key not in _META_SHACL_PASSED,
            allow_warnings=False, allow_infos=False, abort_on_first=False,
        )
    except Exception as exc:  # pyshacl raises its own errors for shapes it cannot load
        where = ", ".join(f.path for f in kg.files if f.role == "shapes")
        raise ShapesError(f"{where}: the shapes cannot be used: {exc}") from None
    if isinstance(report, Literal) or not isinstance(report, Graph):
        raise ShapesError("pyshacl returned no validation report")
    if (None, RDF.type, SH.ValidationReport) not in report:
        # meta-SHACL failure: pyshacl validates the shapes graph first and reports on it instead
        raise ShapesError("the shapes graph is not valid SHACL: " + str(_text)[:500])
    _META_SHACL_PASSED.add(shapes_key)
    findings = []
    report_node = report.value(None, RDF.type, SH.ValidationReport, any=True)
    # Only top-level results: pyshacl also types the nested sh:detail results of sh:node failures.
    for result in report.objects(report_node, SH.result):
        shape = report.value(result, SH.sourceShape)
        rule = _shape_name(shape) if isinstance(shape, URIRef) else str(report.value(result, SH.sourceConstraintComponent))
        severity = _SH_SEVERITY.get(report.value(result, SH.resultSeverity), "violation")
        message = report.value(result, SH.resultMessage)
        findings.append(_finding(
            kg, data, rule=rule, severity=severity, focus=report.value(result, SH.focusNode),
            path=report.value(result, SH.resultPath), value=report.value(result, SH.value),
            message=str(message) if message is not None else f"fails {rule}", kind="shape"))
    return findings, report


@dataclass(frozen=True)
class ShapeResult:
    """A finding of the ``shacl`` package with what its report says beyond the finding (for the report
    graph, and for the incremental cache): the shape and component IRIs and the value as N-Triples."""

    finding: Finding
    shape: str | None
    component: str | None
    value: str | None

    def to_json(self) -> dict:
        return {"finding": asdict(self.finding), "shape": self.shape, "component": self.component, "value": self.value}

    @classmethod
    def from_json(cls, data: dict) -> "ShapeResult":
        return cls(Finding(**data["finding"]), data["shape"], data["component"], data["value"])


def run_shapes_fast(kg: KnowledgeGraph, data: "Graph | StoreLookup") -> tuple[list[Finding], Graph]:
    """The same shapes through the PyPI ``shacl`` package (a compiled SHACL Core engine, ~20x faster).

    Equal to pySHACL on the shipped graph and on every rule fixture (tested). Shapes that use
    SHACL-SPARQL fall back to pySHACL, the reference.
    """
    shapes = kg.shapes
    if len(shapes) == 0:
        return [], Graph()
    if (None, SH.sparql, None) in shapes:
        return run_shapes(kg, kg.graph("ontology", "data"))
    results = shape_results(kg, data)
    return [r.finding for r in results], shape_report(results)


def shape_results(kg: KnowledgeGraph, data: "Graph | StoreLookup", ntriples: str | None = None, *,
                  keep: Callable[[object], bool] | None = None) -> list[ShapeResult]:
    """Run the (SHACL Core) shapes with the ``shacl`` package over ``ntriples`` (N-Triples text), or
    over ``kg``'s ontology + data, which the store writes to a temporary file that the engine reads
    (no copy of the graph as a Python string: 3.6 GB less at 100k nodes). ``keep`` (given a focus
    term) drops the results the caller does not want before they are built."""
    shapes = kg.shapes
    check_shapes_cached(shapes, kg)
    compiled = _compiled_shapes(shapes)
    with progress.step("validating shapes"):
        report = compiled.validate_text(ntriples, "nt") if ntriples is not None else _validate_store(kg, compiled)
    results = []
    for result in report.results:
        focus = _from_nt(result.focus_node)
        if keep is not None and not keep(focus):
            continue
        path, value = _from_nt(result.path), _from_nt(result.value)
        shape = _from_nt(result.source_shape)
        rule = _shape_name(shape) if isinstance(shape, URIRef) else str(result.component_iri)
        severity = _SH_SEVERITY.get(_from_nt(result.severity_iri), "violation")
        finding = _finding(kg, data, rule=rule, severity=severity, focus=focus, path=path, value=value,
                           message=result.message or f"fails {rule}", kind="shape")
        results.append(ShapeResult(finding, str(shape) if isinstance(shape, URIRef) else None,
                                   str(_from_nt(result.component_iri)) if result.component_iri else None,
                                   result.value))
    return results


def shape_report(results: list[ShapeResult]) -> Graph:
    """The SHACL validation report of ``results`` (the same graph whether they were computed or cached)."""
    graph = _empty_report()
    node = graph.value(None, RDF.type, SH.ValidationReport, any=True)
    for number, item in enumerate(sorted(results, key=lambda r: _finding_key(r.finding)), start=1):
        f = item.finding
        _add_result(graph, node, BNode(f"result-{number}"), f,
                    focus=BNode(f.focus[2:]) if f.focus.startswith("_:") else URIRef(f.focus),
                    value=_from_nt(item.value) if item.value is not None else None,
                    shape=URIRef(item.shape) if item.shape else None,
                    component=URIRef(item.component) if item.component else None)
    graph.set((node, SH.conforms, Literal(not results)))
    return graph


def _add_result(report: Graph, node, result, finding: Finding, *, focus, value, shape, component=None) -> None:
    """One ``sh:result`` of ``node``, as a shape or a check reports it."""
    report.add((node, SH.result, result))
    report.add((result, RDF.type, SH.ValidationResult))
    report.add((result, SH.focusNode, focus))
    if finding.path:
        report.add((result, SH.resultPath, URIRef(finding.path)))
    if value is not None:
        report.add((result, SH.value, value))
    report.add((result, SH.resultSeverity, _SEVERITY_IRI[finding.severity]))
    report.add((result, SH.resultMessage, Literal(finding.message)))
    if shape is not None:
        report.add((result, SH.sourceShape, shape))
    if component is not None:
        report.add((result, SH.sourceConstraintComponent, component))


def _finding_key(f: Finding) -> tuple:
    return (SEVERITY_ORDER[f.severity], f.node or f.focus, f.rule, f.path or "", f.value or "", f.focus, f.message)


def _empty_report() -> Graph:
    graph = Graph()
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    graph.add((node, SH.conforms, Literal(True)))
    return graph


@dataclass
class StoreLookup:
    """The two lookups findings need (``value(s, p)``), answered by the asserted store."""

    kg: KnowledgeGraph

    def value(self, subject, predicate):
        store = self.kg.asserted_store()
        for quad in store.quads_for_pattern(ox.NamedNode(str(subject)), ox.NamedNode(str(predicate)), None, None):
            return to_rdflib(quad.object)
        return None


def check_shapes_cached(shapes: Graph, kg: KnowledgeGraph) -> None:
    """:func:`check_shapes`, remembered by the shapes' content in the project's cache (it imports pySHACL)."""
    key = hashlib.sha256(("check-shapes-1\0" + "".join(f.sha256 for f in kg.files if f.role == "shapes")).encode()).hexdigest()
    marker = kg.project.cache_dir / "shapes-checked" / key
    if marker.is_file():
        return
    check_shapes(shapes, kg)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass


def _validate_store(kg: KnowledgeGraph, compiled):
    """Validate ontology + data, written by the store graph by graph to a temporary N-Triples file (or,
    when no temporary file can be written, held in memory as text)."""
    import os
    import tempfile

    from .engine import dump_kg, kg_ntriples

    kg.asserted_store()
    try:
        fd, path = tempfile.mkstemp(prefix="kgtool-shapes-", suffix=".nt")
    except OSError:  # no writable temporary folder
        path = None
    if path is not None:
        try:
            with os.fdopen(fd, "wb") as handle:
                dump_kg(kg, handle, inferred=False)
        except OSError:  # the temporary folder is full
            os.unlink(path)
        else:
            try:
                return compiled.validate_file(path)
            finally:
                os.unlink(path)
    return compiled.validate_text(kg_ntriples(kg, inferred=False).decode("utf-8"), "nt")


_COMPILED: dict[str, object] = {}


def _compiled_shapes(shapes: Graph):
    import shacl

    from .stores import ntriples

    text = ntriples(shapes).decode("utf-8")  # sorted: the same shapes give the same cache key
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _COMPILED:
        _COMPILED[key] = shacl.Shapes.from_text(text, "nt")
    return _COMPILED[key]


def _from_nt(text: str | None):
    """A term from the ``shacl`` package's N-Triples text."""
    if text is None:
        return None
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if text.startswith("_:"):
        return BNode(text[2:])
    if re.match(r"^[a-z][a-z0-9+.-]*:[^\s\"]*$", text):  # an IRI written bare (severity, component)
        return URIRef(text)
    quad = next(iter(ox.parse(f"<urn:x> <urn:x> {text} .", format=ox.RdfFormat.N_TRIPLES)))
    return to_rdflib(quad.object)


def checks(kg: KnowledgeGraph) -> dict[str, NamedQuery]:
    found = catalog(kg.project.queries_dir / "checks")
    for name, query in found.items():
        if query.severity is None:
            raise ShapesError(f"{query.path}: a check needs a `# severity:` header line", hint="violation, warning or info")
    return found


def run_checks(kg: KnowledgeGraph, data: Graph, *, as_of: date, stale_days: int,
               only: set[str] | None = None, target=None, keep: Callable[[str, object], bool] | None = None) -> list[Finding]:
    """The quality checks over ``data`` (rdflib), or over ``target`` (the fast engine) when given;
    ``keep`` (given a check's name and a focus term) drops the rows the caller does not want."""
    findings = []
    for name, query in checks(kg).items():
        if only is not None and name not in only:
            continue
        bindings = Bindings()
        for param in query.params:
            if param.name == "asOf":
                bindings.values["asOf"] = [Literal(as_of.isoformat(), datatype=XSD.date)]
            elif param.name == "staleDays":
                bindings.values["staleDays"] = [Literal(stale_days)]
            elif param.default is not None:
                bindings.values[param.name] = [coerce(param, param.default, index=None, query=name)]
            else:
                raise ShapesError(f"{query.path}: check parameter {param.name} needs a default")
        try:
            result = _fast_rows(name, query.text, target) if target is not None and not bindings.values else None
            if result is None:
                text = bound_text(query.text, bindings, name=name)
                result = target.run(text, name=name) if target is not None else run(data, text, name=name)
        except UsageError as exc:
            raise ShapesError(f"{query.path}: {exc.message}") from None
        if not isinstance(result, SelectResult):
            raise ShapesError(f"{query.path}: a check must be a SELECT query")
        for row in result.rows:
            if all(value is None for value in row.values()):
                continue  # rdflib yields one empty row for an aggregate over no solutions
            focus = row.get("focus")
            if focus is None:
                raise ShapesError(f"{query.path}: a row has no ?focus")
            if keep is not None and not keep(name, focus):
                continue
            message = row.get("message")
            findings.append(_finding(
                kg, data, rule=name, severity=query.severity, focus=focus, path=row.get("path"),
                value=row.get("value"), message=str(message) if message is not None else query.title, kind="check"))
    return findings


def _fast_rows(name: str, text: str, target) -> SelectResult | None:
    from .fastchecks import accelerated

    return accelerated(name, text, target.graph_store(), target.union)


def validate(kg: KnowledgeGraph, *, as_of: date | None = None, stale_days: int | None = None,
             rules: set[str] | None = None, engine: str = "oxigraph", incremental: bool = True) -> ValidationReport:
    """Validate ``kg``'s asserted data (with the ontology) against the shapes and the checks.

    ``engine="oxigraph"`` (the default) runs the shapes with the ``shacl`` package and the checks on
    the loader's pyoxigraph store; ``engine="rdflib"`` is the reference (pySHACL, checks on rdflib),
    with the same findings (tested). With the fast engine and every rule, a validation re-checks only
    what changed since the last one (``kgtool.incremental``); ``incremental=False`` checks everything
    (and is what the next one starts from).
    """
    as_of = as_of or date.today()
    stale_days = kg.project.settings.stale_days if stale_days is None else stale_days
    shape_rules = None if rules is None else {r for r in rules if not _is_check(kg, r)}
    if engine not in ("rdflib", "oxigraph"):
        raise UsageError(f"unknown engine {engine!r}", hint="rdflib or oxigraph")
    whole_run = engine == "oxigraph" and rules is None
    if whole_run and (None, SH.sparql, None) not in kg.shapes:  # SHACL-SPARQL shapes run in pySHACL, below
        from .incremental import validate as validate_incrementally

        return validate_incrementally(kg, as_of=as_of, stale_days=stale_days, full=not incremental)
    run_any_shapes = shape_rules is None or bool(shape_rules)
    if engine == "oxigraph":
        from .engine import OxigraphGraph

        data = StoreLookup(kg)
        findings, report = run_shapes_fast(kg, data) if run_any_shapes else ([], Graph())
        target = OxigraphGraph.for_kg(kg, inferred=False)
        remember_verdicts(kg.project.cache_dir)
    else:
        data = kg.graph("ontology", "data")  # shared and read-only: pySHACL does not change it (inplace=False)
        findings, report = run_shapes(kg, data) if run_any_shapes else ([], Graph())
        target = None
    if shape_rules is not None:
        findings = [f for f in findings if f.rule in shape_rules]
    with progress.step("running checks"):
        check_findings = run_checks(kg, data, as_of=as_of, stale_days=stale_days, only=rules, target=target)
    _add_to_report(report, check_findings)
    findings += check_findings
    findings.sort(key=_finding_key)
    how = None
    if whole_run:
        from .incremental import Incremental

        how = Incremental(full=True, reason="the shapes use SHACL-SPARQL")
    return ValidationReport(findings=findings, as_of=as_of, shacl_report=report, incremental=how)


CHECKS_NS = "https://cdp.composablestack.ai/kg/checks#"
_SEVERITY_IRI = {v: k for k, v in _SH_SEVERITY.items()}


def _add_to_report(report: Graph, findings: list[Finding]) -> None:
    """Add check findings to the SHACL report as results, so ``--format turtle`` holds every finding."""
    node = report.value(None, RDF.type, SH.ValidationReport, any=True) if len(report) else None
    if node is None:
        node = BNode()
        report.add((node, RDF.type, SH.ValidationReport))
    for finding in findings:
        _add_result(report, node, BNode(), finding,
                    focus=URIRef(finding.focus) if "://" in finding.focus else Literal(finding.focus),
                    value=Literal(finding.value) if finding.value is not None else None,
                    shape=URIRef(CHECKS_NS + finding.rule))
    report.remove((node, SH.conforms, None))
    report.add((node, SH.conforms, Literal(not any(report.objects(node, SH.result)))))


def _is_check(kg: KnowledgeGraph, rule: str) -> bool:
    return (kg.project.queries_dir / "checks" / f"{rule}.rq").is_file()


def rule_catalogue(kg: KnowledgeGraph) -> list[dict[str, str]]:
    """Every rule: id, kind, severity and what it checks (for `kgtool rules` and the README)."""
    rules = []
    shapes = kg.shapes
    for shape in sorted({s for s in shapes.subjects(SH.severity, None)
                         if isinstance(s, URIRef) and RULE_ID.match(_shape_name(s))}, key=str):
        severity = _SH_SEVERITY.get(shapes.value(shape, SH.severity), "violation")
        label = shapes.value(shape, RDFS.label) or shapes.value(shape, SH.message) or ""
        rules.append({"rule": _shape_name(shape), "kind": "shape", "severity": severity, "description": str(label)})
    for name, query in checks(kg).items():
        rules.append({"rule": name, "kind": "check", "severity": query.severity or "", "description": query.title})
    return rules
