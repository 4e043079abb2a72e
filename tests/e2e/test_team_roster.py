"""The team roster over HTTP: a product manager staffs the team, everyone in the project reads it,
bad input is a clear 4xx, and every change lands in the project's audit log."""

from __future__ import annotations

import asyncio
import uuid

from tests.e2e.helpers import assert_problem, bearer, create_project, signup
from tests.e2e.test_access import join


async def team_events(api, tokens: dict, project_id: str, count: int, timeout: float = 20.0) -> list[dict]:
    """The project's ``team.*`` audit events, once there are ``count`` of them (or the time is up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await api.get(f"/v1/projects/{project_id}/events", params={"limit": 200}, headers=bearer(tokens))
        assert response.status_code == 200, response.text
        found = [e for e in response.json()["items"] if e["event_type"].startswith("team.")]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_a_product_manager_staffs_the_team_and_everyone_reads_it(api, smtp) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Roster"))["id"]
    pm = await join(api, smtp, owner, pid, "product_manager")
    viewer = await join(api, smtp, owner, pid, "viewer")
    members = f"/v1/projects/{pid}/team/members"

    body = {
        "name": "Ada Lovelace",
        "role": "backend engineer",
        "seniority": "senior",
        "skills": {"Python": 5, "SQL": 3},
        "capacity_hours_per_sprint": 60,
        "current_load_hours": 12.5,
        "user_id": pm["user"]["id"],
        "timezone": "Europe/London",
    }
    key = {"Idempotency-Key": f"add-ada-{uuid.uuid4()}"}
    created = await api.post(members, json=body, headers=bearer(pm) | key)
    assert created.status_code == 201, created.text
    ada = created.json()
    assert created.headers["location"] == f"{members}/{ada['id']}"
    assert (ada["name"], ada["member_type"], ada["skills"]) == ("Ada Lovelace", "human", {"python": 5, "sql": 3})
    assert (ada["capacity_hours_per_sprint"], ada["current_load_hours"], ada["removed_at"]) == (60, 12.5, None)
    assert (ada["user_id"], ada["agent_instance_id"]) == (pm["user"]["id"], None)
    replayed = await api.post(members, json=body, headers=bearer(pm) | key)
    assert replayed.json()["id"] == ada["id"]  # a retried POST adds no one
    again = await api.post(members, json=body, headers=bearer(pm))
    assert_problem(again, 409, "member-already-on-roster")
    bot = await api.post(
        members, json={"name": "Review bot", "member_type": "ai_agent", "skills": {"review": 4}}, headers=bearer(pm)
    )
    assert bot.status_code == 201, bot.text
    bot_id = bot.json()["id"]

    listed = await api.get(members, headers=bearer(viewer))
    assert listed.status_code == 200, listed.text
    assert [m["id"] for m in listed.json()["items"]] == [ada["id"], bot_id] and listed.json()["next_cursor"] is None
    first = (await api.get(members, params={"limit": 1}, headers=bearer(viewer))).json()
    assert [m["id"] for m in first["items"]] == [ada["id"]]
    rest = (await api.get(members, params={"limit": 1, "cursor": first["next_cursor"]}, headers=bearer(viewer))).json()
    assert [m["id"] for m in rest["items"]] == [bot_id] and rest["next_cursor"] is None
    agents = (await api.get(members, params={"member_type": "ai_agent"}, headers=bearer(viewer))).json()["items"]
    assert [m["id"] for m in agents] == [bot_id]
    skilled = (await api.get(members, params={"skill": "python"}, headers=bearer(viewer))).json()["items"]
    assert [m["id"] for m in skilled] == [ada["id"]]
    picked = await api.get(members, params={"member_id": [bot_id, str(uuid.uuid4())]}, headers=bearer(viewer))
    assert [m["id"] for m in picked.json()["items"]] == [bot_id]

    patched = await api.patch(
        f"{members}/{ada['id']}", json={"capacity_hours_per_sprint": 40, "skills": {"Go": 2}}, headers=bearer(pm)
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["capacity_hours_per_sprint"], patched.json()["skills"]) == (40, {"go": 2})
    assert (await api.get(f"{members}/{ada['id']}", headers=bearer(viewer))).json() == patched.json()

    assert_problem(await api.post(members, json={"name": "Eve"}, headers=bearer(viewer)), 403, "forbidden")
    assert_problem(await api.delete(f"{members}/{bot_id}", headers=bearer(viewer)), 403, "forbidden")
    removed = await api.delete(f"{members}/{bot_id}", headers=bearer(pm))
    assert removed.status_code == 204, removed.text
    assert (await api.delete(f"{members}/{bot_id}", headers=bearer(pm))).status_code == 204  # harmless twice
    assert [m["id"] for m in (await api.get(members, headers=bearer(viewer))).json()["items"]] == [ada["id"]]
    former = (await api.get(f"{members}/{bot_id}", headers=bearer(viewer))).json()
    assert former["name"] == "Review bot" and former["removed_at"] is not None
    everyone = await api.get(members, params={"include_removed": "true"}, headers=bearer(viewer))
    assert [m["id"] for m in everyone.json()["items"]] == [ada["id"], bot_id]
    assert_problem(
        await api.patch(f"{members}/{bot_id}", json={"name": "Back"}, headers=bearer(pm)), 409, "member-removed"
    )

    events = await team_events(api, owner, pid, 4)
    assert [(e["event_type"], e["entity_id"]) for e in events] == [
        ("team.team_member.added.v1", ada["id"]),
        ("team.team_member.added.v1", bot_id),
        ("team.team_member.updated.v1", ada["id"]),
        ("team.team_member.removed.v1", bot_id),
    ]
    assert events[0]["actor"] == {"type": "user", "id": pm["user"]["id"]}
    assert events[2]["changes"]["capacity_hours_per_sprint"] == {"from": "60.00", "to": "40.00"}
    assert events[2]["snapshot"]["skills"] == {"go": 2}


async def test_bad_input_is_a_clear_4xx_and_writes_nothing(api) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Strict roster"))["id"]
    members = f"/v1/projects/{pid}/team/members"
    refusals = [
        ({"name": "A", "skills": {"python": 6}}, 422, "validation-failed"),
        ({"name": "A", "skills": {"python": 0}}, 422, "validation-failed"),
        ({"name": "A", "skills": {"python": True}}, 422, "validation-failed"),
        ({"name": "A", "skills": ["python"]}, 422, "validation-failed"),
        ({"name": "A", "capacity_hours_per_sprint": -1}, 422, "validation-failed"),
        ({"name": "A", "capacity_hours_per_sprint": 201}, 422, "validation-failed"),
        ({"name": "A", "current_load_hours": -2}, 422, "validation-failed"),
        ({"name": "A", "member_type": "robot"}, 422, "validation-failed"),
        ({"name": "A", "seniority": "guru"}, 422, "validation-failed"),
        ({"name": "A", "nickname": "typo"}, 422, "validation-failed"),
        ({"name": ""}, 422, "validation-failed"),
        ({}, 422, "validation-failed"),
        ({"name": "A", "skills": {"Go": 2, "go": 3}}, 422, "invalid-skill"),
        ({"name": "A", "timezone": "Mars/Olympus"}, 422, "invalid-timezone"),
        ({"name": "A", "user_id": "someone"}, 422, "invalid-user-id"),
        ({"name": "A", "member_type": "ai_agent", "user_id": str(uuid.uuid4())}, 422, "invalid-user-id"),
    ]
    for body, status, slug in refusals:
        assert_problem(await api.post(members, json=body, headers=bearer(owner)), status, slug)
    malformed = await api.post(
        members, content=b'{"name": ', headers=bearer(owner) | {"Content-Type": "application/json"}
    )
    assert_problem(malformed, 400, "malformed-json")
    assert (await api.get(members, headers=bearer(owner))).json()["items"] == []

    ada = (await api.post(members, json={"name": "Ada", "skills": {"go": 3}}, headers=bearer(owner))).json()
    for patch in ({"skills": {"go": 9}}, {"capacity_hours_per_sprint": -1}, {"name": ""}, {"member_type": "ai_agent"}):
        assert_problem(
            await api.patch(f"{members}/{ada['id']}", json=patch, headers=bearer(owner)), 422, "validation-failed"
        )
    assert (await api.get(f"{members}/{ada['id']}", headers=bearer(owner))).json() == ada
    for missing in (str(uuid.uuid4()), "not-an-id"):
        assert_problem(await api.get(f"{members}/{missing}", headers=bearer(owner)), 404, "member-not-found")
        assert_problem(await api.delete(f"{members}/{missing}", headers=bearer(owner)), 404, "member-not-found")
    assert_problem(await api.get(members, params={"limit": 0}, headers=bearer(owner)), 422, "validation-failed")
    assert_problem(await api.get(members, params={"cursor": "@@"}, headers=bearer(owner)), 422, "invalid-cursor")


async def test_a_stranger_neither_sees_nor_touches_a_roster(api) -> None:
    owner = await signup(api, "Owner")
    stranger = await signup(api, "Stranger")
    pid = (await create_project(api, owner, "Private roster"))["id"]
    mine = (await create_project(api, stranger, "Elsewhere"))["id"]
    members = f"/v1/projects/{pid}/team/members"
    ada = (await api.post(members, json={"name": "Ada"}, headers=bearer(owner))).json()
    for method, path, body in (
        ("GET", members, None),
        ("POST", members, {"name": "Planted"}),
        ("GET", f"{members}/{ada['id']}", None),
        ("PATCH", f"{members}/{ada['id']}", {"name": "Taken"}),
        ("DELETE", f"{members}/{ada['id']}", None),
    ):
        assert_problem(await api.request(method, path, json=body, headers=bearer(stranger)), 404, "project-not-found")
    # In their own project, the stranger cannot reach the member by id either.
    theirs = f"/v1/projects/{mine}/team/members/{ada['id']}"
    assert_problem(await api.get(theirs, headers=bearer(stranger)), 404, "member-not-found")
    assert_problem(await api.delete(theirs, headers=bearer(stranger)), 404, "member-not-found")
    assert [m["name"] for m in (await api.get(members, headers=bearer(owner))).json()["items"]] == ["Ada"]
