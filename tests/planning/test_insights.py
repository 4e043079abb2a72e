"""Insights as a service: written by hand with the product's vocabulary, found by full-text search
(ranked) and filters, paged without gaps or repeats in either order, triaged and linked to
features by the documented status rules, every change an event; refused for the wrong role,
another project, or bad input.
"""

from __future__ import annotations

import grpc
import orjson
import pytest

from aira.planning.v1 import events_pb2, sources_pb2, sources_pb2_grpc
from services.planning.models import Insight
from tests.grpc_calls import refused
from tests.planning.sources_support import (
    Team,
    add_feature,
    add_text,
    count_rows,
    new_team,
    outbox,
    payload_of,
    project_events,
)


@pytest.fixture
def stub(planning_channel) -> sources_pb2_grpc.InsightsStub:
    return sources_pb2_grpc.InsightsStub(planning_channel)


@pytest.fixture
def sources_stub(planning_channel) -> sources_pb2_grpc.SourcesStub:
    return sources_pb2_grpc.SourcesStub(planning_channel)


def new_insight(team: Team, **fields) -> sources_pb2.CreateInsightRequest:
    values = {"type": "pain_point", "title": "Exports time out", "impact": "high", "confidence": 0.8} | fields
    return sources_pb2.CreateInsightRequest(project_id=team.project_id, **values)


async def create(stub, team: Team, **fields) -> sources_pb2.Insight:
    return await stub.CreateInsight(new_insight(team, **fields), metadata=team.pm)


def ref(team: Team, insight_id: str) -> sources_pb2.InsightRef:
    return sources_pb2.InsightRef(project_id=team.project_id, insight_id=insight_id)


async def listed(stub, team: Team, metadata=None, **filters) -> list[sources_pb2.Insight]:
    """Every insight the filters find, walking the pages two at a time."""
    found, cursor = [], ""
    while True:
        page = await stub.ListInsights(
            sources_pb2.ListInsightsRequest(project_id=team.project_id, page={"limit": 2, "cursor": cursor}, **filters),
            metadata=metadata or team.pm,
        )
        assert len(page.items) <= 2
        found += page.items
        cursor = page.page.next_cursor
        if not cursor:
            return found


async def test_a_hand_written_insight_is_normalised_and_announced(stub, sources_stub, team, engine) -> None:
    source = await add_text(sources_stub, team, "Interview: exports of big projects time out.")
    insight = await create(
        stub,
        team,
        body="  Three customers said so.  ",
        tags=["Exports", " exports ", "Large   Projects", "PERFORMANCE"],
        domain=" Reporting ",
        source_id=source.id,
        confidence=1.0,
    )
    assert (insight.status, insight.origin, insight.body, insight.domain) == (
        "new",
        "manual",
        "Three customers said so.",
        "reporting",
    )
    assert list(insight.tags) == ["exports", "large projects", "performance"]
    assert (insight.source_id, insight.linked_feature_id, insight.atom_id, insight.confidence) == (
        source.id,
        "",
        "",
        1.0,
    )
    [created] = await outbox(engine, "planning.insight.created.v1", team.project_id)
    event = payload_of(created, events_pb2.InsightChanged)
    assert (event.insight_id, event.status, event.linked_feature_id) == (insight.id, "new", "")
    assert (
        created.entity_type == "insight"
        and b'"tags":["exports","large projects","performance"]' in created.snapshot_json
    )
    assert (await stub.GetInsight(ref(team, insight.id), metadata=team.as_role("viewer"))).title == "Exports time out"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "gossip"}, "type"),
        ({"impact": "huge"}, "impact"),
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": float("nan")}, "confidence"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"body": "bad \x07 bell"}, "body"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [""]}, "tags"),
        ({"domain": "d" * 101}, "domain"),
    ],
)
async def test_bad_insights_are_refused_and_nothing_is_written(stub, team, engine, fields, field) -> None:
    problem = await refused(
        stub.CreateInsight, new_insight(team, **fields), team.pm, grpc.StatusCode.INVALID_ARGUMENT, "validation-failed"
    )
    assert problem["field"] == field
    assert await count_rows(engine, Insight, team.project_id) == 0
    assert await project_events(engine, team.project_id) == []


async def test_twenty_tags_of_fifty_characters_are_fine(stub, team) -> None:
    tags = [f"{i:02d}" + "x" * 48 for i in range(20)]
    assert list((await create(stub, team, tags=tags)).tags) == tags


async def test_an_insight_cites_only_its_own_project_s_sources(stub, sources_stub, principals, engine) -> None:
    a, b = new_team(principals), new_team(principals)
    theirs = await add_text(sources_stub, b, "Project B's notes.")
    for source_id in (theirs.id, "not-an-id", "00000000-0000-7000-8000-000000000000"):
        await refused(
            stub.CreateInsight, new_insight(a, source_id=source_id), a.pm, grpc.StatusCode.NOT_FOUND, "source-not-found"
        )
    assert await count_rows(engine, Insight, a.project_id) == 0


async def test_search_ranks_title_matches_first_and_pages_by_rank(stub, team) -> None:
    in_title = await create(stub, team, title="Offline mode for field teams", body="They travel a lot.")
    in_body = await create(stub, team, title="Travel app feedback", body="Some asked about offline use.")
    in_domain = await create(stub, team, title="Sync conflicts", domain="offline")
    both = await create(stub, team, title="Offline maps", body="Offline maps and offline notes, offline always.")
    await create(stub, team, title="Billing is confusing", body="Invoices lack detail.")

    found = await listed(stub, team, query="offline")
    assert [i.id for i in found][:2] == [both.id, in_title.id]
    assert {i.id for i in found} == {in_title.id, in_body.id, in_domain.id, both.id}
    ranks = [i.rank for i in found]
    assert ranks == sorted(ranks, reverse=True) and all(r > 0 for r in ranks)
    assert ranks[-1] < ranks[0]

    assert [i.id for i in await listed(stub, team, query='"offline maps"')] == [both.id]
    assert {i.id for i in await listed(stub, team, query="offline -maps")} == {in_title.id, in_body.id, in_domain.id}
    assert {i.id for i in await listed(stub, team, query="billing or sync")} == {
        i.id for i in await listed(stub, team) if i.title in ("Billing is confusing", "Sync conflicts")
    }
    assert await listed(stub, team, query="kubernetes") == []
    assert await listed(stub, team, query="the") == []  # only a stop word: nothing to match


async def test_equal_ranks_page_without_gaps_or_repeats(stub, team) -> None:
    made = [await create(stub, team, title=f"Onboarding step {i} is unclear") for i in range(7)]
    found = await listed(stub, team, query="onboarding unclear")
    assert len({i.rank for i in found}) == 1  # all tie: the id decides
    assert [i.id for i in found] == sorted((m.id for m in made), reverse=True)


async def test_newest_first_without_a_query_and_cursors_belong_to_their_order(stub, team) -> None:
    made = [await create(stub, team, title=f"Finding {i}") for i in range(5)]
    found = await listed(stub, team)
    assert [i.id for i in found] == [m.id for m in reversed(made)]
    assert all(i.rank == 0 for i in found)

    first = await stub.ListInsights(
        sources_pb2.ListInsightsRequest(project_id=team.project_id, page={"limit": 1}, query="finding"),
        metadata=team.pm,
    )
    by_rank = first.page.next_cursor
    switched = sources_pb2.ListInsightsRequest(project_id=team.project_id, page={"limit": 1, "cursor": by_rank})
    await refused(stub.ListInsights, switched, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "invalid-cursor")
    other_query = sources_pb2.ListInsightsRequest(
        project_id=team.project_id, page={"limit": 1, "cursor": by_rank}, query="something else"
    )
    await refused(stub.ListInsights, other_query, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "invalid-cursor")


async def test_filters_combine(stub, sources_stub, team) -> None:
    source = await add_text(sources_stub, team, "Support tickets, week 12.")
    risk = await create(stub, team, type="risk", title="Vendor lock-in", impact="critical", tags=["vendor", "legal"])
    ask = await create(
        stub,
        team,
        type="feature_request",
        title="Dark mode",
        impact="low",
        domain="UI",
        tags=["ui"],
        source_id=source.id,
    )
    metric = await create(stub, team, type="metric", title="Churn is 4%", impact="medium", domain="ui", tags=["kpi"])
    dismissed = await create(stub, team, type="risk", title="Old risk", tags=["legal"])
    await stub.DismissInsight(ref(team, dismissed.id), metadata=team.pm)

    def ids(items) -> set[str]:
        return {i.id for i in items}

    assert ids(await listed(stub, team, type="risk")) == {risk.id}
    assert ids(await listed(stub, team, type="risk", include_dismissed=True)) == {risk.id, dismissed.id}
    assert ids(await listed(stub, team, status="dismissed")) == {dismissed.id}
    assert ids(await listed(stub, team, domain="UI")) == {ask.id, metric.id}
    assert ids(await listed(stub, team, tags=["legal", "KPI"])) == {risk.id, metric.id}
    assert ids(await listed(stub, team, tags=["legal"], include_dismissed=True)) == {risk.id, dismissed.id}
    assert ids(await listed(stub, team, impact="critical")) == {risk.id}
    assert ids(await listed(stub, team, source_id=source.id)) == {ask.id}
    assert ids(await listed(stub, team, domain="ui", type="metric", tags=["kpi"], impact="medium")) == {metric.id}
    assert ids(await listed(stub, team, query="churn", domain="ui")) == {metric.id}
    for bad in ({"type": "rumour"}, {"status": "archived"}, {"impact": "huge"}, {"source_id": "nope"}):
        await refused(
            stub.ListInsights,
            sources_pb2.ListInsightsRequest(project_id=team.project_id, **bad),
            team.pm,
            grpc.StatusCode.INVALID_ARGUMENT,
            "validation-failed",
        )


async def test_patch_changes_what_was_given_and_announces_the_changes(stub, team, engine) -> None:
    insight = await create(stub, team, tags=["a", "b"], domain="exports")
    same = await stub.UpdateInsight(
        sources_pb2.UpdateInsightRequest(project_id=team.project_id, insight_id=insight.id, title="Exports time out"),
        metadata=team.pm,
    )
    assert same.updated_at == insight.updated_at  # nothing changed, nothing announced
    changed = await stub.UpdateInsight(
        sources_pb2.UpdateInsightRequest(
            project_id=team.project_id,
            insight_id=insight.id,
            title="Exports of large projects time out",
            confidence=0.95,
            impact="critical",
            tags=[],
            replace_tags=True,
        ),
        metadata=team.pm,
    )
    assert (changed.title, changed.confidence, changed.impact, list(changed.tags), changed.domain) == (
        "Exports of large projects time out",
        0.95,
        "critical",
        [],
        "exports",
    )
    [updated] = await outbox(engine, "planning.insight.updated.v1", team.project_id)
    assert set(orjson.loads(updated.changes_json)) == {"title", "confidence", "impact", "tags"}
    assert [i.id for i in await listed(stub, team, query="large projects")] == [insight.id]  # search follows
    await refused(
        stub.UpdateInsight,
        sources_pb2.UpdateInsightRequest(project_id=team.project_id, insight_id=insight.id, impact="enormous"),
        team.pm,
        grpc.StatusCode.INVALID_ARGUMENT,
        "validation-failed",
    )


async def test_triage_and_links_follow_the_status_rules(stub, team, engine) -> None:
    insight = await create(stub, team)
    first, second = (
        await add_feature(engine, team.project_id, "Fast exports"),
        await add_feature(engine, team.project_id),
    )

    def state(reply) -> tuple:
        return reply.status, reply.linked_feature_id, list(reply.feature_ids)

    assert state(await stub.KeepInsight(ref(team, insight.id), metadata=team.pm)) == ("kept", "", [])
    linked = await stub.LinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=first),
        metadata=team.pm,
    )
    assert state(linked) == ("linked", first, [first])
    # Dismissing keeps the link; keeping again restores "linked".
    assert state(await stub.DismissInsight(ref(team, insight.id), metadata=team.pm)) == ("dismissed", first, [first])
    assert insight.id not in {i.id for i in await listed(stub, team)}
    assert state(await stub.KeepInsight(ref(team, insight.id), metadata=team.pm)) == ("linked", first, [first])
    # A second link becomes the primary one; unlinking it falls back to the first.
    both = await stub.LinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=second),
        metadata=team.pm,
    )
    assert state(both) == ("linked", second, [second, first])
    again = await stub.LinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=second),
        metadata=team.pm,
    )
    assert state(again) == state(both) and again.updated_at == both.updated_at
    unlinked = await stub.UnlinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id), metadata=team.pm
    )
    assert state(unlinked) == ("linked", first, [first])
    assert state(
        await stub.UnlinkInsight(
            sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=first),
            metadata=team.pm,
        )
    ) == ("kept", "", [])
    await refused(
        stub.UnlinkInsight,
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id),
        team.pm,
        grpc.StatusCode.NOT_FOUND,
        "insight-link-not-found",
    )
    # A dismissed insight stays dismissed when its last link goes.
    await stub.LinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=first),
        metadata=team.pm,
    )
    await stub.DismissInsight(ref(team, insight.id), metadata=team.pm)
    last = await stub.UnlinkInsight(
        sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id), metadata=team.pm
    )
    assert state(last) == ("dismissed", "", [])

    statuses = [
        payload_of(e, events_pb2.InsightChanged).status
        for e in await outbox(engine, "planning.insight.updated.v1", team.project_id)
    ]
    # One event per change; the repeated link changed nothing and announced nothing.
    assert statuses == [
        "kept",
        "linked",
        "dismissed",
        "linked",
        "linked",
        "linked",
        "kept",
        "linked",
        "dismissed",
        "dismissed",
    ]


async def test_links_reach_only_the_project_s_features(stub, team, engine, principals) -> None:
    insight = await create(stub, team)
    theirs = await add_feature(engine, new_team(principals).project_id)
    for feature_id in (theirs, "nope", "00000000-0000-7000-8000-000000000000"):
        await refused(
            stub.LinkInsight,
            sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=feature_id),
            team.pm,
            grpc.StatusCode.NOT_FOUND,
            "feature-not-found",
        )
    assert (await stub.GetInsight(ref(team, insight.id), metadata=team.pm)).status == "new"


@pytest.mark.parametrize("role", ["member", "stakeholder", "viewer"])
async def test_only_planners_write_insights_but_everyone_reads(stub, team, engine, role) -> None:
    insight = await create(stub, team)
    feature = await add_feature(engine, team.project_id)
    person = team.as_role(role)
    link = sources_pb2.LinkInsightRequest(project_id=team.project_id, insight_id=insight.id, feature_id=feature)
    attempts = [
        (stub.CreateInsight, new_insight(team)),
        (
            stub.UpdateInsight,
            sources_pb2.UpdateInsightRequest(project_id=team.project_id, insight_id=insight.id, title="x"),
        ),
        (stub.KeepInsight, ref(team, insight.id)),
        (stub.DismissInsight, ref(team, insight.id)),
        (stub.LinkInsight, link),
        (stub.UnlinkInsight, link),
    ]
    for call, request in attempts:
        await refused(call, request, person, grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    assert [i.id for i in await listed(stub, team, metadata=person)] == [insight.id]
    assert (await stub.GetInsight(ref(team, insight.id), metadata=person)).status == "new"
    assert await count_rows(engine, Insight, team.project_id) == 1


async def test_a_member_of_another_project_finds_nothing(stub, principals) -> None:
    a, b = new_team(principals), new_team(principals)
    insight = await create(stub, a)
    outsider = b.as_role("owner")
    await refused(stub.GetInsight, ref(a, insight.id), outsider, grpc.StatusCode.NOT_FOUND, "project-not-found")
    await refused(
        stub.ListInsights,
        sources_pb2.ListInsightsRequest(project_id=a.project_id),
        outsider,
        grpc.StatusCode.NOT_FOUND,
        "project-not-found",
    )
    for call in (stub.GetInsight, stub.KeepInsight, stub.DismissInsight):
        await refused(call, ref(b, insight.id), outsider, grpc.StatusCode.NOT_FOUND, "insight-not-found")
    assert (await stub.GetInsight(ref(a, insight.id), metadata=a.pm)).status == "new"
