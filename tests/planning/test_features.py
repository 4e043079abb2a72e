"""Features as a service: RICE scores kept right, the status machine, delete only from the
backlog, linked insights as a set, generation from insights (through the AI gateway, which runs
offline here) with coverage, breakdown into keyed tasks without duplicates, and projects apart.

The tests share running planning and agents services and never empty the database under them:
each test works in projects of its own.
"""

from __future__ import annotations

import itertools
import uuid

import grpc
import orjson
import pytest
from sqlalchemy import update

from aira.planning.v1 import events_pb2, work_pb2
from services.planning.models import FEATURE_STATUSES, Feature, Insight
from tests.grpc_calls import refusal_of
from tests.planning.work_support import new_project, payload_of

NOT_FOUND, INVALID, CONFLICT, DENIED = (
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
)
WALK = ["planned", "in_progress", "done", "shipped"]
LEGAL = {
    ("backlog", "planned"),
    ("planned", "in_progress"),
    ("in_progress", "done"),
    ("done", "shipped"),
    ("planned", "backlog"),
    ("in_progress", "planned"),
    ("done", "in_progress"),
}


async def walked_to(project, status: str) -> work_pb2.Feature:
    feature = await project.feature()
    for step in WALK[: WALK.index(status) + 1] if status != "backlog" else []:
        feature = await project.update_feature(feature.id, status=step)
    return feature


async def test_the_rice_score_follows_its_inputs(project):
    feature = await project.feature("Scored", reach=400, impact=2, confidence=0.8, effort=4)
    assert feature.priority_score == 160.0 and feature.status == "backlog" and feature.origin == "manual"
    assert (await project.update_feature(feature.id, effort=2)).priority_score == 320.0
    assert (await project.update_feature(feature.id, impact=0.25, confidence=0.5)).priority_score == 25.0
    cleared = await project.update_feature(feature.id, clear=["reach"])
    assert not cleared.HasField("reach") and not cleared.HasField("priority_score")
    assert (await project.update_feature(feature.id, reach=3)).priority_score == 0.19  # 3 × .25 × .5 ÷ 2
    unscored = await project.feature("Unscored", reach=10, impact=1)
    assert not unscored.HasField("priority_score")

    for fields in (
        {"impact": 0.7},
        {"impact": 4},
        {"confidence": 1.5},
        {"effort": 0},
        {"effort": -1},
        {"reach": -5},
        {"reach": float("nan")},
        {"effort": 2, "clear": ["effort"]},
        {"clear": ["title"]},
        {"effort_estimate": "XXL"},
        {"title": ""},
    ):
        await refusal_of(project.update_feature(feature.id, **fields), INVALID, "validation-failed")
    assert (await project.get_feature(feature.id)).priority_score == 0.19

    updates = await project.events("planning.feature.updated")
    assert orjson.loads(updates[0].changes_json) == {
        "effort": {"from": 4.0, "to": 2.0},
        "priority_score": {"from": 160.0, "to": 320.0},
    }
    assert payload_of(updates[0], events_pb2.FeatureChanged).priority_score == 320.0


@pytest.mark.parametrize(("current", "target"), list(itertools.product(FEATURE_STATUSES, repeat=2)))
async def test_the_status_machine_allows_exactly_its_moves(project, current: str, target: str):
    if current == target:
        return
    feature = await walked_to(project, current)
    if (current, target) in LEGAL:
        moved = await project.update_feature(feature.id, status=target)
        assert moved.status == target and moved.HasField("shipped_at") == (target == "shipped")
    else:
        problem = await refusal_of(
            project.update_feature(feature.id, status=target), CONFLICT, "illegal-status-transition"
        )
        assert problem["current"] == current
        assert (await project.get_feature(feature.id)).status == current


async def test_shipping_is_an_event_of_its_own(project):
    feature = await walked_to(project, "shipped")
    assert feature.HasField("shipped_at")
    moves = await project.events("planning.feature.status_changed")
    assert [orjson.loads(e.changes_json)["status"]["to"] for e in moves] == ["planned", "in_progress", "done"]
    [shipped] = await project.events("planning.feature.shipped")
    assert orjson.loads(shipped.changes_json)["status"] == {"from": "done", "to": "shipped"}


async def test_only_backlog_features_are_deleted_and_their_links_let_go(project):
    feature = await project.feature("Short-lived")
    insight = await project.insight("Something hurts")
    await project.features.SetFeatureInsights(
        work_pb2.SetFeatureInsightsRequest(
            project_id=project.project_id, feature_id=feature.id, insight_ids=[insight.id]
        ),
        metadata=project.pm,
    )
    sprint = await project.add_sprint()
    task = await project.task(feature_id=feature.id, sprint_id=sprint)
    assert await project.sprint_stories(sprint) == [feature.id]
    ref = work_pb2.FeatureRef(project_id=project.project_id, feature_id=feature.id)

    await project.update_feature(feature.id, status="planned")
    await refusal_of(project.features.DeleteFeature(ref, metadata=project.pm), CONFLICT, "feature-not-in-backlog")
    await project.update_feature(feature.id, status="backlog")
    await refusal_of(project.features.DeleteFeature(ref, metadata=project.as_role("member")), DENIED, "forbidden")
    deleted = await project.features.DeleteFeature(ref, metadata=project.pm)
    assert (deleted.detached_tasks, deleted.unlinked_insights) == (1, 1)
    await refusal_of(project.features.GetFeature(ref, metadata=project.pm), NOT_FOUND, "feature-not-found")
    assert (await project.get_task(task.id)).feature_id == ""
    assert await project.sprint_stories(sprint) == []
    after = await project.get_insight(insight.id)
    assert (after.status, after.linked_feature_id, list(after.feature_ids)) == ("kept", "", [])
    assert [e.type for e in await project.events("planning.feature.deleted")] == ["planning.feature.deleted.v1"]


async def test_linked_insights_are_replaced_as_a_set(planning_channel, engine, principals, project):
    feature = await project.feature()
    a, b, c = [await project.insight(title) for title in ("Alpha", "Beta", "Gamma")]

    async def link(ids, metadata=None):
        return await project.features.SetFeatureInsights(
            work_pb2.SetFeatureInsightsRequest(project_id=project.project_id, feature_id=feature.id, insight_ids=ids),
            metadata=metadata or project.pm,
        )

    assert set((await link([a.id, b.id])).insight_ids) == {a.id, b.id}
    assert set((await link([b.id, c.id])).insight_ids) == {b.id, c.id}
    assert (await project.get_insight(a.id)).status == "kept"
    assert (await project.get_insight(c.id)).linked_feature_id == feature.id
    theirs = await (await new_project(planning_channel, engine, principals)).insight("Not yours")
    problem = await refusal_of(link([a.id, theirs.id]), NOT_FOUND, "insight-not-found")
    assert problem["insight_ids"] == [theirs.id]
    await refusal_of(link(["nonsense"]), NOT_FOUND, "insight-not-found")
    await refusal_of(link([a.id], metadata=project.as_role("viewer")), DENIED, "forbidden")
    assert set((await project.get_feature(feature.id)).insight_ids) == {b.id, c.id}  # nothing half-written
    assert (await project.get_insight(a.id)).status == "kept"
    assert list((await link([])).insight_ids) == []


async def test_lists_filter_sort_by_score_and_page(project):
    none = await project.feature("No score")
    low = await project.feature("Low", reach=10, impact=1, confidence=1, effort=4)  # 2.5
    high = await project.feature("High", reach=10, impact=1, confidence=1, effort=1)  # 10
    tie = await project.feature("Tie", reach=20, impact=0.5, confidence=1, effort=1)  # 10
    await project.update_feature(low.id, status="planned")
    async with project.engine.begin() as conn:
        await conn.execute(update(Feature).where(Feature.id == uuid.UUID(tie.id)).values(origin="generated"))

    async def titles(**fields) -> list[str]:
        found, cursor = [], ""
        while True:
            page = await project.features.ListFeatures(
                work_pb2.ListFeaturesRequest(
                    project_id=project.project_id, page={"limit": 1, "cursor": cursor}, **fields
                ),
                metadata=project.as_role("viewer"),
            )
            found += [f.title for f in page.items]
            if not (cursor := page.page.next_cursor):
                return found

    assert await titles() == ["Tie", "High", "Low", "No score"]
    assert await titles(sort="priority_score") == ["Tie", "High", "Low", "No score"]
    assert await titles(status="planned") == ["Low"]
    assert await titles(origin="generated") == ["Tie"]
    assert await titles(origin="manual", sort="priority_score") == ["High", "Low", "No score"]
    del none, high
    for bad, slug in (
        ({"sort": "title"}, "validation-failed"),
        ({"status": "started"}, "validation-failed"),
        ({"page": {"cursor": "garbage!"}}, "invalid-cursor"),
    ):
        request = work_pb2.ListFeaturesRequest(project_id=project.project_id, **bad)
        await refusal_of(project.features.ListFeatures(request, metadata=project.pm), INVALID, slug)


async def test_generation_covers_every_significant_insight_and_links_them(agents_channel, project):
    made = [
        await project.insight("Dashboards load slowly", body="The sales dashboard takes 30 seconds to load.",
                              tags=["dashboards"]),
        await project.insight("Dashboard loading is too slow", body="Loading the dashboard times out every morning.",
                              tags=["dashboards"], type="pain_point"),
        await project.insight("Speed up the reports dashboard", body="Reports dashboard load time hurts renewals.",
                              tags=["dashboards"], type="feature_request"),
        await project.insight("Support SAML single sign-on", body="Enterprise customers need SAML SSO with Okta.",
                              tags=["sso"], type="feature_request"),
        await project.insight("SSO with Azure AD", body="IT asks for single sign-on through Azure AD SAML.",
                              tags=["sso"], type="requirement"),
        await project.insight("Logo colour", body="Someone dislikes the logo colour.", impact="low"),
    ]  # fmt: skip
    atom = uuid.uuid4()
    async with project.engine.begin() as conn:
        await conn.execute(update(Insight).where(Insight.id == uuid.UUID(made[3].id)).values(atom_id=atom))
    reply = await project.features.GenerateFeatures(
        work_pb2.GenerateFeaturesRequest(project_id=project.project_id), metadata=project.pm
    )
    report = reply.report
    assert (report.path, report.stop_reason) == ("offline", "covered")
    assert (report.covered, report.significant, report.insights_considered) == (5, 5, 6)
    assert report.rounds == len(report.history) >= 2
    assert [r.covered for r in report.history] == sorted(r.covered for r in report.history)
    assert len(reply.features) >= 2
    linked: dict[str, str] = {}
    for feature in reply.features:
        assert (feature.origin, feature.status) == ("generated", "backlog")
        assert feature.insight_ids and feature.HasField("priority_score") and feature.definition_of_done
        for insight_id in feature.insight_ids:
            assert insight_id not in linked
            linked[insight_id] = feature.id
    assert {i.id for i in made[:5]} <= set(linked)
    for insight_id, feature_id in linked.items():
        insight = await project.get_insight(insight_id)
        assert (insight.status, insight.linked_feature_id) == ("linked", feature_id)
    sso_feature = next(f for f in reply.features if made[3].id in f.insight_ids)
    assert list(sso_feature.atom_ids) == [str(atom)]
    assert len(await project.events("planning.feature.created")) == len(reply.features)

    again = await project.features.GenerateFeatures(
        work_pb2.GenerateFeaturesRequest(project_id=project.project_id), metadata=project.pm
    )
    assert list(again.features) == [] and again.report.insights_considered == 6 - len(linked)
    await refusal_of(
        project.features.GenerateFeatures(
            work_pb2.GenerateFeaturesRequest(project_id=project.project_id), metadata=project.as_role("member")
        ),
        DENIED,
        "forbidden",
    )


async def test_generation_stops_at_its_safety_limit(agents_channel, project):
    for title, tag in (("Exports to CSV fail", "exports"), ("Invoices are confusing", "billing")):
        await project.insight(title, body=f"{title} for many accounts.", tags=[tag])
    reply = await project.features.GenerateFeatures(
        work_pb2.GenerateFeaturesRequest(project_id=project.project_id, max_features=1), metadata=project.pm
    )
    assert (len(reply.features), reply.report.stop_reason, reply.report.covered) == (1, "safety_limit", 1)
    await refusal_of(
        project.features.GenerateFeatures(
            work_pb2.GenerateFeaturesRequest(project_id=project.project_id, max_features=21), metadata=project.pm
        ),
        INVALID,
        "validation-failed",
    )


async def test_breakdown_makes_keyed_tasks_and_never_repeats_a_title(agents_channel, project):
    feature = await project.feature(
        "Support CSV exports",
        objective="Users export any report",
        impact_estimate="high",
        effort_estimate="M",
        definition_of_done=["Available to users: export a report to CSV", "Documented in the help center"],
    )
    ref = work_pb2.FeatureRef(project_id=project.project_id, feature_id=feature.id)
    first = await project.features.BreakDownFeature(ref, metadata=project.pm)
    assert first.path == "offline" and len(first.tasks) >= 2
    for number, task in enumerate(first.tasks, start=1):
        assert (task.key, task.origin, task.feature_id, task.status) == (
            f"AIR-{number}",
            "breakdown",
            feature.id,
            "backlog",
        )
        assert task.acceptance_criteria and task.estimated_hours
    assert first.feature.task_counts.total == len(first.tasks)
    titles = [t.title for t in first.tasks]
    assert len({t.lower() for t in titles}) == len(titles)

    await project.delete_task(first.tasks[0].id)
    second = await project.features.BreakDownFeature(ref, metadata=project.pm)
    assert [t.title for t in second.tasks] == [titles[0]]  # only what is missing again
    third = await project.features.BreakDownFeature(ref, metadata=project.pm)
    assert list(third.tasks) == [] and third.feature.task_counts.total == len(titles)

    for status in ("planned", "in_progress", "done"):
        await project.update_feature(feature.id, status=status)
    await refusal_of(project.features.BreakDownFeature(ref, metadata=project.pm), CONFLICT, "feature-finished")


async def test_projects_stay_apart(planning_channel, engine, principals, project):
    other = await new_project(planning_channel, engine, principals)
    theirs = await other.feature("Theirs")
    await refusal_of(project.get_feature(theirs.id), NOT_FOUND, "feature-not-found")
    await refusal_of(project.update_feature(theirs.id, title="Mine"), NOT_FOUND, "feature-not-found")
    request = work_pb2.FeatureRef(project_id=other.project_id, feature_id=theirs.id)
    await refusal_of(project.features.GetFeature(request, metadata=project.pm), NOT_FOUND, "project-not-found")
    await refusal_of(project.features.BreakDownFeature(request, metadata=project.pm), NOT_FOUND, "project-not-found")
    assert (await other.get_feature(theirs.id)).title == "Theirs"
