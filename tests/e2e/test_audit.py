"""The audit log over HTTP: the live SSE stream (resumable with Last-Event-ID), the activity feed,
and the error log for administrators only."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx2
import orjson

from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from tests.e2e.helpers import assert_problem, bearer, create_project, signup, wait_for_events


async def _raise_issue(api: httpx2.AsyncClient, tokens: dict, project_id: str, title: str) -> None:
    response = await api.post(f"/v1/projects/{project_id}/issues", json={"title": title}, headers=bearer(tokens))
    assert response.status_code == 201, response.text


async def _read(events, count: int, timeout: float = 20.0) -> list:
    """The next ``count`` events of an open EventSource's iterator."""
    return [await asyncio.wait_for(anext(events), timeout) for _ in range(count)]


async def test_the_stream_resumes_exactly_where_the_client_left(api) -> None:
    tokens = await signup(api, "Ada")
    project = await create_project(api, tokens, "Apollo")
    pid = project["id"]
    await _raise_issue(api, tokens, pid, "First")
    listed = await wait_for_events(api, tokens, pid, 3)
    stream = f"/v1/projects/{pid}/events/stream"

    async with api.sse(stream, headers=bearer(tokens)) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        first = await _read(aiter(source), 2)
    # Each event as GET /events shows it: id = sequence, event = type, data = the same JSON.
    assert [(e.id, e.event) for e in first] == [("1", "identity.project.created.v1"), ("2", "identity.member.added.v1")]
    assert [e.json() for e in first] == listed[:2]

    # Gone for a while; meanwhile more happens. Reconnecting with Last-Event-ID gives exactly the rest.
    await _raise_issue(api, tokens, pid, "Second")
    await wait_for_events(api, tokens, pid, 4)
    async with api.sse(stream, headers=bearer(tokens) | {"Last-Event-ID": first[-1].id}) as source:
        events = aiter(source)
        rest = await _read(events, 2)
        assert [e.id for e in rest] == ["3", "4"]
        await _raise_issue(api, tokens, pid, "Third")  # and live ones follow
        live = await _read(events, 1)
    assert [e.id for e in live] == ["5"]
    everything = await wait_for_events(api, tokens, pid, 5)
    assert [e.json() for e in first + rest + live] == everything

    async with api.sse(stream, params={"after": 4}, headers=bearer(tokens)) as source:
        assert [e.id for e in await _read(aiter(source), 1)] == ["5"]


async def test_an_idle_stream_sends_heartbeats(api) -> None:
    tokens = await signup(api, "Ada")
    pid = (await create_project(api, tokens))["id"]
    await wait_for_events(api, tokens, pid, 2)
    async with api.stream(
        "GET", f"/v1/projects/{pid}/events/stream", headers=bearer(tokens) | {"Last-Event-ID": "2"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"

        async def first_line() -> str:
            async for line in response.aiter_lines():
                if line:
                    return line
            return ""

        # The e2e system sends one every second (AIRA_SSE_HEARTBEAT_SECONDS); 15 s by default.
        assert (await asyncio.wait_for(first_line(), 10)).startswith(":")


async def test_stream_refusals_come_as_problems_before_any_event(api) -> None:
    owner = await signup(api, "Owner")
    stranger = await signup(api, "Stranger")
    pid = (await create_project(api, owner))["id"]
    stream = f"/v1/projects/{pid}/events/stream"
    assert_problem(await api.get(stream, headers=bearer(stranger)), 404, "project-not-found")
    assert_problem(await api.get(f"/v1/projects/{pid}/activity", headers=bearer(stranger)), 404, "project-not-found")
    assert_problem(await api.get(stream), 401, "unauthenticated")
    refused = await api.get(stream, headers=bearer(owner) | {"Last-Event-ID": "yesterday"})
    assert_problem(refused, 422, "invalid-last-event-id")


async def test_the_activity_feed_reads_like_sentences(api) -> None:
    tokens = await signup(api, "Grace")
    pid = (await create_project(api, tokens, "Hopper"))["id"]
    patched = await api.patch(f"/v1/projects/{pid}/settings", json={"timezone": "Europe/Paris"}, headers=bearer(tokens))
    assert patched.status_code == 200, patched.text
    await _raise_issue(api, tokens, pid, "Compiler crashes")
    await wait_for_events(api, tokens, pid, 4)
    feed = (await api.get(f"/v1/projects/{pid}/activity", headers=bearer(tokens))).json()
    assert [(e["sequence"], e["summary"]) for e in feed["items"]] == [
        (4, "Grace raised the issue “Compiler crashes” (medium priority)"),
        (3, "Grace set the timezone to Europe/Paris"),
        (2, "Grace joined the project as an owner"),
        (1, "Grace created the project “Hopper”"),
    ]
    assert feed["next_cursor"] is None
    newest = feed["items"][0]
    assert newest["actor"] == {"type": "user", "id": tokens["user"]["id"]} and newest["actor_name"] == "Grace"
    assert (newest["verb"], newest["entity_type"]) == ("created", "issue")
    page = (await api.get(f"/v1/projects/{pid}/activity", params={"limit": 3}, headers=bearer(tokens))).json()
    older = await api.get(
        f"/v1/projects/{pid}/activity", params={"cursor": page["next_cursor"]}, headers=bearer(tokens)
    )
    assert [e["sequence"] for e in page["items"] + older.json()["items"]] == [4, 3, 2, 1]


async def test_only_aira_administrators_read_the_error_log(api, system) -> None:
    person = await signup(api, "Person")
    pid = (await create_project(api, person))["id"]
    assert_problem(await api.get("/v1/admin/errors", headers=bearer(person)), 403, "forbidden")
    key = await api.post(
        "/v1/api-keys", json={"project_id": pid, "name": "k", "scopes": ["admin"]}, headers=bearer(person)
    )
    assert_problem(await api.get("/v1/admin/errors", headers={"X-API-Key": key.json()["secret"]}), 403, "forbidden")
    assert_problem(await api.get("/v1/admin/errors"), 401, "unauthenticated")

    admin = await signup(api, "Admin")
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(system.env["AIRA_DATABASE_URL"])))
    try:
        await conn.execute("UPDATE identity.users SET is_admin = true WHERE id = $1", admin["user"]["id"])
    finally:
        await conn.close()
    listed = await api.get("/v1/admin/errors", params={"service": "planning", "limit": 5}, headers=bearer(admin))
    assert listed.status_code == 200, listed.text
    assert set(orjson.loads(listed.content)) == {"items", "next_cursor"}
    bad = await api.get("/v1/admin/errors", params={"project_id": "nope"}, headers=bearer(admin))
    assert_problem(bad, 422, "validation-failed")
