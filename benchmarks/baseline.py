"""The "plain stack" baseline: what rdflib, owlrl and pyshacl cost on a project without kgtool.

    python benchmarks/baseline.py STEP PROJECT

STEP is one of:

- ``parse``:  rdflib parses every file of ``ontology/`` (except the shapes) and ``data/`` into one graph;
- ``rdfs``:   parse, then owlrl's ``RDFS_Semantics`` closure of that graph;
- ``owlrl``:  parse, then owlrl's ``OWLRL_Semantics`` closure (what ``kgtool`` infers with);
- ``shacl``:  parse, then ``pyshacl.validate`` of the graph against ``ontology/shapes.ttl``
  (inference none, as kgtool runs it).

Each step runs in its own process (``benchmarks/run.py`` starts one per step, measures its wall
time and peak RSS, and kills it at the timeout). The script prints one JSON line with its own timings
(``parse_s`` and ``step_s``, measured in-process) and what the step produced.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STEPS = ("parse", "rdfs", "owlrl", "shacl")


def files(project: Path) -> tuple[list[Path], list[Path]]:
    """(data files incl. the ontology, shapes files), in a stable order."""
    ontology = sorted(p for p in (project / "ontology").rglob("*.ttl"))
    shapes = [p for p in ontology if p.stem.startswith("shapes")]
    data = [p for p in ontology if p not in shapes] + sorted((project / "data").rglob("*.ttl"))
    return data, shapes


def run(step: str, project: Path) -> dict:
    from rdflib import Graph

    data_files, shape_files = files(project)
    started = time.perf_counter()
    graph = Graph()
    for path in data_files:
        graph.parse(path, format="turtle")
    parse_s = time.perf_counter() - started
    out = {"step": step, "files": len(data_files), "triples": len(graph), "parse_s": round(parse_s, 3)}
    started = time.perf_counter()
    if step in ("rdfs", "owlrl"):
        import owlrl

        semantics = owlrl.RDFS_Semantics if step == "rdfs" else owlrl.OWLRL_Semantics
        before = len(graph)
        owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
        out["inferred"] = len(graph) - before
    elif step == "shacl":
        import pyshacl

        shapes = Graph()
        for path in shape_files:
            shapes.parse(path, format="turtle")
        conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                                   allow_warnings=False, allow_infos=False)
        from rdflib.namespace import RDF, SH

        out["conforms"] = bool(conforms)
        out["results"] = len(set(report.subjects(RDF.type, SH.ValidationResult)))
    out["step_s"] = round(time.perf_counter() - started, 3) if step != "parse" else out["parse_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in STEPS:
        print(f"usage: baseline.py {{{','.join(STEPS)}}} PROJECT", file=sys.stderr)
        return 2
    print(json.dumps(run(argv[0], Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
