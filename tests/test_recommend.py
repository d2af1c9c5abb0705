"""Issue 4: profile recommendations with explanations (shipped graph, and the rules on synthetic rows)."""

from __future__ import annotations

import json
from datetime import date

import pytest

import kgtool
from kgtool.recommend import recommend, requirement_state, role
from kgtool.sparql import SelectResult

AS_OF = date(2026, 11, 26)
SEED = "org-dim.operational-profile.engineering-led-cdp"


@pytest.fixture(scope="module")
def rec(kg):
    cache = {}

    def run(*dims: str):
        if dims not in cache:
            cache[dims] = kgtool.recommend(kg, dims=list(dims), as_of=AS_OF)
        return cache[dims]
    return run


def verdicts(result) -> dict[str, str]:
    return {v.target: v.verdict for v in result.verdicts}


def signals(result, target: str) -> list[tuple[str, str, str]]:
    verdict = next(v for v in result.verdicts if v.target == target)
    return sorted((s.effect, s.source, s.status) for s in verdict.signals)


def test_the_seed_question(rec):
    result = rec("engineering-led-cdp")
    v = verdicts(result)
    for vendor, status in (("vendor.hightouch", "existing"), ("vendor.twilio-segment", "existing"),
                           ("vendor.fivetran-activations", "proposed"), ("vendor.mparticle", "proposed"),
                           ("vendor.adobe-rtcdp", "proposed")):
        assert v[vendor] == "recommended", vendor
        assert signals(result, vendor) == [("fit", SEED, status)]
    for vendor in ("vendor.growthloop", "vendor.braze-decisioning-studio"):
        assert v[vendor] == "discouraged"
        verdict = next(x for x in result.verdicts if x.target == vendor)
        ci = [s for s in verdict.signals if s.effect == "soft-counter-indication"]
        assert ci and ci[0].strength == "soft" and ci[0].rationale
    assert v["pattern.agentification"] == "recommended"
    # explanations carry rationales and resolved sources
    hightouch = next(x for x in result.verdicts if x.target == "vendor.hightouch")
    assert hightouch.signals[0].rationale.startswith("Engineering-led CDP operations (SQL/dbt audience definition")
    assert {s.id for s in hightouch.signals[0].sources} == {"S01", "S02", "S13"}
    assert all(s.url and s.url.startswith("https://") for s in hightouch.signals[0].sources)


def test_thin_staffing_switches_off_agentification_and_hard_blocks_it(rec):
    result = rec("engineering-led-cdp", "de-staffing.thin")
    assert verdicts(result)["pattern.agentification"] == "blocked"
    effects = {e for e, _, _ in signals(result, "pattern.agentification")}
    assert {"switched-off", "hard-counter-indication", "requirement-violated"} <= effects
    assert "fit" not in effects


def test_hard_counter_indication_on_an_enabled_target_is_conflicted(rec):
    result = rec("engineering-led-cdp", "dw.snowflake", "de-staffing.thin")
    assert verdicts(result)["vendor.snowplow"] == "conflicted"
    assert verdicts(result)["vendor.hightouch"] == "caution"  # fit plus a soft counter-indication


def test_warehouse_requirements_and_the_none_value(rec):
    none = rec("marketing-led-cdp", "dw.none")
    assert verdicts(none)["vendor.growthloop"] == "conflicted"  # enabled by marketing-led, needs a warehouse
    assert ("requirement-violated", "vendor.growthloop", "proposed") in signals(none, "vendor.growthloop")
    assert verdicts(none)["pattern.composable-cdp"] == "blocked"
    snowflake = rec("marketing-led-cdp", "dw.snowflake")
    assert ("requirement-met", "vendor.simon-data", "proposed") in signals(snowflake, "vendor.simon-data")
    assert verdicts(snowflake)["vendor.simon-data"] == "recommended"
    bigquery = rec("marketing-led-cdp", "dw.bigquery")
    assert ("requirement-violated", "vendor.simon-data", "proposed") in signals(bigquery, "vendor.simon-data")
    assert verdicts(bigquery)["vendor.simon-data"] in ("blocked", "conflicted")


def test_regulatory_dimensions_are_open_world(rec):
    result = rec("engineering-led-cdp", "regulatory.hipaa")
    notes = {v.target: v.annotations for v in result.verdicts}
    assert "hipaa-unknown" in notes["vendor.mparticle"]      # no HIPAA evidence either way: unknown, not eligible
    assert "hipaa-unknown" not in notes["vendor.hightouch"]  # the graph has a HIPAA edge for Hightouch


def test_unmet_needs_degrade_to_a_caution_and_met_needs_do_not(rec):
    assert verdicts(rec("regulatory.hipaa"))["vendor.twilio-segment"] == "caution"
    assert ("unmet-needs", "org-dim.regulatory.hipaa", "proposed") in signals(rec("regulatory.hipaa"),
                                                                             "vendor.twilio-segment")
    assert verdicts(rec("regulatory.hipaa", "budget.enterprise"))["vendor.twilio-segment"] == "compatible"


def test_in_session_real_time_blocks_reverse_etl(rec):
    result = rec("realtime.in-session")
    assert verdicts(result)["pattern.reverse-etl"] == "blocked"
    assert verdicts(result)["pattern.composable-cdp"] == "discouraged"
    assert verdicts(result)["vendor.hightouch"] == "recommended"  # same-session audiences (feature-level)


def test_smb_budget_blocks_enterprise_suites(rec):
    result = rec("budget.smb")
    for vendor in ("vendor.adobe-rtcdp", "vendor.tealium", "vendor.actioniq"):
        assert verdicts(result)[vendor] == "blocked", vendor
    assert verdicts(result)["vendor.hightouch"] == "compatible"  # budget is a compatibility signal, not fit


def test_salesforce_stack(rec):
    result = rec("stack.salesforce-centric")
    assert verdicts(result)["vendor.salesforce-data-cloud"] == "recommended"
    assert verdicts(result)["pattern.platformization"] == "recommended"


def test_b2c_retail_industry(rec):
    result = rec("industry.b2c-retail")
    assert verdicts(result)["vendor.amperity"] == "recommended"
    assert verdicts(result)["pattern.identity-resolution"] == "recommended"


def test_warehouse_alone_gives_only_compatibility(rec):
    result = rec("dw.bigquery")
    assert set(verdicts(result).values()) == {"compatible"}


def test_hybrid_profile_resolves_the_dimension_not_the_pattern(rec):
    result = rec("hybrid-cdp", "budget.enterprise", "regulatory.gdpr")
    assert [p["id"] for p in result.profile] == ["org-dim.budget.enterprise", "org-dim.operational-profile.hybrid-cdp",
                                                 "org-dim.regulatory.gdpr"]
    assert verdicts(result)["vendor.hightouch"] == "recommended"
    assert "gdpr-unknown" in next(v for v in result.verdicts if v.target == "vendor.amperity").annotations


def test_verdicts_are_ordered_and_scored(rec):
    result = rec("engineering-led-cdp", "dw.snowflake", "de-staffing.thin")
    order = ["recommended", "caution", "compatible", "conflicted", "discouraged", "blocked"]
    ranks = [order.index(v.verdict) for v in result.verdicts]
    assert ranks == sorted(ranks)
    blocked = next(v for v in result.verdicts if v.target == "pattern.agentification")
    assert blocked.score < 0


# --- the rules on synthetic rows: no shipped data involved ---------------------------------------------

def _runner(signal_rows, taxonomy=(), dims=("org-dim.a.x",)):
    def run(name, params):
        if name == "profile-dimensions":
            return SelectResult(["id", "title", "kind"], [{"id": d, "title": d, "kind": "dimension"} for d in params["dim"]])
        if name == "dimension-taxonomy":
            return SelectResult(["parent", "child"], [{"parent": p, "child": c} for p, c in taxonomy])
        if name == "source-list":
            return SelectResult(["id", "title", "url"], [{"id": "S1", "title": "Doc", "url": "https://x.example/"}])
        assert name == "profile-signals"
        return SelectResult(list(signal_rows[0]) if signal_rows else [], signal_rows)
    return run


def _row(source, rel, target, kind="vendor", strength=None, unless="", needs="", status="existing"):
    return {"hop": 1 if kind != "dimension" else 2, "source": source, "relType": rel, "target": target,
            "targetKind": kind, "targetTitle": target, "strength": strength, "status": status, "rationale": "why",
            "unless": unless, "needs": needs, "evidence": "S1", "targetConfidence": "0.8", "confidence": None,
            "relation": f"urn:rel:{source}:{rel}:{target}"}


def test_rules_fit_versus_compatibility():
    assert role("org-dim.operational-profile.x") == "fit"
    assert role("org-dim.realtime.in-session") == "fit"
    assert role("org-dim.realtime.batch-tolerant") == "compatibility"
    assert role("org-dim.dw.snowflake") == "compatibility"


def test_rules_on_synthetic_rows():
    rows = [
        _row("org-dim.operational-profile.a", "enables", "vendor.fit"),
        _row("org-dim.dw.s", "enables", "vendor.compat"),
        _row("org-dim.operational-profile.a", "enables", "vendor.off", unless="org-dim.de-staffing.thin"),
        _row("org-dim.operational-profile.a", "enables", "vendor.needy", needs="org-dim.budget.big"),
        _row("org-dim.operational-profile.a", "counter-indicates", "vendor.soft", strength="soft"),
        _row("org-dim.operational-profile.a", "counter-indicates", "vendor.hard", strength="hard"),
        _row("org-dim.operational-profile.a", "enables", "vendor.both"),
        _row("org-dim.de-staffing.thin", "counter-indicates", "vendor.both", strength="hard"),
    ]
    result = recommend(_runner(rows), ["org-dim.operational-profile.a", "org-dim.dw.s", "org-dim.de-staffing.thin"],
                       as_of=AS_OF)
    v = verdicts(result)
    assert v == {"vendor.fit": "recommended", "vendor.compat": "compatible", "vendor.off": "caution",
                 "vendor.needy": "caution", "vendor.soft": "discouraged", "vendor.hard": "blocked",
                 "vendor.both": "conflicted"}
    assert [s.effect for s in next(x for x in result.verdicts if x.target == "vendor.off").signals] == ["switched-off"]


def test_requirement_state():
    taxonomy_children = {"org-dim.dw.snowflake", "org-dim.dw.none"}
    assert requirement_state("org-dim.dw", {"org-dim.dw"} | taxonomy_children, {"org-dim.dw.snowflake"}) == "met"
    assert requirement_state("org-dim.dw", {"org-dim.dw"} | taxonomy_children, {"org-dim.dw.none"}) == "violated"
    assert requirement_state("org-dim.dw", {"org-dim.dw"} | taxonomy_children, {"org-dim.budget.smb"}) == "unknown"
    assert requirement_state("org-dim.dw.snowflake", {"org-dim.dw.snowflake"}, {"org-dim.dw.bigquery"}) == "violated"
    assert requirement_state("org-dim.dw.snowflake", {"org-dim.dw.snowflake"},
                             {"org-dim.dw.bigquery", "org-dim.dw.snowflake"}) == "met"


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_json_is_the_stable_agent_format(cli, root):
    result = cli("--project", str(root), "recommend", "--dim", "engineering-led-cdp", "--as-of", "2026-11-26",
                 "--format", "json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["format"] == "kgtool-recommendation/1"
    assert payload["as_of"] == "2026-11-26"
    assert payload["profile"] == [{"id": SEED, "title": "Engineering-Led CDP Operations", "role": "fit"}]
    first = payload["verdicts"][0]
    assert set(first) == {"target", "title", "kind", "confidence", "verdict", "score", "annotations", "signals"}
    assert set(first["signals"][0]) == {"effect", "relation", "source", "type", "target", "rationale", "status",
                                        "strength", "unless", "needs", "sources", "confidence"}


def test_cli_table_and_markdown(cli, root):
    table = cli("--project", str(root), "recommend", "--dim", "engineering-led-cdp", "--as-of", "2026-11-26")
    assert table.exit_code == 0
    assert "recommended  vendor   vendor.hightouch" in table.stdout
    assert "DISCOURAGED  vendor.growthloop  GrowthLoop" in table.stdout
    md = cli("--project", str(root), "recommend", "--dim", "engineering-led-cdp", "--format", "markdown")
    assert md.stdout.startswith("**Profile:** org-dim.operational-profile.engineering-led-cdp")


def test_cli_unknown_or_wrong_dimension_is_a_usage_error(cli, root):
    unknown = cli("--project", str(root), "recommend", "--dim", "engineering-led")
    assert unknown.exit_code == 2
    assert "did you mean: org-dim.operational-profile.engineering-led-cdp" in unknown.stderr
    vendor = cli("--project", str(root), "recommend", "--dim", "vendor.hightouch")
    assert vendor.exit_code == 2 and "not an organisation dimension" in vendor.stderr
