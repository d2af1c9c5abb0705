"""Validation reports in the formats CI systems read: text, JSON, JUnit XML, SARIF, GitHub annotations, Turtle.

The JSON form is stable (``kgtool-validation/1``): ``{"format", "asOf", "conforms", "threshold",
"counts": {violation, warning, info}, "findings": [{rule, severity, kind, node, focus, path, value,
message, file, line}]}``.
"""

from __future__ import annotations

import json
from itertools import groupby
from xml.etree import ElementTree as ET

from .render import Format, short
from .validate import SEVERITY_ORDER, Finding, ValidationReport

JSON_FORMAT = "kgtool-validation/1"
SARIF_LEVEL = {"violation": "error", "warning": "warning", "info": "note"}
GITHUB_LEVEL = {"violation": "error", "warning": "warning", "info": "notice"}


def summary_line(report: ValidationReport, threshold: str) -> str:
    counts = report.counts()
    verdict = "PASS" if report.passes(threshold) else "FAIL"
    parts = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    return f"{verdict}: {parts} (as of {report.as_of.isoformat()}, failing at {threshold} or worse)"


def _where(f: Finding) -> str:
    if f.file and f.line:
        return f"{f.file}:{f.line}"
    return f.file or "(no file)"


def render_text(report: ValidationReport, threshold: str) -> str:
    """Findings grouped by node, the node with the most severe finding first."""
    def node_key(f: Finding) -> str:
        return f.node or f.focus
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(node_key(f), []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (min(SEVERITY_ORDER[f.severity] for f in kv[1]), kv[0]))
    lines = []
    for node, findings in ordered:
        lines.append(f"{node}  ({_where(findings[0])})")
        for f in sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.rule, f.focus)):
            detail = []
            if f.focus != node and not f.focus.endswith("/" + node):
                detail.append(f"focus {short_iri(f.focus)}")
            if f.path:
                detail.append(f"path {short_iri(f.path)}")
            if f.value:
                detail.append(f"value {f.value if len(f.value) < 80 else f.value[:77] + '...'}")
            extra = f" [{'; '.join(detail)}]" if detail else ""
            lines.append(f"  {f.severity.upper():9} {f.rule}: {f.message}{extra}")
        lines.append("")
    lines.append(summary_line(report, threshold))
    return "\n".join(lines) + "\n"


def short_iri(value: str) -> str:
    from rdflib import URIRef

    return short(URIRef(value)) if "://" in value else value


def render_json(report: ValidationReport, threshold: str) -> str:
    payload = {
        "format": JSON_FORMAT,
        "asOf": report.as_of.isoformat(),
        "conforms": report.passes(threshold),
        "threshold": threshold,
        "counts": report.counts(),
        "findings": [
            {"rule": f.rule, "severity": f.severity, "kind": f.kind, "node": f.node, "focus": f.focus,
             "path": f.path, "value": f.value, "message": f.message, "file": f.file, "line": f.line}
            for f in report.findings
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render_junit(report: ValidationReport, threshold: str) -> str:
    """One test suite per rule, one test case per node checked by it that failed (JUnit XML)."""
    failing = set(id(f) for f in report.failing(threshold))
    suites = ET.Element("testsuites", name="kgtool validate")
    by_rule = sorted(report.findings, key=lambda f: f.rule)
    for rule, items in groupby(by_rule, key=lambda f: f.rule):
        items = list(items)
        failures = sum(1 for f in items if id(f) in failing)
        suite = ET.SubElement(suites, "testsuite", name=rule, tests=str(len(items)), failures=str(failures),
                              errors="0", skipped=str(len(items) - failures))
        for f in items:
            case = ET.SubElement(suite, "testcase", classname=f"kgtool.{rule}", name=f.node or f.focus,
                                 file=f.file or "")
            if f.line:
                case.set("line", str(f.line))
            if id(f) in failing:
                failure = ET.SubElement(case, "failure", message=f.message, type=f.severity)
                failure.text = f"{_where(f)}: {f.severity} {rule}: {f.message}\nfocus: {f.focus}\npath: {f.path or ''}\nvalue: {f.value or ''}"
            else:
                skipped = ET.SubElement(case, "skipped", message=f"{f.severity} below threshold {threshold}")
                skipped.text = f.message
    if not report.findings:
        suite = ET.SubElement(suites, "testsuite", name="kgtool", tests="1", failures="0", errors="0", skipped="0")
        ET.SubElement(suite, "testcase", classname="kgtool", name="graph conforms")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render_sarif(report: ValidationReport, threshold: str, *, rules: list[dict[str, str]] | None = None) -> str:
    """SARIF 2.1.0, one result per finding, located by file and line."""
    rule_ids = sorted({f.rule for f in report.findings} | {r["rule"] for r in rules or []})
    described = {r["rule"]: r for r in rules or []}
    driver = {
        "name": "kgtool",
        "informationUri": "https://cdp.composablestack.ai/kg/",
        "rules": [{"id": r, "shortDescription": {"text": described.get(r, {}).get("description") or r}}
                  for r in rule_ids],
    }
    results = []
    for f in report.findings:
        result = {"ruleId": f.rule, "ruleIndex": rule_ids.index(f.rule), "level": SARIF_LEVEL[f.severity],
                  "message": {"text": f"{f.node or f.focus}: {f.message}"}}
        if f.file:
            physical = {"artifactLocation": {"uri": f.file}}
            if f.line:
                physical["region"] = {"startLine": f.line}
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    payload = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_escape(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: ValidationReport, threshold: str) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    lines = []
    for f in report.findings:
        props = []
        if f.file:
            props.append(f"file={_gh_prop(f.file)}")
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={_gh_prop(f.rule)}")
        lines.append(f"::{GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_escape((f.node or f.focus) + ': ' + f.message)}")
    lines.append(summary_line(report, threshold))
    return "\n".join(lines) + "\n"


def render_turtle(report: ValidationReport) -> str:
    return report.shacl_report.serialize(format="longturtle", canon=True)


def render_report(report: ValidationReport, fmt: Format, threshold: str, *, rules: list[dict[str, str]] | None = None) -> str:
    if fmt == Format.JSON:
        return render_json(report, threshold)
    if fmt == Format.JUNIT:
        return render_junit(report, threshold)
    if fmt == Format.SARIF:
        return render_sarif(report, threshold, rules=rules)
    if fmt == Format.GITHUB:
        return render_github(report, threshold)
    if fmt == Format.TURTLE:
        return render_turtle(report)
    return render_text(report, threshold)
