"""Profile recommendations: which vendors and patterns fit an organisation, which are counter-indicated, and why.

The graph work is SPARQL (``queries/profile-signals.rq``: every edge that starts at a profile
dimension, plus the ``requires`` edges of the targets it reaches), so an analyst can run it against
any store. This module only applies the verdict rules to those rows (see the README, "Recommendation
semantics"):

- an ``enables`` edge counts as a *fit* signal when it comes from an operating-model, staffing,
  industry, stack or in-session real-time dimension, and as a *compatibility* signal when it comes
  from a warehouse, budget, regulatory or batch dimension;
- an edge whose ``unless`` names a profile dimension is switched off; an enabling edge whose ``needs``
  are not all in the profile becomes a caution;
- an active hard counter-indication, or a violated hard requirement of the target, blocks it
  ("conflicted" when the target is also enabled); soft ones are cautions;
- verdicts: blocked / conflicted, recommended (a fit signal, no caution), caution (a signal plus a
  caution), compatible (compatibility signals only), discouraged (soft counter-indications only);
- regulatory dimensions are open world: a target with no edge from a regulatory dimension of the
  profile is annotated ``<dimension>-unknown``, never taken as eligible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from .errors import UsageError
from .sparql import SelectResult

FIT_FAMILIES = ("org-dim.operational-profile", "org-dim.de-staffing", "org-dim.industry", "org-dim.stack",
                "org-dim.realtime.in-session")
COMPATIBILITY_FAMILIES = ("org-dim.dw", "org-dim.budget", "org-dim.regulatory", "org-dim.realtime.batch-tolerant")
REGULATORY_FAMILY = "org-dim.regulatory"
STATUS_WEIGHT = {"existing": 1.0, "proposed": 0.75, "contested": 0.5}
VERDICT_ORDER = ("recommended", "caution", "compatible", "conflicted", "discouraged", "blocked")


@dataclass(frozen=True)
class Source:
    id: str
    title: str | None
    url: str | None


@dataclass(frozen=True)
class Signal:
    """One edge that contributed to a verdict, and what it did."""

    effect: str  # fit, compatibility, caution, soft-counter-indication, hard-counter-indication, switched-off,
    #              unmet-needs, requirement-met, requirement-violated, requirement-unknown
    relation: str
    source: str
    type: str
    target: str
    rationale: str
    status: str
    strength: str | None
    unless: list[str]
    needs: list[str]
    sources: list[Source]
    confidence: float | None


@dataclass(frozen=True)
class Verdict:
    target: str
    title: str
    kind: str
    confidence: float | None
    verdict: str
    score: float
    annotations: list[str]
    signals: list[Signal]


@dataclass(frozen=True)
class Recommendation:
    profile: list[dict[str, str]]
    as_of: str
    verdicts: list[Verdict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def family(dim_id: str) -> str:
    """``org-dim.dw.snowflake`` -> ``org-dim.dw``."""
    return dim_id.rsplit(".", 1)[0]


def role(dim_id: str) -> str:
    """``fit`` or ``compatibility``: how an enabling edge from this dimension counts."""
    for prefix in FIT_FAMILIES:
        if dim_id == prefix or dim_id.startswith(prefix + "."):
            return "fit"
    return "compatibility"


def requirement_state(required: str, satisfied_by: set[str], profile: set[str]) -> str:
    """met, violated or unknown: does the profile satisfy a requirement on dimension ``required``?

    ``satisfied_by`` is the required dimension and its descendants in the taxonomy; a ``.none`` value
    (``org-dim.dw.none``) never satisfies. The requirement is violated when the profile states a value
    of the same family and none satisfies it; otherwise the profile does not say (unknown).
    """
    satisfying = {d for d in satisfied_by | {required} if not d.endswith(".none")}
    if profile & satisfying:
        return "met"
    families = {required, family(required)} | satisfied_by
    stated = {p for p in profile if p in families or family(p) in families}
    return "violated" if stated else "unknown"


def descendants(dim: str, children: dict[str, set[str]]) -> set[str]:
    """``dim`` and every dimension below it in the taxonomy."""
    found, todo = set(), [dim]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


Runner = Callable[[str, dict[str, list[str]]], SelectResult]


def _split(value) -> list[str]:
    return sorted(str(value).split()) if value not in (None, "") else []


def _float(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def recommend(run_query: Runner, dims: Iterable[str], *, as_of: date | None = None) -> Recommendation:
    """Verdicts for a profile. ``run_query(name, params)`` runs a named query (embedded or remote)."""
    dims = list(dict.fromkeys(dims))
    if not dims:
        raise UsageError("a profile needs at least one dimension", hint="give --dim engineering-led-cdp (repeatable)")
    as_of = as_of or date.today()
    profile_rows = run_query("profile-dimensions", {"dim": dims}).rows
    profile = {str(r["id"]) for r in profile_rows}
    for row in profile_rows:
        if str(row.get("kind")) != "dimension":
            raise UsageError(f"{row['id']} is not an organisation dimension", hint="a profile is made of org-dim.* nodes")
    children: dict[str, set[str]] = {}
    for row in run_query("dimension-taxonomy", {}).rows:
        children.setdefault(str(row["parent"]), set()).add(str(row["child"]))
    sources = {str(r["id"]): Source(str(r["id"]), _opt(r.get("title")), _opt(r.get("url")))
               for r in run_query("source-list", {}).rows}
    signals_by_target: dict[str, list[Signal]] = {}
    targets: dict[str, dict] = {}
    regulatory_edges: dict[str, set[str]] = {}
    for row in run_query("profile-signals", {"dim": sorted(profile)}).rows:
        source, rel_type, target = str(row["source"]), str(row["relType"]), str(row["target"])
        kind = str(row["targetKind"])
        unless, needs = _split(row.get("unless")), _split(row.get("needs"))
        strength = _opt(row.get("strength"))
        if rel_type == "requires":
            if source not in targets or kind != "dimension":
                continue  # only requirements on dimensions are a question for the profile
            state = requirement_state(target, descendants(target, children), profile)
            effect = f"requirement-{state}"
            signal_target = source
        else:
            if kind not in ("vendor", "pattern"):
                continue
            targets.setdefault(target, {"title": str(row["targetTitle"]), "kind": kind,
                                        "confidence": _float(row.get("targetConfidence"))})
            if family(source).startswith(REGULATORY_FAMILY):
                regulatory_edges.setdefault(source, set()).add(target)
            signal_target = target
            if set(unless) & profile:
                effect = "switched-off"
            elif rel_type == "enables":
                effect = "unmet-needs" if set(needs) - profile else role(source)
            elif rel_type == "counter-indicates":
                effect = "hard-counter-indication" if strength == "hard" else "soft-counter-indication"
            else:
                continue
        signals_by_target.setdefault(signal_target, []).append(Signal(
            effect=effect, relation=str(row["relation"]), source=source, type=rel_type, target=target,
            rationale=str(row.get("rationale") or ""), status=str(row.get("status") or ""), strength=strength,
            unless=unless, needs=needs, sources=[sources.get(s, Source(s, None, None)) for s in _split(row.get("evidence"))],
            confidence=_float(row.get("confidence")),
        ))
    regulatory = sorted(d for d in profile if family(d).startswith(REGULATORY_FAMILY))
    verdicts = [_verdict(target, info, signals_by_target.get(target, []), regulatory, regulatory_edges)
                for target, info in targets.items()]
    verdicts.sort(key=lambda v: (VERDICT_ORDER.index(v.verdict), -v.score, v.target))
    profile_info = [{"id": str(r["id"]), "title": str(r.get("title") or ""), "role": role(str(r["id"]))}
                    for r in sorted(profile_rows, key=lambda r: str(r["id"]))]
    return Recommendation(profile=profile_info, as_of=as_of.isoformat(), verdicts=verdicts)


def _opt(value) -> str | None:
    return None if value is None else str(value)


def _verdict(target: str, info: dict, signals: list[Signal], regulatory: list[str],
             regulatory_edges: dict[str, set[str]]) -> Verdict:
    effects = [s.effect for s in signals]
    fit = effects.count("fit")
    compat = effects.count("compatibility")
    hard = "hard-counter-indication" in effects or any(
        s.effect == "requirement-violated" and s.strength != "soft" for s in signals)
    cautions = [s for s in signals if s.effect in ("soft-counter-indication", "unmet-needs")
                or (s.effect == "requirement-violated" and s.strength == "soft")]
    soft_ci = effects.count("soft-counter-indication")
    if hard:
        verdict = "conflicted" if fit or compat else "blocked"
    elif fit and not cautions:
        verdict = "recommended"
    elif (fit or compat or "unmet-needs" in effects) and cautions:
        verdict = "caution"
    elif compat:
        verdict = "compatible"
    elif soft_ci:
        verdict = "discouraged"
    else:
        verdict = "caution"
    score = 0.0
    for s in signals:
        weight = STATUS_WEIGHT.get(s.status, 0.5)
        score += {"fit": 1.0, "compatibility": 0.5, "unmet-needs": 0.25, "soft-counter-indication": -1.0,
                  "hard-counter-indication": -2.0, "requirement-violated": -2.0 if s.strength != "soft" else -1.0,
                  }.get(s.effect, 0.0) * weight
    score = round(score * (info["confidence"] if info["confidence"] is not None else 0.5), 3)
    annotations = [f"{dim.rsplit('.', 1)[-1]}-unknown" for dim in regulatory
                   if target not in regulatory_edges.get(dim, set())]
    annotations += [f"requires {s.target}: profile does not say" for s in signals if s.effect == "requirement-unknown"]
    order = {"hard-counter-indication": 0, "requirement-violated": 1, "soft-counter-indication": 2, "unmet-needs": 3,
             "fit": 4, "compatibility": 5, "requirement-met": 6, "requirement-unknown": 7, "switched-off": 8}
    signals = sorted(signals, key=lambda s: (order.get(s.effect, 9), s.source, s.relation))
    return Verdict(target=target, title=info["title"], kind=info["kind"], confidence=info["confidence"],
                   verdict=verdict, score=score, annotations=annotations, signals=signals)
