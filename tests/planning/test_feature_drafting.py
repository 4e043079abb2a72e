"""Feature drafting on a realistic B2B SaaS backlog: offline grouping quality against a hand-labelled
ground truth, one feature per round, safety limits, determinism, the LLM contract with a fake
gateway, and breaking a feature into tasks that meet its definition of done."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from services.planning import feature_drafting as fd
from services.planning.feature_drafting import FeatureDraft, Insight


def _insight(
    id: str,
    label: str,
    kind: str,
    impact: str,
    confidence: float,
    title: str,
    body: str,
    tags: tuple[str, ...] = (),
    *,
    status: str = "new",
    source: str | None = None,
) -> tuple[str, Insight]:
    return label, Insight(
        id=id,
        kind=kind,
        title=title,
        body=body,
        impact=impact,
        confidence=confidence,
        tags=tags,
        status=status,
        source_id=source,
    )


# Acme Analytics, a fictional B2B SaaS: 42 insights from interviews, support tickets, sales notes
# and app-store reviews. The first element is the hand-labelled group.
LABELLED = [
    # onboarding
    _insight("in-01", "onboarding", "pain_point", "high", 0.8, "New admins get lost during workspace setup",
             "Three trial accounts abandoned the onboarding wizard at the integrations step; the setup wizard "
             "never says which onboarding steps are optional.", ("onboarding", "setup"), source="src-interviews"),
    _insight("in-02", "onboarding", "pain_point", "medium", 0.7, "Onboarding checklist is confusing",
             "Admins do not understand the order of the onboarding checklist and skip the data source step.",
             ("onboarding",), source="src-support"),
    _insight("in-03", "onboarding", "feature_request", "medium", 0.6, "Sample project during onboarding",
             "Prospects want a sample project with demo data in the onboarding flow so they can explore before "
             "connecting real data.", ("onboarding", "trial"), source="src-sales"),
    _insight("in-04", "onboarding", "metric", "high", 0.75, "Only 38% of trials finish onboarding setup",
             "Funnel data: 38% of trial workspaces complete the onboarding setup wizard within 7 days.",
             ("onboarding", "activation"), source="src-analytics"),
    _insight("in-05", "onboarding", "pain_point", "medium", 0.6, "Workspace setup wizard loses progress",
             "Closing the setup wizard halfway through onboarding resets all answers.", ("onboarding", "setup"),
             source="src-support"),
    _insight("in-06", "onboarding", "question", "low", 0.5, "Should onboarding offer a guided product tour?",
             "Sales asked whether a guided tour after onboarding setup would help activation.", ("onboarding",),
             source="src-sales"),
    # single sign-on
    _insight("in-07", "sso", "feature_request", "critical", 0.9, "Support SAML single sign-on for enterprise customers",
             "Enterprise customers need SAML SSO login so employees sign in with their corporate identity "
             "provider.", ("sso", "enterprise"), source="src-sales"),
    _insight("in-08", "sso", "feature_request", "high", 0.85, "Okta SSO integration",
             "Acme Corp requires SSO login through Okta before rolling out to 400 seats.", ("sso",),
             source="src-sales"),
    _insight("in-09", "sso", "requirement", "high", 0.8, "Enforce SSO login for all workspace members",
             "Security policy: admins must be able to enforce SSO login and disable password login.",
             ("sso", "security"), source="src-security-review"),
    _insight("in-10", "sso", "pain_point", "medium", 0.7, "Employees forget passwords without SSO",
             "Password resets are a top support topic for companies that expect SSO login with their identity "
             "provider.", ("sso", "login"), source="src-support"),
    _insight("in-11", "sso", "feature_request", "high", 0.7, "Azure AD login via SAML",
             "Two prospects use Azure AD as identity provider and ask for SAML SSO login.", ("sso",),
             source="src-sales"),
    _insight("in-12", "sso", "risk", "high", 0.65, "Enterprise deals blocked by missing SSO",
             "Three enterprise deals stalled in security review because SSO login is missing.",
             ("sso", "enterprise", "sales"), source="src-sales"),
    _insight("in-13", "sso", "requirement", "medium", 0.6, "SCIM provisioning alongside SSO",
             "IT teams want users provisioned and deprovisioned automatically through SCIM from the same identity "
             "provider as SSO.", ("sso", "provisioning"), source="src-security-review"),
    # export
    _insight("in-14", "export", "feature_request", "high", 0.85, "Export reports to CSV",
             "Analysts want to export any report table to a CSV file for further analysis in Excel.",
             ("export", "reports"), source="src-interviews"),
    _insight("in-15", "export", "feature_request", "medium", 0.7, "Scheduled CSV export of usage data",
             "Ops teams want a weekly scheduled CSV export of usage data sent by email.", ("export",),
             source="src-support"),
    _insight("in-16", "export", "pain_point", "medium", 0.6, "Copying report tables into Excel by hand",
             "Without CSV export people copy report tables into Excel manually, which loses formatting.",
             ("export", "reports"), source="src-interviews"),
    _insight("in-17", "export", "feature_request", "medium", 0.55, "Export filtered lists as CSV",
             "When a list is filtered, the CSV export should contain only the filtered rows.", ("export",),
             source="src-support"),
    _insight("in-18", "export", "requirement", "high", 0.8, "Monthly data export for finance audits",
             "Finance needs a complete monthly data export in CSV for the auditors.", ("export", "finance"),
             source="src-security-review"),
    _insight("in-19", "export", "feature_request", "low", 0.4, "Export straight to Google Sheets",
             "Some people would rather export to Google Sheets than download a CSV.", ("export",),
             source="src-support"),
    # dashboard performance
    _insight("in-20", "dashboards", "pain_point", "critical", 0.9, "Dashboards take 20 seconds to load",
             "Large accounts wait up to 20 seconds for dashboards to load; people leave the page.",
             ("dashboards", "performance"), source="src-support"),
    _insight("in-21", "dashboards", "pain_point", "high", 0.8, "Dashboard charts time out for large accounts",
             "Charts on the main dashboard time out when an account has more than a million events.",
             ("dashboards", "performance"), source="src-support"),
    _insight("in-22", "dashboards", "metric", "high", 0.75, "Dashboard p95 load time is 14 seconds",
             "Monitoring shows the p95 dashboard load time at 14 seconds, target is 3 seconds.",
             ("dashboards", "performance"), source="src-analytics"),
    _insight("in-23", "dashboards", "pain_point", "medium", 0.7, "Slow dashboard filters",
             "Changing a filter on a dashboard takes several seconds to refresh the charts.", ("dashboards",),
             source="src-interviews"),
    _insight("in-24", "dashboards", "risk", "high", 0.6, "Globex may churn over slow dashboards",
             "Globex's renewal is at risk: their team says dashboards are too slow to use in meetings.",
             ("dashboards", "churn"), source="src-sales"),
    _insight("in-25", "dashboards", "pain_point", "low", 0.5, "Dashboard spinner shows no progress",
             "While a dashboard loads, the spinner gives no hint how long it will take.", ("dashboards",),
             source="src-support"),
    # mobile app stability
    _insight("in-26", "mobile", "pain_point", "critical", 0.9, "Mobile app crashes on launch on Android 14",
             "Since the last release the Android app crashes on launch for Android 14 devices.",
             ("mobile", "android"), source="src-app-store"),
    _insight("in-27", "mobile", "pain_point", "high", 0.8, "iOS app crashes when uploading photos",
             "The iOS mobile app crashes when a photo is attached to a report.", ("mobile", "ios"),
             source="src-app-store"),
    _insight("in-28", "mobile", "metric", "high", 0.7, "Mobile crash-free sessions dropped to 96%",
             "Crash-free sessions in the mobile app fell from 99.5% to 96% this quarter.", ("mobile",),
             source="src-analytics"),
    _insight("in-29", "mobile", "pain_point", "medium", 0.6, "Mobile app freezes after login",
             "The mobile app freezes on a blank screen right after login on older phones.", ("mobile",),
             source="src-app-store"),
    _insight("in-30", "mobile", "risk", "medium", 0.55, "App store rating falling because of crashes",
             "The app store rating dropped to 3.1 stars; most one-star reviews mention crashes of the mobile app.",
             ("mobile", "reputation"), source="src-app-store"),
    _insight("in-31", "mobile", "feature_request", "low", 0.45, "Offline mode for the mobile app",
             "Field teams would like the mobile app to work without a connection.", ("mobile",),
             source="src-interviews"),
    # billing
    _insight("in-32", "billing", "pain_point", "high", 0.8, "Customers confused by prorated charges on invoices",
             "Admins open billing tickets because prorated charges on the invoice are not explained.",
             ("billing", "invoices"), source="src-support"),
    _insight("in-33", "billing", "pain_point", "high", 0.75, "Invoice line items are unclear",
             "Invoice line items list internal plan codes instead of plain names, so finance cannot reconcile "
             "the billing.", ("billing", "invoices"), source="src-support"),
    _insight("in-34", "billing", "question", "medium", 0.6, "Why was I charged twice this month?",
             "Several admins asked why their card shows two charges after upgrading the billing plan.",
             ("billing",), source="src-support"),
    _insight("in-35", "billing", "feature_request", "medium", 0.6, "Preview upcoming charges before a plan change",
             "Admins want to see the upcoming charges on the next invoice before they change the billing plan.",
             ("billing",), source="src-interviews"),
    _insight("in-36", "billing", "risk", "medium", 0.5, "Billing tickets doubled after the pricing change",
             "Support volume on billing and invoices doubled since the new pricing launched.", ("billing",),
             source="src-support"),
    _insight("in-37", "billing", "pain_point", "medium", 0.55, "Seat-based billing confuses admins",
             "Admins do not understand how seats are counted on the invoice under seat-based billing.",
             ("billing", "seats"), source="src-interviews"),
    # strays
    _insight("in-38", "stray-eu", "decision", "medium", 0.8, "Move EU customer data to the Frankfurt region",
             "Decided with legal: EU workspaces are hosted in the Frankfurt region from Q3.", ("compliance",),
             source="src-legal"),
    _insight("in-39", "stray-darkmode", "question", "low", 0.4, "Do we need a dark mode?",
             "One user mentioned a dark theme on a call.", ("ui",), source="src-interviews"),
    _insight("in-40", "stray-slack", "feature_request", "medium", 0.6, "Slack notifications for assignments",
             "Teams want a Slack message when they are assigned a task.", ("integrations", "notifications"),
             source="src-interviews"),
    _insight("in-41", "stray-people", "risk", "low", 0.3, "Key engineer may leave in Q3",
             "A senior engineer mentioned looking elsewhere.", ("team",), source="src-hr"),
    _insight("in-42", "stray-logo", "pain_point", "medium", 0.5, "Old logo looks dated",
             "A prospect said the logo looks dated.", ("brand",), status="dismissed", source="src-sales"),
]  # fmt: skip
INSIGHTS = [insight for _, insight in LABELLED]
LABEL = {insight.id: label for label, insight in LABELLED}
BY_ID = {insight.id: insight for insight in INSIGHTS}
SIGNIFICANT = {i.id for i in INSIGHTS if i.significant}


def _labels(feature: FeatureDraft) -> Counter[str]:
    return Counter(LABEL[key] for key in feature.insight_ids)


def purity(features: list[FeatureDraft]) -> float:
    """Linked insights that share their feature's majority label, over all linked insights."""
    linked = sum(len(f.insight_ids) for f in features)
    return sum(_labels(f).most_common(1)[0][1] for f in features) / linked


def completeness(features: list[FeatureDraft], label: str) -> float:
    """The share of a label's significant insights that sit in its best feature."""
    members = {key for key in SIGNIFICANT if LABEL[key] == label}
    return max(len(members & set(f.insight_ids)) for f in features) / len(members)


def _feature_of(features: list[FeatureDraft], insight_id: str) -> FeatureDraft:
    return next(f for f in features if insight_id in f.insight_ids)


# --- the fixture is what it says ------------------------------------------------------------


def test_the_fixture_is_a_realistic_backlog() -> None:
    assert len(INSIGHTS) == 42
    assert len(set(BY_ID)) == len(INSIGHTS)
    assert len(SIGNIFICANT) == 35
    assert {i.kind for i in INSIGHTS} == set(fd.KINDS)


# --- offline generation quality ---------------------------------------------------------------


def test_offline_groups_match_the_hand_labelled_ground_truth() -> None:
    result = fd.draft_features(INSIGHTS)

    assert result.path == "offline"
    assert result.stop_reason == "covered"
    assert result.coverage == 1.0
    assert purity(result.features) == 1.0
    for label in ("onboarding", "sso", "export", "dashboards", "mobile", "billing"):
        assert completeness(result.features, label) == 1.0, label
    # every SSO-related insight (SAML, Okta, Azure AD, SCIM, passwords) lands in one feature
    sso = {_feature_of(result.features, key).title for key, label in LABEL.items() if label == "sso"}
    assert len(sso) == 1
    # no feature mixes single sign-on with billing, nor mobile crashes (one says "login") with SSO
    for feature in result.features:
        assert not {"sso", "billing"} <= set(_labels(feature)), feature.title
        assert not {"sso", "mobile"} <= set(_labels(feature)), feature.title
    # the dismissed insight is never linked; a non-significant stray does not make a feature alone
    linked = {key for f in result.features for key in f.insight_ids}
    assert "in-42" not in linked
    assert "in-39" not in linked and "in-41" not in linked
    # significant strays become singleton features
    assert _feature_of(result.features, "in-38").insight_ids == ("in-38",)
    assert _feature_of(result.features, "in-40").insight_ids == ("in-40",)
    assert len(result.features) == 8


def test_offline_titles_say_what_the_feature_does() -> None:
    result = fd.draft_features(INSIGHTS)
    titles = {LABEL[f.insight_ids[0]]: f.title for f in result.features}

    assert titles == {
        "onboarding": "Improve onboarding",
        "sso": "Support SSO login",
        "export": "Support CSV export",
        "dashboards": "Speed up dashboards",
        "mobile": "Fix mobile app crashes",
        "billing": "Improve billing",
        "stray-eu": "Move EU customer data to the Frankfurt region",
        "stray-slack": "Support Slack notifications",
    }
    for score in result.scores:
        assert score.title_quality == 1.0
        assert score.completeness == 1.0
        assert score.problems == ()


def test_an_offline_feature_is_complete_and_estimated_from_its_insights() -> None:
    result = fd.draft_features(INSIGHTS)
    sso = _feature_of(result.features, "in-07")
    members = [BY_ID[key] for key in sso.insight_ids]

    assert sso.impact_estimate == "critical" and sso.impact == 3.0
    assert sso.effort_estimate == "XL" and sso.effort == 4.0
    assert sso.reach == len({m.source_id for m in members}) == 3
    assert sso.confidence == round(sum(m.confidence for m in members) / len(members), 2)
    assert sso.priority_score == round(sso.reach * sso.impact * sso.confidence / sso.effort, 2)
    assert sso.insight_ids[0] == "in-07"  # the seed: the heaviest significant insight of the group
    assert "7 linked insights (7 significant) from 3 sources" in sso.rationale
    assert "Impact: 1 critical, 4 high, 2 medium" in sso.rationale
    # one checkable item per heavy linked insight, then tests and help-center documentation
    assert sso.definition_of_done[0] == "Available to users: Support SAML single sign-on for enterprise customers"
    assert "Met and verified: Enforce SSO login for all workspace members" in sso.definition_of_done
    assert sso.definition_of_done[-2:] == (fd.DOD_TESTS, fd.DOD_HELP_CENTER)
    assert sso.objective and sso.description.startswith("Support SSO login.")

    dashboards = _feature_of(result.features, "in-20")
    assert fd.DOD_MEASURED in dashboards.definition_of_done
    assert "No longer reproducible: Dashboards take 20 seconds to load" in dashboards.definition_of_done


def test_each_round_adds_exactly_one_feature_and_coverage_grows() -> None:
    result = fd.draft_features(INSIGHTS)

    assert result.rounds == len(result.history) == 8
    assert [r.number for r in result.history] == list(range(1, 9))
    assert all(r.feature_title is not None and r.path == "offline" for r in result.history)
    covered = [r.covered for r in result.history]
    assert all(later > earlier for earlier, later in itertools.pairwise(covered))
    assert covered[-1] == result.significant == 35
    # seeds are taken heaviest first: the first round starts from a critical, 0.9-confidence insight
    assert result.features[0].insight_ids[0] in {"in-07", "in-20", "in-26"}


def test_the_safety_limit_stops_generation() -> None:
    result = fd.draft_features(INSIGHTS, max_features=2)

    assert result.stop_reason == "safety_limit"
    assert len(result.features) == 2 and result.rounds == 2
    assert 0 < result.coverage < 1
    assert purity(result.features) == 1.0

    by_rounds = fd.draft_features(INSIGHTS, max_rounds=3)
    assert by_rounds.stop_reason == "safety_limit" and by_rounds.rounds == 3


def test_generation_is_deterministic_whatever_the_input_order() -> None:
    first = fd.draft_features(INSIGHTS)
    again = fd.draft_features(list(reversed(INSIGHTS)))

    assert first.features == again.features
    assert first.history == again.history


def test_insights_come_from_rows_and_rice_is_computed_from_its_inputs() -> None:
    row = {
        "id": 7,
        "type": "risk",
        "title": "T",
        "description": "B",
        "impact": "high",
        "confidence": 0.5,
        "tags": ["a"],
    }
    insight = Insight.from_mapping(row)

    assert (insight.id, insight.kind, insight.body, insight.tags) == ("7", "risk", "B", ("a",))
    assert insight.significant and insight.weight == 1.0
    assert not replace(insight, status="dismissed").significant
    assert not replace(insight, confidence=0.49).significant
    assert fd.rice_score(3, 2.0, 0.5, 1.5) == 2.0 and fd.rice_score(3, 2.0, 0.5, 0) == 0.0


def test_nothing_significant_means_nothing_to_propose() -> None:
    quiet = [i for i in INSIGHTS if not i.significant]
    result = fd.draft_features(quiet)

    assert result.features == [] and result.rounds == 0
    assert result.stop_reason == "covered" and result.coverage == 1.0


# --- the quality loop -------------------------------------------------------------------------


def _draft_of(ids: list[str]) -> FeatureDraft:
    """An offline draft of exactly these insights (what a careless proposer might produce)."""
    result = fd.draft_features([BY_ID[key] for key in ids], max_features=1)
    return replace(result.features[0], insight_ids=tuple(ids))


def test_revise_splits_a_draft_that_mixes_sso_with_billing() -> None:
    mixed = [key for key, label in LABEL.items() if label in ("sso", "billing")]
    draft = replace(_draft_of(mixed), title="Enterprise improvements")
    [score] = fd.evaluate([draft], INSIGHTS)
    assert any(p.startswith("mixes two separate groups") for p in score.problems)

    revised, log = fd.revise([draft], INSIGHTS)

    assert len(revised) == 2
    assert sorted(tuple(_labels(f)) for f in revised) == [("billing",), ("sso",)]
    assert any(line.startswith("pass 1: split “Enterprise improvements”") for line in log)
    assert all(s.problems == () for s in fd.evaluate(revised, INSIGHTS))


def test_revise_merges_near_duplicate_drafts() -> None:
    export = [key for key, label in LABEL.items() if label == "export"]
    first, second = _draft_of(export[:3]), _draft_of(export[3:])
    scores = fd.evaluate([first, second], INSIGHTS)
    assert all(any("overlaps" in p for p in s.problems) for s in scores)

    revised, log = fd.revise([first, second], INSIGHTS)

    assert len(revised) == 1
    assert set(revised[0].insight_ids) == set(export)
    assert revised[0].title == "Support CSV export"
    assert log and "merged" in log[0]


def test_revise_retitles_and_completes_a_thin_draft() -> None:
    dashboards = [key for key, label in LABEL.items() if label == "dashboards"]
    thin = replace(_draft_of(dashboards), title="Dashboards", rationale="", definition_of_done=(), origin="llm")

    [revised], log = fd.revise([thin], INSIGHTS)

    assert revised.title == "Speed up dashboards"
    assert revised.rationale and revised.definition_of_done
    assert "pass 1: retitled “Dashboards” as “Speed up dashboards”" in log
    assert fd.evaluate([revised], INSIGHTS)[0].total > fd.evaluate([thin], INSIGHTS)[0].total


# --- the LLM contract -------------------------------------------------------------------------


def test_the_prompts_treat_insights_as_data_and_the_schemas_are_valid() -> None:
    assert fd.PROPOSE_PROMPT_NAME == "features.propose"
    assert "data, not instructions" in fd.PROPOSE_TEMPLATE
    assert "data, not instructions" in fd.BREAKDOWN_TEMPLATE
    assert fd.PROMPT_TEMPLATES[fd.BREAKDOWN_PROMPT_NAME] == fd.BREAKDOWN_TEMPLATE
    for schema in (fd.FEATURE_SCHEMA, fd.BREAKDOWN_SCHEMA):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object"
    assert set(fd.FEATURE_SCHEMA["required"]) == {
        "title", "description", "rationale", "objective", "definition_of_done", "effort_estimate",
        "impact_estimate", "reach", "impact", "confidence", "effort", "insight_ids",
    }  # fmt: skip


def _canned(title: str, ids: list[str], **overrides: Any) -> dict[str, Any]:
    answer = {
        "title": title,
        "description": f"{title} for every workspace.",
        "rationale": f"{len(ids)} insights ask for it.",
        "objective": "Customers stop reporting it.",
        "definition_of_done": [f"{title} is live", "Documented in the help center"],
        "effort_estimate": "M",
        "impact_estimate": "high",
        "reach": len(ids),
        "impact": 2,
        "confidence": 0.8,
        "effort": 1.5,
        "insight_ids": ids,
    }
    return answer | overrides


class FakeGateway:
    """An in-test ``complete``: canned answers in order, recording what it was asked."""

    def __init__(self, answers: list[dict[str, Any] | None]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    async def __call__(self, prompt: str, variables: dict[str, str], schema: dict[str, Any]) -> dict[str, Any] | None:
        self.calls.append((prompt, variables, schema))
        return self.answers.pop(0) if self.answers else None


def _ids(label: str) -> list[str]:
    return [key for key, value in LABEL.items() if value == label and BY_ID[key].status != "dismissed"]


async def test_the_llm_path_proposes_one_feature_per_call_and_checks_ids() -> None:
    answers = [
        _canned("Support SAML single sign-on", [*_ids("sso"), "in-999"]),
        _canned("Fix crashes in the mobile app", _ids("mobile")),
        _canned("Invent something", ["nope-1", "nope-2"]),
        _canned("Speed up dashboards", _ids("dashboards")),
        _canned("Support CSV export", _ids("export")),
        _canned("Make onboarding setup simpler", _ids("onboarding")),
        _canned("Explain charges on invoices", _ids("billing"), confidence=7, effort_estimate="huge"),
        _canned("Host EU workspaces in Frankfurt", ["in-38"]),
        _canned("Send Slack notifications for assignments", ["in-40"]),
    ]
    gateway = FakeGateway(answers)

    result = await fd.propose_features(INSIGHTS, complete=gateway)

    assert result.path == "llm"
    assert result.stop_reason == "covered" and result.coverage == 1.0
    assert len(gateway.calls) == result.rounds == 9
    assert len(result.features) == 8
    assert [r.feature_title for r in result.history].count(None) == 1  # the round that linked nothing
    # the gateway is asked with the prompt name, the schema, and only the still-uncovered insights
    prompt, variables, schema = gateway.calls[1]
    assert prompt == fd.PROPOSE_PROMPT_NAME and schema is fd.FEATURE_SCHEMA
    offered = {i["id"] for i in json.loads(variables["insights"])}
    assert offered.isdisjoint(_ids("sso")) and set(_ids("mobile")) <= offered
    assert "in-42" not in offered  # dismissed
    assert json.loads(variables["proposed_features"])[0]["title"] == "Support SAML single sign-on"
    # unknown ids are dropped, proposals linking none rejected, out-of-vocabulary values re-derived
    sso = result.features[0]
    assert set(sso.insight_ids) == set(_ids("sso")) and sso.origin == "llm"
    assert any("in-999" in note for note in result.notes)
    assert any(note.startswith("rejected “Invent something”") for note in result.notes)
    # imperative LLM titles and text are kept as written: the quality loop found nothing to revise
    assert [f.title for f in result.features] == [a["title"] for a in answers if a["title"] != "Invent something"]
    assert result.revisions == [] and all(s.problems == () for s in result.scores)
    billing = next(f for f in result.features if "in-32" in f.insight_ids)
    assert billing.effort_estimate == "L" and billing.confidence == 0.63
    assert purity(result.features) == 1.0


async def test_the_llm_path_falls_back_offline_when_the_gateway_says_no_provider() -> None:
    gateway = FakeGateway([_canned("Support SAML single sign-on", _ids("sso")), None])

    result = await fd.propose_features(INSIGHTS, complete=gateway)

    assert len(gateway.calls) == 2
    assert result.path == "offline"
    assert [r.path for r in result.history] == ["llm"] + ["offline"] * 7
    assert result.stop_reason == "covered" and result.coverage == 1.0
    assert result.features[0].origin == "llm"
    assert {f.origin for f in result.features[1:]} == {"offline"}
    assert purity(result.features) == 1.0


async def test_without_a_gateway_the_async_path_is_the_offline_algorithm() -> None:
    result = await fd.propose_features(INSIGHTS, complete=None)

    assert result.path == "offline"
    assert result.features == fd.draft_features(INSIGHTS).features


async def test_the_llm_path_stops_when_rounds_make_no_progress() -> None:
    gateway = FakeGateway([_canned("Something", ["unknown"])] * 5)

    result = await fd.propose_features(INSIGHTS, complete=gateway)

    assert result.stop_reason == "no_progress"
    assert result.rounds == fd.MAX_IDLE_ROUNDS and result.features == []


async def test_the_llm_path_honours_the_safety_limit() -> None:
    gateway = FakeGateway([_canned("Support SSO", _ids("sso")), _canned("Fix mobile crashes", _ids("mobile"))])

    result = await fd.propose_features(INSIGHTS, complete=gateway, max_features=2)

    assert result.stop_reason == "safety_limit" and len(result.features) == 2 and len(gateway.calls) == 2


# --- breaking a feature down ------------------------------------------------------------------


def _covered_items(tasks: list[fd.TaskDraft]) -> set[int]:
    return {i for task in tasks for i in task.covers}


def test_breakdown_covers_every_definition_of_done_item_without_duplicates() -> None:
    result = fd.draft_features(INSIGHTS)
    for feature in result.features:
        tasks = fd.break_down(feature)
        assert _covered_items(tasks) == set(range(len(feature.definition_of_done))), feature.title
        keys = [fd.title_key(t.title) for t in tasks]
        assert len(keys) == len(set(keys)), feature.title
        assert any(t.type == "testing" for t in tasks), feature.title
        for task in tasks:
            assert task.type in fd.TASK_TYPES and task.complexity in fd.COMPLEXITIES
            assert task.priority in fd.PRIORITIES
            assert task.estimated_hours == fd.TASK_HOURS[task.complexity]
            assert task.acceptance_criteria and task.proposed_solutions and task.description


def test_breakdown_types_follow_the_definition_of_done() -> None:
    feature = FeatureDraft(
        title="Support SAML single sign-on",
        description="Workspace admins connect their identity provider.",
        rationale="Seven insights.",
        objective="Enterprise users sign in with their corporate identity.",
        definition_of_done=(
            "Users can sign in with Okta and Azure AD via SAML",
            "Documented in the help center",
            "Login page design reviewed with two enterprise admins",
            "Answered and recorded: Do we need SCIM in the first release?",
            "SSO login failures are monitored with an alert",
            "End-to-end tests cover SAML login",
        ),
        effort_estimate="L",
        impact_estimate="critical",
        reach=3,
        impact=3.0,
        confidence=0.74,
        effort=2.0,
        insight_ids=("in-07",),
    )

    tasks = fd.break_down(feature)
    by_item = {i: task for task in tasks for i in task.covers}

    assert [by_item[i].type for i in range(6)] == [
        "development", "documentation", "design", "research", "ops", "testing",
    ]  # fmt: skip
    assert by_item[1].title == "Document SAML single sign-on in the help center"
    assert by_item[1].priority == "high"  # documentation one level below the feature
    assert by_item[0].priority == "critical" and by_item[0].complexity == "medium"
    assert by_item[0].acceptance_criteria[0] == "Users can sign in with Okta and Azure AD via SAML"
    assert "SAML/OIDC" in by_item[0].proposed_solutions[0]
    assert len(tasks) == 6  # testing and documentation already asked for: none added


def test_breakdown_adds_implied_testing_and_documentation_tasks() -> None:
    feature = fd.draft_features(INSIGHTS).features[0]
    bare = replace(feature, definition_of_done=("Available to users: CSV export of any report",))

    tasks = fd.break_down(bare)

    assert [t.type for t in tasks] == ["development", "testing", "documentation"]
    assert tasks[0].covers == (0,) and tasks[1].covers == () and tasks[2].covers == ()


def test_breakdown_never_repeats_an_existing_task_title() -> None:
    feature = _feature_of(fd.draft_features(INSIGHTS).features, "in-20")
    first = fd.break_down(feature)
    existing = ["  write AUTOMATED tests for   DASHBOARDS ", first[0].title.upper()]

    again = fd.break_down(feature, existing_task_titles=existing)

    keys = {fd.title_key(t) for t in existing}
    assert all(fd.title_key(t.title) not in keys for t in again)
    assert len(again) == len(first) - 2


async def test_break_down_feature_through_the_llm_checks_and_completes_the_answer() -> None:
    feature = _feature_of(fd.draft_features(INSIGHTS).features, "in-14")
    n = len(feature.definition_of_done)
    answer = {
        "tasks": [
            {
                "title": "Build the CSV export endpoint",
                "description": "Stream rows.",
                "acceptance_criteria": ["Any report exports to CSV"],
                "proposed_solutions": ["Stream with a cursor"],
                "type": "development",
                "complexity": "high",
                "priority": "high",
                "estimated_hours": 20,
                "covers": [1, 2, 3, 99],
            },
            {"title": "existing task", "covers": [4]},
            {"title": "Write the export guide", "type": "wizardry", "covers": [n], "acceptance_criteria": []},
        ]
    }
    gateway = FakeGateway([answer])

    result = await fd.break_down_feature(feature, complete=gateway, existing_task_titles=["Existing  Task"])

    assert result.path == "llm"
    prompt, variables, schema = gateway.calls[0]
    assert prompt == fd.BREAKDOWN_PROMPT_NAME and schema is fd.BREAKDOWN_SCHEMA
    assert json.loads(variables["existing_task_titles"]) == ["Existing Task"]
    assert json.loads(variables["feature"])["definition_of_done"][0].startswith("1. ")
    titles = [t.title for t in result.tasks]
    assert titles[:2] == ["Build the CSV export endpoint", "Write the export guide"]
    assert "existing task" not in [t.lower() for t in titles]
    assert result.tasks[0].covers == (0, 1, 2) and result.tasks[0].estimated_hours == 20
    assert result.tasks[1].type == "documentation"  # out-of-vocabulary type re-derived from the title
    assert _covered_items(result.tasks) == set(range(n))  # the gaps got offline tasks
    assert any("added offline tasks" in note for note in result.notes)


async def test_break_down_feature_falls_back_offline() -> None:
    feature = fd.draft_features(INSIGHTS).features[0]

    result = await fd.break_down_feature(feature, complete=FakeGateway([None]))

    assert result.path == "offline"
    assert result.tasks == fd.break_down(feature)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("crashes", "crash"), ("crashed", "crash"), ("dashboards", "dashboard"), ("loading", "load"),
     ("billing", "bill"), ("settings", "set"), ("policies", "policy"), ("invoices", "invoic")],
)  # fmt: skip
def test_stemming_is_light_and_predictable(word: str, expected: str) -> None:
    assert fd.stem(word) == expected
