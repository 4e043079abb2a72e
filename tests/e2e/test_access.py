"""Who may do what, proven over HTTP: the role matrix walked route by route, and a sweep showing a
member of project A can neither see nor touch project B through any project route."""

from __future__ import annotations

import pytest

from services.chassis.authz import MATRIX, Action, Role
from tests.e2e.helpers import bearer, create_project, new_email, signup
from tests.mail import token_in


async def join(api, smtp, owner: dict, project_id: str, role: str) -> dict:
    """A new person who joins ``project_id`` with ``role`` through an emailed invitation."""
    email = new_email(role)
    invited = await api.post(
        f"/v1/projects/{project_id}/invitations", json={"email": email, "role": role}, headers=bearer(owner)
    )
    assert invited.status_code == 201, invited.text
    person = await signup(api, role.title(), email)
    token = token_in(await smtp.wait_for(email, "invited you"))
    accepted = await api.post(f"/v1/invitations/{token}/accept", headers=bearer(person))
    assert accepted.status_code == 200, accepted.text
    return person


# One representative route per action that has a REST route today. The actions without one yet
# (request_reports, work_on_tasks, manage_sources, approve_rebalance) are walked against the
# same matrix by tests/chassis/test_authz.py and get their routes with planning, agents and rebalance.
def _route(action: Action, pid: str, helper_id: str):
    return {
        Action.READ: ("GET", f"/v1/projects/{pid}/members", None),
        Action.PLAN: ("POST", f"/v1/projects/{pid}/features", {"title": "Walked"}),
        Action.MANAGE_PROJECT: ("PATCH", f"/v1/projects/{pid}/settings", {"heartbeat_enabled": False}),
        Action.MANAGE_MEMBERS: ("POST", f"/v1/projects/{pid}/invitations", {"email": new_email("x"), "role": "viewer"}),
        Action.MANAGE_BILLING: ("PUT", f"/v1/projects/{pid}/billing", {"plan": "team"}),
        Action.TRANSFER_OWNERSHIP: ("POST", f"/v1/projects/{pid}/transfer-ownership", {"user_id": helper_id}),
        Action.DELETE_PROJECT: ("DELETE", f"/v1/projects/{pid}", None),
    }[action]


WALKED = [
    Action.READ,
    Action.PLAN,
    Action.MANAGE_PROJECT,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_BILLING,
    Action.TRANSFER_OWNERSHIP,
    Action.DELETE_PROJECT,  # last: it ends the project
]


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_the_role_matrix_holds_route_by_route(api, smtp, role: str) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, f"Matrix {role}"))["id"]
    person = owner if role == "owner" else await join(api, smtp, owner, pid, role)
    helper = await join(api, smtp, owner, pid, "member")  # someone to hand ownership to
    for action in WALKED:
        method, path, body = _route(action, pid, helper["user"]["id"])
        response = await api.request(method, path, json=body, headers=bearer(person))
        allowed = role in {r.value for r in MATRIX[action]}
        if allowed:
            assert response.status_code < 300, (role, action, response.text)
        else:
            assert response.status_code == 403, (role, action, response.text)
            assert response.json()["type"].endswith("/forbidden")
        if action == Action.TRANSFER_OWNERSHIP and allowed:
            # Hand it back, so the owner can still walk delete_project.
            back = await api.post(
                f"/v1/projects/{pid}/transfer-ownership", json={"user_id": person["user"]["id"]}, headers=bearer(helper)
            )
            assert back.status_code == 200, back.text


async def test_a_member_of_a_cannot_see_or_touch_b_through_any_route(api, system) -> None:
    alice = await signup(api, "Alice")
    bob = await signup(api, "Bob")
    a = (await create_project(api, alice, "A"))["id"]
    b = (await create_project(api, bob, "B"))["id"]
    bob_id = bob["user"]["id"]
    key = (
        await api.post("/v1/api-keys", json={"project_id": a, "name": "k", "scopes": ["admin"]}, headers=bearer(alice))
    ).json()["secret"]
    requests = [
        ("GET", f"/v1/projects/{b}", None),
        ("PATCH", f"/v1/projects/{b}", {"name": "Taken"}),
        ("DELETE", f"/v1/projects/{b}", None),
        ("GET", f"/v1/projects/{b}/members", None),
        ("PATCH", f"/v1/projects/{b}/members/{bob_id}", {"role": "viewer"}),
        ("DELETE", f"/v1/projects/{b}/members/{bob_id}", None),
        ("POST", f"/v1/projects/{b}/transfer-ownership", {"user_id": alice["user"]["id"]}),
        ("POST", f"/v1/projects/{b}/invitations", {"email": new_email(), "role": "owner"}),
        ("GET", f"/v1/projects/{b}/invitations", None),
        ("DELETE", f"/v1/projects/{b}/invitations/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/settings", None),
        ("PATCH", f"/v1/projects/{b}/settings", {"timezone": "UTC"}),
        ("GET", f"/v1/projects/{b}/billing", None),
        ("PUT", f"/v1/projects/{b}/billing", {"plan": "business"}),
        ("GET", f"/v1/projects/{b}/integrations", None),
        ("GET", f"/v1/projects/{b}/integrations/github", None),
        ("PUT", f"/v1/projects/{b}/integrations/github", {"config": {}}),
        ("DELETE", f"/v1/projects/{b}/integrations/github", None),
        ("GET", f"/v1/projects/{b}/issues", None),
        ("POST", f"/v1/projects/{b}/issues", {"title": "x"}),
        ("GET", f"/v1/projects/{b}/issues/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/issues/00000000-0000-7000-8000-000000000000", {"status": "closed"}),
        ("GET", f"/v1/projects/{b}/events", None),
        ("GET", f"/v1/projects/{b}/events/stream", None),  # refused before any streaming
        ("GET", f"/v1/projects/{b}/activity", None),
        ("GET", f"/v1/projects/{b}/jobs", None),
        ("POST", f"/v1/projects/{b}/jobs/00000000-0000-7000-8000-000000000000/retry", None),
        ("GET", f"/v1/projects/{b}/llm/calls", None),
        ("GET", f"/v1/projects/{b}/budget", None),
        ("PUT", f"/v1/projects/{b}/budget", {"monthly_limit_usd": 1}),
        ("GET", f"/v1/projects/{b}/usage", None),
        ("GET", f"/v1/projects/{b}/traces/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/sources", None),
        ("POST", f"/v1/projects/{b}/sources", {"text": "planted"}),
        ("POST", f"/v1/projects/{b}/sources/upload", None),
        ("GET", f"/v1/projects/{b}/sources/00000000-0000-7000-8000-000000000000", None),
        ("PUT", f"/v1/projects/{b}/sources/00000000-0000-7000-8000-000000000000/content", {"text": "changed"}),
        ("DELETE", f"/v1/projects/{b}/sources/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/insights", None),
        ("POST", f"/v1/projects/{b}/insights", {"type": "fact", "title": "x", "impact": "low", "confidence": 0.5}),
        ("GET", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000", {"title": "x"}),
        ("POST", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000/keep", None),
        ("POST", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000/dismiss", None),
        ("POST", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000/link", {"feature_id": bob_id}),
        ("DELETE", f"/v1/projects/{b}/insights/00000000-0000-7000-8000-000000000000/link", None),
        ("GET", f"/v1/projects/{b}/team/members", None),
        ("POST", f"/v1/projects/{b}/team/members", {"name": "Planted"}),
        ("GET", f"/v1/projects/{b}/team/members/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/team/members/00000000-0000-7000-8000-000000000000", {"name": "x"}),
        ("DELETE", f"/v1/projects/{b}/team/members/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/features", None),
        ("POST", f"/v1/projects/{b}/features", {"title": "Planted"}),
        ("POST", f"/v1/projects/{b}/features/generate", None),
        ("GET", f"/v1/projects/{b}/features/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/features/00000000-0000-7000-8000-000000000000", {"title": "x"}),
        ("DELETE", f"/v1/projects/{b}/features/00000000-0000-7000-8000-000000000000", None),
        ("PUT", f"/v1/projects/{b}/features/00000000-0000-7000-8000-000000000000/insights", {"insight_ids": []}),
        ("POST", f"/v1/projects/{b}/features/00000000-0000-7000-8000-000000000000/breakdown", None),
        ("GET", f"/v1/projects/{b}/tasks", None),
        ("POST", f"/v1/projects/{b}/tasks", {"title": "Planted"}),
        ("GET", f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000", {"status": "todo"}),
        ("DELETE", f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000/pull-requests", None),
        (
            "POST",
            f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000/pull-requests",
            {"provider": "github", "repo_full_name": "a/b", "pr_number": 1},
        ),
        (
            "DELETE",
            f"/v1/projects/{b}/tasks/00000000-0000-7000-8000-000000000000/pull-requests/"
            f"00000000-0000-7000-8000-000000000000",
            None,
        ),
        ("GET", f"/v1/projects/{b}/sprints", None),
        ("POST", f"/v1/projects/{b}/sprints", {"name": "Planted"}),
        ("GET", f"/v1/projects/{b}/sprints/00000000-0000-7000-8000-000000000000", None),
        ("PATCH", f"/v1/projects/{b}/sprints/00000000-0000-7000-8000-000000000000", {"name": "x"}),
        ("POST", f"/v1/projects/{b}/sprints/00000000-0000-7000-8000-000000000000/start", None),
        ("POST", f"/v1/projects/{b}/sprints/00000000-0000-7000-8000-000000000000/complete", None),
        ("GET", f"/v1/projects/{b}/sprint-plans", None),
        ("POST", f"/v1/projects/{b}/sprint-plans", {"request_type": "backlog"}),
        ("GET", f"/v1/projects/{b}/sprint-plans/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/sprint-plans/00000000-0000-7000-8000-000000000000/events", None),
        ("POST", f"/v1/projects/{b}/sprint-plans/00000000-0000-7000-8000-000000000000/apply", None),
        ("GET", f"/v1/projects/{b}/repository-analyses", None),
        ("POST", f"/v1/projects/{b}/repository-analyses", {"repositories": ["/etc"]}),
        ("GET", f"/v1/projects/{b}/repository-analyses/00000000-0000-7000-8000-000000000000", None),
        ("GET", f"/v1/projects/{b}/repository-analyses/00000000-0000-7000-8000-000000000000/events", None),
        ("GET", f"/v1/me/preferences/{b}", None),
        ("PUT", f"/v1/me/preferences/{b}", {"preferences": {}}),
        ("POST", "/v1/api-keys", {"project_id": b, "name": "k", "scopes": ["read"]}),
    ]
    covered = {path.replace(b, "{project_id}") for _, path, _ in requests}
    openapi = (await api.get("/openapi.json")).json()
    project_routes = {p for p in openapi["paths"] if "{project_id}" in p}
    normalised = {
        p.replace(bob_id, "{user_id}")
        .replace("00000000-0000-7000-8000-000000000000", "{id}")
        .replace("/github", "/{provider}")
        for p in covered
    }
    uncovered = {
        p
        for p in project_routes
        if p.replace("{invitation_id}", "{id}")
        .replace("{issue_id}", "{id}")
        .replace("{job_id}", "{id}")
        .replace("{trace_id}", "{id}")
        .replace("{member_id}", "{id}")
        .replace("{source_id}", "{id}")
        .replace("{insight_id}", "{id}")
        .replace("{feature_id}", "{id}")
        .replace("{task_id}", "{id}")
        .replace("{link_id}", "{id}")
        .replace("{sprint_id}", "{id}")
        .replace("{plan_id}", "{id}")
        .replace("{analysis_id}", "{id}")
        not in normalised
    }
    assert not uncovered, f"add these project routes to the sweep: {sorted(uncovered)}"
    for credentials in (bearer(alice), {"X-API-Key": key}):
        for method, path, body in requests:
            response = await api.request(method, path, json=body, headers=credentials)
            if path == "/v1/api-keys" and "X-API-Key" in credentials:
                # Keys never mint keys, whatever the project: the refusal says nothing about B.
                assert response.json()["type"].endswith("/person-required"), response.text
                continue
            assert response.status_code == 404, (method, path, response.status_code, response.text)
            assert response.json()["type"].endswith("/project-not-found"), (method, path, response.text)
    # And nothing changed in B.
    assert (await api.get(f"/v1/projects/{b}", headers=bearer(bob))).json()["name"] == "B"
    members = (await api.get(f"/v1/projects/{b}/members", headers=bearer(bob))).json()["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(bob_id, "owner")]
