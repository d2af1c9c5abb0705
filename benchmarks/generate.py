"""Generate a synthetic kgtool project shaped like the shipped graph, for benchmarks.

    python benchmarks/generate.py SIZE OUTDIR [--seed N]

SIZE is a node count: ``1k``, ``10k``, ``50k``, ``100k`` (or a plain number). OUTDIR receives a
complete project: ``ontology/`` and ``queries/`` copied from this repository, one Turtle file per
node under ``data/<kind>/<id>.ttl`` (the shipped layout: the node, its body sections, list items and
facts, and its outgoing qualified relations), ``data/sources.ttl`` (the registry of cited documents),
and ``benchmark.json`` (counts and the ids the benchmark runner uses; kgtool never reads it).

The shape follows the shipped graph: ~40% organisation dimensions, ~37% vendors, ~21% patterns and
~2% source nodes; about 5 qualified relations per node (enables, implements, counter-indicates with a
strength, requires, child-of, part-of, alternative-to, contrasts-with, correlates-with, cites,
risk-of, superseded-by), occasional unless/needs conditions, evidence from the source registry; a
three-level dimension taxonomy under the eight families ``kgtool recommend`` knows
(``org-dim.dw`` > ``org-dim.dw.snowflake-17`` > ``org-dim.dw.snowflake-17.eu-342``); a few stale
nodes (warnings, not violations), a few superseded alias nodes, and bodies that name other nodes by
title (half of them a node they relate to; 2% one they do not, a body-edge-mismatch warning). Every node is valid against
``ontology/shapes.ttl`` and the violation-level checks, so ``kgtool validate`` reports 0 violations.

Output is deterministic for a given size and seed. Turtle is written as text (no rdflib), so 100k
nodes take well under a minute.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 2  # 2: bodies name other nodes
AS_OF = date(2026, 11, 26)  # the evaluation date the benchmarks validate with
STALE_DAYS = 180

HEADER_PREFIXES = (
    "@prefix kg: <https://cdp.composablestack.ai/kg/ontology#> .\n"
    "@prefix cdp: <https://cdp.composablestack.ai/kg/> .\n"
    "@prefix rel: <https://cdp.composablestack.ai/kg/relation/> .\n"
    "@prefix doc: <https://cdp.composablestack.ai/kg/doc/> .\n"
    "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)

# The eight dimension families of the shipped graph (recommend.py gives them their roles), with the
# values a family takes and a title stem.
FAMILIES = {
    "operational-profile": ("Operational Profile", ["engineering-led-cdp", "marketing-led-cdp", "hybrid-cdp",
                                                    "agency-run-cdp"]),
    "de-staffing": ("Data Engineering Staffing", ["thin", "established", "outsourced", "embedded"]),
    "industry": ("Industry", ["b2c-retail", "b2b-saas", "fintech", "healthcare", "media", "travel", "telco"]),
    "stack": ("Stack", ["salesforce-centric", "adobe-centric", "microsoft-centric", "open-source", "google-centric"]),
    "realtime": ("Real-Time Needs", ["in-session", "batch-tolerant", "near-real-time"]),
    "dw": ("Data Warehouse in Place", ["snowflake", "bigquery", "databricks", "redshift", "postgres", "fabric"]),
    "budget": ("Budget", ["smb", "mid-market", "enterprise"]),
    "regulatory": ("Regulatory Regime", ["gdpr", "hipaa", "ccpa", "pci-dss", "sox", "lgpd"]),
}
VARIANTS = ["eu", "us", "apac", "latam", "large", "small", "regulated", "greenfield", "legacy", "multi-brand",
            "single-brand", "global", "regional", "startup", "scaleup"]
BRANDS = ["acme", "northwind", "contoso", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
          "tyrell", "cyberdyne", "soylent", "gringotts", "aperture", "massive", "vandelay", "dunder", "pied-piper",
          "oscorp", "zorg", "monarch", "virtucon", "prestige", "bluth", "sterling", "kramerica", "nakatomi"]
PRODUCTS = ["audience-cloud", "cdp", "activation", "data-cloud", "customer-hub", "decisioning", "journeys",
            "identity", "reverse-etl", "event-stream", "profiles", "insights"]
PATTERNS = ["composable-cdp", "packaged-cdp", "hybrid-cdp", "reverse-etl", "warehouse-native", "zero-copy",
            "identity-resolution", "event-collection", "ai-decisioning", "agentification", "platformization",
            "consent-management", "clean-room", "feature-store", "real-time-personalization"]
PUBLISHERS = ["martech-org", "cmswire-com", "gartner-com", "forrester-com", "cdpinstitute-org", "medium-com",
              "hbr-org", "techcrunch-com"]
TAGS = ["composable-cdp", "packaged-cdp", "warehouse-native", "reverse-etl", "event-collection", "data-warehouse",
        "zero-copy", "real-time", "sql-first", "readiness", "marketer-self-service", "developer-first",
        "data-engineering", "ai-decisioning", "suite", "streaming", "salesforce", "retail", "personalization",
        "governance", "federation", "enterprise", "ecommerce", "data-activation", "identity-resolution",
        "agentification", "batch", "pricing", "cdi", "self-service", "tag-management", "turnkey"]
SOURCE_KINDS = ["VendorDoc", "VendorDoc", "VendorDoc", "VendorBlog", "VendorPov", "ThirdParty", "ThirdParty",
                "Community", "Filing", "KbInternal"]

# Lower-case words only: generated sentences never contain a node's title, id or alias (those hold
# capitals or digits); names enter a body only through Generator.mentions, on purpose.
WORDS = {
    "det": ["the", "every", "a", "each", "this", "that", "most"],
    "adj": ["governed", "composable", "packaged", "warehouse-native", "real-time", "batch", "lean", "central",
            "marketing-owned", "engineering-led", "regulated", "self-service", "consented", "modelled", "shared",
            "incremental", "federated", "first-party", "unified", "operational"],
    "noun": ["warehouse", "audience", "activation layer", "identity graph", "segment", "pipeline", "consent record",
             "profile store", "connector", "schema", "sync", "journey", "event stream", "data team", "budget",
             "decisioning model", "destination", "customer record", "data contract", "governance process",
             "campaign", "workflow", "licence", "vendor", "platform", "feature", "integration"],
    "verb": ["feeds", "supports", "replaces", "depends on", "duplicates", "governs", "shortens", "slows down",
             "reuses", "exposes", "limits", "extends", "simplifies", "complicates", "activates"],
    "prep": ["for", "through", "inside", "without", "alongside", "across", "behind", "before"],
}
SECTION_TYPES = [("Introduction", None), ("DistinguishingSignal", "Distinguishing signal."),
                 ("Contrast", "Contrast with the closest alternative."), ("ExternalValidation", "External validation."),
                 ("NotApplicable", "Where it does not apply."), ("MarketEvidence", "Market evidence."),
                 ("Problem", "The problem."), ("StrategicShift", "Strategic shift.")]
RATIONALES = {
    "enables": ["Vendor documents this as a supported foundation for the product.",
                "The organisation already has what the target needs to run well.",
                "Teams with this profile adopt the target with little extra work."],
    "counter-indicates": ["The target needs capabilities this organisation usually lacks.",
                          "The target duplicates what the organisation already operates.",
                          "Licence and staffing costs outweigh the benefit for this profile."],
    "requires": ["The product only runs on top of this capability.",
                 "Documented as a prerequisite in the vendor's own set-up guide."],
    "implements": ["Ships the capability as a documented product feature.",
                   "Positioned by the vendor and by analysts as an example of the pattern."],
    "child-of": ["Value of the parent dimension."],
    "part-of": ["A component of the larger architecture."],
    "alternative-to": ["Substitutable for the same job in most evaluations."],
    "contrasts-with": ["Opposing choices on the same axis; neither is inherently superior."],
    "correlates-with": ["Observed together in practitioner surveys, without a causal link."],
    "cites": ["Source for a paragraph of the body."],
    "risk-of": ["Exposed to the failure mode the source documents."],
    "superseded-by": ["The product was renamed; the old id is kept so that citations resolve."],
}
TYPE_PROPERTY = {"enables": "enables", "counter-indicates": "counterIndicates", "requires": "requires",
                 "implements": "implements", "child-of": "childOf", "part-of": "partOf",
                 "alternative-to": "alternativeTo", "contrasts-with": "contrastsWith",
                 "correlates-with": "correlatesWith", "cites": "cites", "risk-of": "riskOf",
                 "superseded-by": "supersededBy"}
KIND_DIR = {"dimension": "org-dim", "vendor": "vendor", "pattern": "pattern", "source": "source-node"}
KIND_CLASS = {"dimension": "OrganizationDimension", "vendor": "Vendor", "pattern": "Pattern", "source": "SourceNode"}


def parse_size(text: str) -> int:
    """``1k`` -> 1000, ``2.5k`` -> 2500, ``1m`` -> 1000000, ``300`` -> 300."""
    t = text.strip().lower()
    factor = 1
    if t.endswith("k"):
        factor, t = 1000, t[:-1]
    elif t.endswith("m"):
        factor, t = 1_000_000, t[:-1]
    try:
        value = int(float(t) * factor)
    except ValueError:
        raise SystemExit(f"generate.py: {text!r} is not a size (write 1k, 10k, 50k, 100k or a number)") from None
    if value < 60:
        raise SystemExit("generate.py: the smallest size is 60 nodes (the taxonomy needs its roots)")
    return value


class Node:
    __slots__ = ("id", "kind", "title", "family", "level", "parent", "rels", "stale", "alias_of", "aliases")

    def __init__(self, id_: str, kind: str, title: str, family: str | None = None, level: int = 0,
                 parent: "Node | None" = None):
        self.id, self.kind, self.title, self.family, self.level, self.parent = id_, kind, title, family, level, parent
        self.rels: list[tuple] = []  # (type, object Node, extra dict)
        self.stale = False
        self.alias_of: Node | None = None  # for an alias node: the node that supersedes it
        self.aliases: list[str] = []  # old ids now resolving to this node


class Generator:
    def __init__(self, size: int, seed: int):
        self.size, self.seed = size, seed
        self.rng = random.Random(f"kgtool-bench-{seed}-{size}")
        self.sentences = [self._sentence() for _ in range(1500)]
        self.n_sources = max(60, size // 2)
        self.nodes: list[Node] = []
        self.dims: list[Node] = []
        self.vendors: list[Node] = []
        self.patterns: list[Node] = []
        self.sources: list[Node] = []

    # ---- text -------------------------------------------------------------------------------------
    def _sentence(self) -> str:
        r = self.rng
        w = WORDS
        s = (f"{r.choice(w['det'])} {r.choice(w['adj'])} {r.choice(w['noun'])} {r.choice(w['verb'])} "
             f"{r.choice(w['det'])} {r.choice(w['noun'])} {r.choice(w['prep'])} {r.choice(w['det'])} "
             f"{r.choice(w['adj'])} {r.choice(w['noun'])}")
        if r.random() < 0.5:
            s += f" and {r.choice(w['verb'])} {r.choice(w['det'])} {r.choice(w['adj'])} {r.choice(w['noun'])}"
        return s[0].upper() + s[1:] + "."

    def text(self, sentences: int) -> str:
        return " ".join(self.rng.choice(self.sentences) for _ in range(sentences))

    # ---- nodes ------------------------------------------------------------------------------------
    def make_nodes(self) -> None:
        r, n = self.rng, self.size
        n_source = max(2, round(n * 0.02))
        n_dim = round(n * 0.40)
        n_pattern = round(n * 0.21)
        n_vendor = n - n_source - n_dim - n_pattern
        counter = iter(range(1, 10 * n))

        # Dimensions: 8 family roots, org-dim.dw.none, then values (level 1) and sub-values (level 2).
        for fam, (stem, _values) in FAMILIES.items():
            self._add(Node(f"org-dim.{fam}", "dimension", f"{stem} (parent)", fam, 0))
        roots = {d.family: d for d in self.dims}
        self._add(Node("org-dim.dw.none", "dimension", "No Cloud Data Warehouse in Place", "dw", 1, roots["dw"]))
        level1: dict[str, list[Node]] = {fam: [] for fam in FAMILIES}
        families = list(FAMILIES)
        remaining = n_dim - len(self.dims)
        n_level1 = max(len(families), round(remaining * 0.3))
        for k in range(remaining):
            fam = families[k % len(families)]
            stem, values = FAMILIES[fam]
            i = next(counter)
            if k < n_level1 or not level1[fam]:
                value = values[(k // len(families)) % len(values)]
                node = Node(f"org-dim.{fam}.{value}-{i}", "dimension",
                            f"{stem}: {value.replace('-', ' ').title()} {i}", fam, 1, roots[fam])
                level1[fam].append(node)
            else:
                parent = r.choice(level1[fam])
                variant = r.choice(VARIANTS)
                node = Node(f"{parent.id}.{variant}-{i}", "dimension",
                            f"{parent.title} ({variant.replace('-', ' ').title()} {i})", fam, 2, parent)
            self._add(node)
        for k in range(n_pattern):
            i = next(counter)
            name = PATTERNS[k % len(PATTERNS)]
            self._add(Node(f"pattern.{name}-{i}", "pattern", f"{name.replace('-', ' ').title()} Pattern {i}"))
        for k in range(n_vendor):
            i = next(counter)
            brand, product = r.choice(BRANDS), r.choice(PRODUCTS)
            self._add(Node(f"vendor.{brand}-{product}-{i}", "vendor",
                           f"{brand.replace('-', ' ').title()} {product.replace('-', ' ').title()} {i}"))
        for k in range(n_source):
            i = next(counter)
            pub = PUBLISHERS[k % len(PUBLISHERS)]
            self._add(Node(f"source.{pub}.cdp-practitioner-report-{i}", "source",
                           f"{pub.split('-')[0].title()} — CDP practitioner report {i}"))
        # A few renamed vendors: the old node is kept as an alias node superseded by the new one.
        n_alias = max(1, n_vendor // 300)
        for old in self.vendors[-n_alias - 1:-1]:
            new = self.vendors[self.vendors.index(old) - n_alias - 1]
            old.alias_of = new
            new.aliases.append(old.id)
        # Deliberately stale nodes (about 1%): warnings from the stale check, never violations.
        for node in r.sample(self.nodes, max(3, n // 100)):
            if node.alias_of is None:
                node.stale = True

    def _add(self, node: Node) -> None:
        self.nodes.append(node)
        {"dimension": self.dims, "vendor": self.vendors, "pattern": self.patterns, "source": self.sources}[
            node.kind].append(node)

    # ---- relations --------------------------------------------------------------------------------
    def make_relations(self) -> None:
        r = self.rng
        live_vendors = [v for v in self.vendors if v.alias_of is None]
        targets = live_vendors + self.patterns  # what dimensions enable / counter-indicate
        non_root = [d for d in self.dims if d.level > 0]
        by_family = {fam: [d for d in non_root if d.family == fam and not d.id.endswith(".none")] for fam in FAMILIES}
        level1 = [d for d in self.dims if d.level == 1 and not d.id.endswith(".none")]
        budget_dims = by_family["budget"]
        staffing_dims = by_family["de-staffing"]

        def status() -> str:
            x = r.random()
            return "Existing" if x < 0.05 else ("Contested" if x < 0.08 else "Proposed")

        def add(subject: Node, type_: str, obj: Node, **extra) -> None:
            if obj is subject or obj.alias_of is not None:
                return
            key = (type_, obj.id)
            if any((t, o.id) == key for t, o, _ in subject.rels):
                return
            extra.setdefault("status", status())
            subject.rels.append((type_, obj, extra))

        for d in self.dims:
            if d.parent is not None:
                add(d, "child-of", d.parent, status="Existing" if r.random() < 0.3 else "Proposed")
            if d.level == 0 or d.id.endswith(".none"):
                continue
            picked = r.sample(targets, 7)
            n_enables = r.randint(4, 6)
            for t in picked[:n_enables]:
                extra = {}
                if r.random() < 0.05 and budget_dims:
                    extra["needs"] = [r.choice(budget_dims)]
                if r.random() < 0.03 and staffing_dims:
                    extra["unless"] = [r.choice(staffing_dims)]
                add(d, "enables", t, **extra)
            for t in picked[n_enables:n_enables + r.choice((1, 1, 2))]:
                extra = {"strength": "Hard" if r.random() < 0.35 else "Soft"}
                if r.random() < 0.05 and staffing_dims:
                    extra["unless"] = [r.choice(staffing_dims)]
                add(d, "counter-indicates", t, **extra)
            x = r.random()
            same = by_family[d.family]
            if x < 0.10 and len(same) > 1:
                add(d, "contrasts-with", r.choice(same))
            elif x < 0.16 and len(same) > 1:
                add(d, "alternative-to", r.choice(same))
            elif x < 0.20:
                add(d, "correlates-with", r.choice(non_root))
            if r.random() < 0.04:
                add(d, "cites", r.choice(self.sources))
            if r.random() < 0.03 and d.family == "operational-profile":
                add(d, "requires", r.choice(by_family["dw"]), strength="Soft")
        for v in self.vendors:
            if v.alias_of is not None:
                add(v, "superseded-by", v.alias_of, status="Existing")
                continue
            for p in r.sample(self.patterns, r.randint(2, 4)):
                add(v, "implements", p)
            if r.random() < 0.45:
                add(v, "requires", r.choice(level1 if r.random() < 0.8 else [d for d in self.dims if d.level == 0]),
                    strength="Hard" if r.random() < 0.5 else "Soft")
            if r.random() < 0.6:
                add(v, "alternative-to", r.choice(live_vendors))
            if r.random() < 0.05:
                add(v, "part-of", r.choice(self.patterns))
            if r.random() < 0.03:
                add(v, "risk-of", r.choice(self.sources))
        for p in self.patterns:
            if r.random() < 0.85:
                add(p, "part-of", r.choice(self.patterns))
            if r.random() < 0.45:
                add(p, "requires", r.choice(self.patterns if r.random() < 0.5 else level1),
                    strength="Hard" if r.random() < 0.3 else "Soft")
            x = r.random()
            if x < 0.3:
                add(p, "contrasts-with", r.choice(self.patterns))
            elif x < 0.6:
                add(p, "alternative-to", r.choice(self.patterns))
            if r.random() < 0.05:
                add(p, "cites", r.choice(self.sources))

    # ---- writing ----------------------------------------------------------------------------------
    def node_sources(self, index: int) -> list[int]:
        """Source numbers a node cites: one fixed (so every source is cited) plus 1-3 random."""
        r = self.rng
        own = {index % self.n_sources + 1}
        own.update(r.randint(1, self.n_sources) for _ in range(r.randint(1, 3)))
        return sorted(own)

    def review_date(self, node: Node) -> str:
        r = self.rng
        if node.stale:
            return (AS_OF - timedelta(days=r.randint(STALE_DAYS + 5, STALE_DAYS + 300))).isoformat()
        return (AS_OF - timedelta(days=r.randint(0, STALE_DAYS - 5))).isoformat()

    def mentions(self, node: Node) -> str:
        """Sentences that name other nodes by title, as real bodies do: half the nodes name one node
        they relate to, 2% name one they have no relation with (a body-edge-mismatch warning, unless
        that node happens to relate back)."""
        r = self.rng
        text = ""
        if node.rels and r.random() < 0.5:
            text += f" It works with {r.choice(node.rels)[1].title}."
        if r.random() < 0.02:
            related = {obj.id for _t, obj, _e in node.rels}
            other = r.choice(self.nodes)
            if other is not node and other.id not in related and other.alias_of is None:
                text += f" Compare {other.title}."
        return text

    def node_text(self, index: int, node: Node) -> str:
        r = self.rng
        iri = f"https://cdp.composablestack.ai/kg/{node.id}#"
        srcs = self.node_sources(index)
        src_list = " , ".join(f"doc:S{s}" for s in srcs)
        status = "AliasNode" if node.alias_of is not None else r.choice(("NewNode", "NewNode", "NewNode", "ExistingNode"))
        tags = sorted({KIND_DIR[node.kind] if node.kind != "source" else "source", *r.sample(TAGS, r.randint(2, 4))})
        out = [HEADER_PREFIXES, f"@prefix : <{iri}> .\n\n", f"cdp:{node.id}\n",
               f"    a kg:{KIND_CLASS[node.kind]} ;\n",
               f'    dcterms:identifier "{node.id}" ;\n',
               f'    dcterms:title "{node.title}" ;\n',
               f'    dcterms:abstract "{self.text(r.randint(2, 3))}" ;\n',
               f"    kg:nodeStatus kg:{status} ;\n",
               f"    kg:confidence 0.{r.randint(55, 95)} ;\n",
               f'    kg:confidenceRationale "{self.text(1)}" ;\n',
               f'    kg:version "v{r.randint(1, 4)}" ;\n',
               f'    kg:reviewDate "{self.review_date(node)}"^^xsd:date ;\n',
               "    kg:tag " + " , ".join(f'"{t}"' for t in tags) + " ;\n",
               f"    dcterms:source {src_list} ;\n"]
        if node.aliases:
            out.append("    kg:alias " + " , ".join(f'"{a}"' for a in node.aliases) + " ;\n")
        n_sections = 0 if node.kind == "source" else 2
        n_facts = 1 if node.kind == "source" else 2
        if n_sections:
            out.append("    kg:section " + " , ".join(f":section-{k}" for k in range(1, n_sections + 1)) + " ;\n")
        out.append("    kg:fact " + " , ".join(f":fact-{k}" for k in range(1, n_facts + 1)))
        if node.stale:
            out.append(f' ;\n    skos:editorialNote "Not reviewed for more than {STALE_DAYS} days."')
        by_type: dict[str, list[str]] = {}
        for type_, obj, _extra in node.rels:
            by_type.setdefault(TYPE_PROPERTY[type_], []).append(f"cdp:{obj.id}")
        for prop in sorted(by_type):
            out.append(f" ;\n    kg:{prop} " + " , ".join(sorted(by_type[prop])))
        out.append(" .\n")
        for k in range(1, n_facts + 1):
            fs = " , ".join(f"doc:S{s}" for s in sorted(set(r.sample(srcs, min(len(srcs), r.randint(1, 2))))))
            out.append(f'\n:fact-{k}\n    a kg:Fact ;\n    kg:order {k} ;\n    kg:text "{self.text(1)}" ;\n'
                       f"    dcterms:source {fs} .\n")
        for k in range(1, n_sections + 1):
            if k == 1:
                out.append(f'\n:section-1\n    a kg:BodySection ;\n    kg:sectionType kg:Introduction ;\n'
                           f'    kg:order 1 ;\n    kg:text "{self.text(r.randint(2, 4))}{self.mentions(node)}" .\n')
            elif r.random() < 0.4:
                items = r.randint(2, 3)
                out.append(f'\n:section-{k}\n    a kg:BodySection ;\n    kg:sectionType kg:AgentBehaviour ;\n'
                           f'    kg:order {k} ;\n    kg:heading "Agent behaviour when this node matches." ;\n'
                           "    kg:item " + " , ".join(f":section-{k}-item-{j}" for j in range(1, items + 1)) + " .\n")
                for j in range(1, items + 1):
                    out.append(f'\n:section-{k}-item-{j}\n    a kg:ListItem ;\n    kg:order {j} ;\n'
                               f'    kg:text "{self.text(1)}" .\n')
            else:
                stype, heading = r.choice(SECTION_TYPES[1:])
                out.append(f'\n:section-{k}\n    a kg:BodySection ;\n    kg:sectionType kg:{stype} ;\n'
                           f'    kg:order {k} ;\n    kg:heading "{heading}" ;\n'
                           f'    kg:text "{self.text(r.randint(2, 3))}" .\n')
        for type_, obj, extra in sorted(node.rels, key=lambda t: (t[0], t[1].id)):
            evidence = " , ".join(f"doc:S{s}" for s in sorted(set(r.sample(srcs, min(len(srcs), r.randint(1, 2))))))
            block = [f"\nrel:{node.id}--{type_}--{obj.id}\n    a kg:Relation ;\n",
                     f"    kg:subject cdp:{node.id} ;\n    kg:relationType kg:{TYPE_PROPERTY[type_]} ;\n",
                     f"    kg:object cdp:{obj.id} ;\n",
                     f'    kg:rationale "{r.choice(RATIONALES[type_])}" ;\n']
            if "strength" in extra:
                block.append(f"    kg:strength kg:{extra['strength']} ;\n")
            for cond in ("unless", "needs"):
                if cond in extra:
                    block.append(f"    kg:{cond} " + " , ".join(f"cdp:{d.id}" for d in extra[cond]) + " ;\n")
            block.append(f"    kg:status kg:{extra['status']} ;\n")
            if extra["status"] == "Contested":
                block.append('    skos:editorialNote "Sources disagree about this relation." ;\n')
            block.append(f"    kg:evidence {evidence} .\n")
            out.append("".join(block))
        return "".join(out)

    def sources_text(self) -> str:
        r = self.rng
        out = [HEADER_PREFIXES, "@prefix schema: <http://schema.org/> .\n"]
        for s in range(1, self.n_sources + 1):
            kind = r.choice(SOURCE_KINDS)
            publisher = r.choice(BRANDS).title() if kind.startswith("Vendor") else r.choice(PUBLISHERS).replace("-", ".")
            host = publisher.lower().replace(" ", "") if kind.startswith("Vendor") else publisher
            x = r.random()
            if x < 0.55:
                dated = f'    dcterms:issued "{(AS_OF - timedelta(days=r.randint(30, 1500))).isoformat()}"^^xsd:date ;\n'
            elif x < 0.7:
                d = AS_OF - timedelta(days=r.randint(30, 1500))
                dated = f'    dcterms:issued "{d.year}-{d.month:02d}"^^xsd:gYearMonth ;\n'
            else:
                dated = '    kg:dateNote "n.d." ;\n'
            out.append(f'\ndoc:S{s}\n    a kg:Source ;\n    dcterms:identifier "S{s}" ;\n'
                       f'    dcterms:title "Report {s}: {self.text(1)[:-1]}" ;\n'
                       f"    schema:url <https://www.{host}.com/docs/cdp/{s}> ;\n"
                       f'    dcterms:publisher "{publisher}" ;\n{dated}    kg:sourceKind kg:{kind} .\n')
        return "".join(out)

    # ---- manifest ---------------------------------------------------------------------------------
    def manifest(self, triples: int) -> dict:
        r = random.Random(f"kgtool-bench-profiles-{self.seed}-{self.size}")
        def enables_count(d: Node) -> int:
            return sum(1 for t, _o, _e in d.rels if t == "enables")

        dimension = next(d for d in self.dims if d.level == 2 and d.family == "operational-profile"
                         and enables_count(d) > 0) if any(d.level == 2 and d.family == "operational-profile"
                                                          for d in self.dims) else self.dims[9]
        enabled_target = next(o for t, o, _e in dimension.rels if t == "enables")
        implemented: dict[str, int] = {}
        for v in self.vendors:
            for t, o, _e in v.rels:
                if t == "implements":
                    implemented[o.id] = implemented.get(o.id, 0) + 1
        pattern = next(p for p in self.patterns if p.id in implemented)
        vendor = next(v for v in self.vendors if v.alias_of is None and any(t == "alternative-to" for t, _o, _e in v.rels))
        alias_node = next(v for v in self.vendors if v.alias_of is not None)
        profiles = []
        groups = [("operational-profile", "dw", "de-staffing"), ("industry", "budget", "regulatory"),
                  ("operational-profile", "stack", "realtime", "dw"), ("de-staffing", "dw", "budget"),
                  ("industry", "operational-profile", "regulatory", "dw"), ("stack", "de-staffing"),
                  ("operational-profile", "industry", "stack", "budget", "dw"), ("realtime", "regulatory", "dw"),
                  ("de-staffing", "industry", "realtime"), ("operational-profile", "de-staffing", "dw", "regulatory")]
        pools = {fam: [d for d in self.dims if d.family == fam and d.level > 0 and not d.id.endswith(".none")]
                 for fam in FAMILIES}
        for k, group in enumerate(groups):
            profile = [dimension.id] if k == 0 else []
            for fam in group:
                if k == 0 and fam == "operational-profile":
                    continue
                profile.append(r.choice(pools[fam]).id)
            profiles.append(profile)
        counts = {"dimension": len(self.dims), "vendor": len(self.vendors), "pattern": len(self.patterns),
                  "source node": len(self.sources)}
        return {
            "format": "kgtool-benchmark-project/1",
            "generator_version": GENERATOR_VERSION,
            "size": self.size,
            "seed": self.seed,
            "as_of": AS_OF.isoformat(),
            "nodes": counts,
            "relations": sum(len(n.rels) for n in self.nodes),
            "sources": self.n_sources,
            "stale_nodes": sum(1 for n in self.nodes if n.stale),
            "alias_nodes": sum(1 for n in self.vendors if n.alias_of is not None),
            "triples_estimate": triples,
            "ids": {
                "dimension": dimension.id,
                "dimension_2": profiles[0][1],
                "dimension_3": profiles[0][2],
                "vendor": vendor.id,
                "enabled_target": enabled_target.id,
                "pattern": pattern.id,
                "source": self.sources[0].id,
                "alias": alias_node.id,
                "tag": "reverse-etl",
            },
            "profiles": profiles,
        }


def count_triples(text: str) -> int:
    """A cheap estimate of the triples of our own layout: one per ' ;', ' ,' and ' .' terminator."""
    return text.count(" ;\n") + text.count(" , ") + text.count(" .\n") - text.count("@prefix")


def generate(size: int, out: Path, *, seed: int = 7, inputs: Path = REPO, quiet: bool = False) -> dict:
    """Write the project for ``size`` nodes into ``out``; ``inputs`` holds the ``ontology/`` and
    ``queries/`` to copy (default: this repository)."""
    started = time.perf_counter()
    out = Path(out)
    if out.exists():
        if not (out / "benchmark.json").is_file() and any(out.iterdir()):
            raise SystemExit(f"generate.py: {out} exists and is not a generated benchmark project; "
                             "choose an empty or new folder")
        shutil.rmtree(out)
    gen = Generator(size, seed)
    gen.make_nodes()
    gen.make_relations()
    shutil.copytree(Path(inputs) / "ontology", out / "ontology")
    shutil.copytree(Path(inputs) / "queries", out / "queries")
    for d in KIND_DIR.values():
        (out / "data" / d).mkdir(parents=True, exist_ok=True)
    triples = 0
    for index, node in enumerate(gen.nodes):
        text = gen.node_text(index, node)
        triples += count_triples(text)
        (out / "data" / KIND_DIR[node.kind] / f"{node.id}.ttl").write_text(text, encoding="utf-8")
    sources = gen.sources_text()
    triples += count_triples(sources)
    (out / "data" / "sources.ttl").write_text(sources, encoding="utf-8")
    manifest = gen.manifest(triples)
    manifest["generate_seconds"] = round(time.perf_counter() - started, 2)
    (out / "benchmark.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"{out}: {size} nodes {manifest['nodes']}, {manifest['relations']} relations, "
              f"{manifest['sources']} sources, ~{triples} data triples in {manifest['generate_seconds']} s")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", help="node count: 1k, 10k, 50k, 100k or a number")
    parser.add_argument("outdir", type=Path, help="the project folder to (re)create")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--inputs", type=Path, default=REPO,
                        help="folder whose ontology/ and queries/ are copied (default: this repository)")
    args = parser.parse_args(argv)
    generate(parse_size(args.size), args.outdir, seed=args.seed, inputs=args.inputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
