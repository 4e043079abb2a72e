"""Features, tasks and pull requests over HTTP, through the processes ``aira up`` starts: RICE and
the status machines, generation from insights and breakdown into keyed tasks, who may do what,
clear 4xx for bad input, a merged pull request (from webhook processing, over gRPC) completing a
task and shipping its feature, and every change in the project's audit log.
"""

from __future__ import annotations

import asyncio
import uuid

import grpc

from aira.planning.v1 import work_pb2, work_pb2_grpc
from services.chassis.principal import Principal, PrincipalSigner
from services.chassis.settings import Settings
from tests.e2e.helpers import assert_problem, bearer, create_project, signup
from tests.e2e.test_access import join


async def planning_events(api, tokens: dict, project_id: str, prefix: str, count: int) -> list[dict]:
    """The project's audit events whose type starts with ``prefix``, once there are ``count``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        response = await api.get(f"/v1/projects/{project_id}/events", params={"limit": 200}, headers=bearer(tokens))
        assert response.status_code == 200, response.text
        found = [e for e in response.json()["items"] if e["event_type"].startswith(prefix)]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def record_pull_request(system, request: work_pb2.RecordPullRequestRequest) -> work_pb2.RecordPullRequestReply:
    """What webhook processing does: tell planning about a pull request, as a service."""
    settings = Settings(home=system.home, grpc_port_base=int(system.env["AIRA_GRPC_PORT_BASE"]))
    token = PrincipalSigner.from_keys_dir(settings.keys_path).mint(Principal(subject="integrations", kind="service"))
    async with grpc.aio.insecure_channel(settings.grpc_target("planning")) as channel:
        stub = work_pb2_grpc.PullRequestsStub(channel)
        return await stub.RecordPullRequest(request, metadata=(("x-aira-principal", token),), timeout=10)


async def test_features_are_scored_moved_generated_and_broken_down(api, smtp) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Aira"))["id"]
    pm = await join(api, smtp, owner, pid, "product_manager")
    member = await join(api, smtp, owner, pid, "member")
    features = f"/v1/projects/{pid}/features"

    body = {"title": "Offline mode", "reach": 500, "impact": 2, "confidence": 0.8, "effort": 4}
    created = await api.post(features, json=body, headers=bearer(pm))
    assert created.status_code == 201, created.text
    feature = created.json()
    assert created.headers["location"] == f"{features}/{feature['id']}"
    assert (feature["priority_score"], feature["status"], feature["task_counts"]["total"]) == (200.0, "backlog", 0)
    one = f"{features}/{feature['id']}"
    patched = await api.patch(one, json={"effort": 2, "status": "planned"}, headers=bearer(pm))
    assert (patched.json()["priority_score"], patched.json()["status"]) == (400.0, "planned")
    cleared = await api.patch(one, json={"reach": None}, headers=bearer(pm))
    assert (cleared.json()["reach"], cleared.json()["priority_score"]) == (None, None)
    assert_problem(
        await api.patch(one, json={"status": "shipped"}, headers=bearer(pm)), 409, "illegal-status-transition"
    )
    assert_problem(await api.patch(one, json={"impact": 0.7}, headers=bearer(pm)), 422, "validation-failed")
    assert_problem(await api.patch(one, json={"title": "Mine"}, headers=bearer(member)), 403, "forbidden")
    assert_problem(await api.delete(one, headers=bearer(pm)), 409, "feature-not-in-backlog")
    assert_problem(await api.get(f"{features}/{uuid.uuid4()}", headers=bearer(member)), 404, "feature-not-found")

    for title, tags in (
        ("Exports of large projects time out", ["exports"]),
        ("CSV export times out for big reports", ["exports"]),
        ("Field teams lose work when the signal drops", ["offline"]),
    ):
        made = await api.post(
            f"/v1/projects/{pid}/insights",
            json={"type": "pain_point", "title": title, "impact": "high", "confidence": 0.9, "tags": tags},
            headers=bearer(pm),
        )
        assert made.status_code == 201, made.text
    key = {"Idempotency-Key": f"generate-{uuid.uuid4()}"}
    generated = await api.post(f"{features}/generate", json={"max_features": 5}, headers=bearer(pm) | key)
    assert generated.status_code == 201, generated.text
    report = generated.json()["report"]
    assert (report["path"], report["stop_reason"], report["covered"], report["significant"]) == (
        "offline",
        "covered",
        3,
        3,
    )
    proposals = generated.json()["features"]
    assert proposals and all(f["origin"] == "generated" and f["insight_ids"] for f in proposals)
    replayed = await api.post(f"{features}/generate", json={"max_features": 5}, headers=bearer(pm) | key)
    assert [f["id"] for f in replayed.json()["features"]] == [f["id"] for f in proposals]
    listed = await api.get(features, params={"origin": "generated", "sort": "priority_score"}, headers=bearer(member))
    assert {f["id"] for f in listed.json()["items"]} == {f["id"] for f in proposals}

    target = proposals[0]
    broken = await api.post(f"{features}/{target['id']}/breakdown", headers=bearer(pm))
    assert broken.status_code == 201, broken.text
    made_tasks = broken.json()["tasks"]
    assert [t["key"] for t in made_tasks] == [f"AIR-{n}" for n in range(1, len(made_tasks) + 1)]
    assert all(t["origin"] == "breakdown" and t["feature_id"] == target["id"] for t in made_tasks)
    again = await api.post(f"{features}/{target['id']}/breakdown", headers=bearer(pm))
    assert again.json()["tasks"] == [] and again.json()["feature"]["task_counts"]["total"] == len(made_tasks)

    insights = [i["id"] for i in (await api.get(f"/v1/projects/{pid}/insights", headers=bearer(pm))).json()["items"]]
    linked = await api.put(f"{one}/insights", json={"insight_ids": insights[:1]}, headers=bearer(pm))
    assert linked.json()["insight_ids"] == insights[:1]

    await planning_events(api, owner, pid, "planning.feature.status_changed", 1)
    events = await planning_events(api, owner, pid, "planning.feature.", 2 + len(proposals))
    assert {"planning.feature.created.v1", "planning.feature.status_changed.v1"} <= {e["event_type"] for e in events}


async def test_tasks_have_keys_a_status_machine_and_roles(api, smtp, system) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Acme Mobile App"))["id"]
    pm = await join(api, smtp, owner, pid, "product_manager")
    member = await join(api, smtp, owner, pid, "member")
    viewer = await join(api, smtp, owner, pid, "viewer")
    tasks = f"/v1/projects/{pid}/tasks"

    key = {"Idempotency-Key": f"task-{uuid.uuid4()}"}
    body = {"title": "Sync offline edits", "estimated_hours": 2.5, "type": "development", "priority": "high"}
    created = await api.post(tasks, json=body, headers=bearer(pm) | key)
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["key"], task["estimated_hours"], task["status"], task["sprint_id"]) == (
        "AMA-1",
        "2.50",
        "backlog",
        None,
    )
    assert (await api.post(tasks, json=body, headers=bearer(pm) | key)).json()["id"] == task["id"]
    second = await api.post(tasks, json={"title": "Second", "estimated_hours": "0.25"}, headers=bearer(pm))
    assert second.json()["key"] == "AMA-2"

    by_key = await api.get(f"{tasks}/ama-1", headers=bearer(viewer))
    assert by_key.status_code == 200 and by_key.json()["id"] == task["id"]
    one = f"{tasks}/{task['id']}"
    assert (await api.patch(one, json={"status": "todo", "progress": 10}, headers=bearer(member))).status_code == 200
    mine = await api.patch(one, json={"assignee_id": "me"}, headers=bearer(member))
    assert mine.json()["assignee_id"] == member["user"]["id"]  # no roster yet: "me" is the person
    assert_problem(await api.patch(one, json={"title": "Mine"}, headers=bearer(member)), 403, "forbidden")
    assert_problem(
        await api.patch(one, json={"status": "done"}, headers=bearer(member)), 409, "illegal-status-transition"
    )
    assert_problem(await api.patch(one, json={"status": "todo"}, headers=bearer(viewer)), 403, "forbidden")
    assert_problem(await api.post(tasks, json={"title": "x"}, headers=bearer(member)), 403, "forbidden")

    for bad, status, slug in (
        ({"title": "x", "estimated_hours": "1.234"}, 422, "validation-failed"),
        ({"title": "x", "estimated_hours": -1}, 422, "validation-failed"),
        ({"title": "x", "sprint_id": str(uuid.uuid4())}, 404, "sprint-not-found"),
        ({"title": "x", "feature_id": str(uuid.uuid4())}, 404, "feature-not-found"),
        ({"title": "x", "status": "done"}, 422, "validation-failed"),
        ({"title": "x", "colour": "red"}, 422, "validation-failed"),
    ):
        assert_problem(await api.post(tasks, json=bad, headers=bearer(pm)), status, slug)
    assert (await api.post(tasks, json={"title": "Third"}, headers=bearer(pm))).json()["key"] == "AMA-3"

    page = await api.get(tasks, params={"limit": 2, "sort": "key"}, headers=bearer(viewer))
    rest = await api.get(
        tasks, params={"limit": 2, "sort": "key", "cursor": page.json()["next_cursor"]}, headers=bearer(viewer)
    )
    assert [t["key"] for t in page.json()["items"] + rest.json()["items"]] == ["AMA-1", "AMA-2", "AMA-3"]
    assert rest.json()["next_cursor"] is None
    assigned = await api.get(tasks, params={"assignee_id": member["user"]["id"]}, headers=bearer(viewer))
    assert [t["key"] for t in assigned.json()["items"]] == ["AMA-1"]

    deleted = await api.delete(f"{tasks}/AMA-2", headers=bearer(pm))
    assert deleted.status_code == 204
    assert_problem(await api.get(f"{tasks}/AMA-2", headers=bearer(pm)), 404, "task-not-found")
    await planning_events(api, owner, pid, "planning.task.deleted", 1)  # the last one raised
    kinds = {e["event_type"] for e in await planning_events(api, owner, pid, "planning.task.", 6)}
    assert {"planning.task.created.v1", "planning.task.status_changed.v1", "planning.task.deleted.v1"} <= kinds


async def test_a_merged_pull_request_completes_its_task_and_ships_the_feature(api, smtp, system) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Aira"))["id"]
    member = await join(api, smtp, owner, pid, "member")
    feature = (await api.post(f"/v1/projects/{pid}/features", json={"title": "Login"}, headers=bearer(owner))).json()
    tasks = f"/v1/projects/{pid}/tasks"
    first = (await api.post(tasks, json={"title": "Form", "feature_id": feature["id"]}, headers=bearer(owner))).json()
    second = (await api.post(tasks, json={"title": "API", "feature_id": feature["id"]}, headers=bearer(owner))).json()

    pulls = f"{tasks}/{first['key']}/pull-requests"
    manual = {
        "provider": "github",
        "repo_full_name": "Acme/Web",
        "pr_number": 3,
        "pr_url": "https://github.com/acme/web/pull/3",
    }
    linked = await api.post(pulls, json=manual, headers=bearer(member))
    assert linked.status_code == 201, linked.text
    assert (linked.json()["link_method"], linked.json()["repo_full_name"]) == ("manual", "acme/web")
    assert_problem(await api.post(pulls, json=manual, headers=bearer(member)), 409, "pull-request-already-linked")
    assert_problem(
        await api.post(pulls, json=manual | {"repo_full_name": "nope"}, headers=bearer(member)),
        422,
        "validation-failed",
    )

    merged = work_pb2.RecordPullRequestRequest(
        project_id=pid,
        provider="github",
        repo_full_name="acme/web",
        pr_number=3,
        branch=f"task/{first['key']}-login-form",
        body=f"Closes {second['key']}",
        state="merged",
        delivery_id="d-1",
    )
    reply = await record_pull_request(system, merged)
    assert sorted(reply.done_task_ids) == sorted([first["id"], second["id"]])
    assert list(reply.shipped_feature_ids) == [feature["id"]]
    assert await record_pull_request(system, merged) == reply  # redelivered: the same

    done = (await api.get(f"{tasks}/{second['id']}", headers=bearer(member))).json()
    assert done["status"] == "done" and done["completed_at"] is not None
    shipped = (await api.get(f"/v1/projects/{pid}/features/{feature['id']}", headers=bearer(member))).json()
    assert shipped["status"] == "shipped" and shipped["shipped_at"] is not None
    listed = (await api.get(pulls, headers=bearer(member))).json()["items"]
    assert [(p["pr_state"], p["link_method"]) for p in listed] == [("merged", "manual")]
    assert (await api.delete(f"{pulls}/{listed[0]['id']}", headers=bearer(member))).status_code == 204
    assert (await api.get(f"{tasks}/{first['id']}", headers=bearer(member))).json()["status"] == "done"

    events = await planning_events(api, owner, pid, "planning.", 1)
    kinds = {e["event_type"] for e in await planning_events(api, owner, pid, "planning.feature.shipped", 1)}
    assert kinds == {"planning.feature.shipped.v1"} and events
    await planning_events(api, owner, pid, "planning.pull_request.unlinked", 1)  # the last one raised
    pull_events = await planning_events(api, owner, pid, "planning.pull_request.", 4)
    assert {e["event_type"] for e in pull_events} == {
        "planning.pull_request.linked.v1",
        "planning.pull_request.updated.v1",
        "planning.pull_request.unlinked.v1",
    }
