"""The foundation slice over HTTP through the real processes: gateway → gRPC → services → PostgreSQL/NATS."""

from __future__ import annotations

import asyncio

import jwt

from tests.e2e.helpers import (
    PASSWORD,
    assert_problem,
    bearer,
    create_project,
    new_email,
    signup,
    wait_for_events,
)


async def test_health_readiness_and_docs(api) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = (await api.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["database"] == "ok" and ready["nats"] == "ok"
    assert set(ready["services"]) == {"identity", "planning", "ledger", "team", "rebalance", "agents", "integrations"}
    openapi = (await api.get("/openapi.json")).json()
    assert {"/v1/auth/signup", "/v1/projects/{project_id}/events"} <= set(openapi["paths"])
    assert (await api.get("/docs")).status_code == 200


async def test_signup_login_me_projects_and_events(api) -> None:
    email = new_email("ada")
    tokens = await signup(api, "Ada", email.upper())
    assert set(tokens) >= {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800

    jwks = (await api.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    assert jwt.decode(tokens["access_token"], key, algorithms=["EdDSA"], audience="aira")["sub"] == tokens["user"]["id"]

    login = await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    tokens = login.json()
    me = (await api.get("/v1/me", headers=bearer(tokens))).json()
    assert (me["email"], me["name"]) == (email, "Ada")

    project = await create_project(api, tokens, "Apollo", description="Moon", vision="Land safely")
    assert project["role"] == "owner" and project["created_by"] == me["id"]
    assert (await api.get(f"/v1/projects/{project['id']}", headers=bearer(tokens))).json() == project
    listing = (await api.get("/v1/projects", headers=bearer(tokens))).json()
    assert listing == {"items": [project], "next_cursor": None}

    events = await wait_for_events(api, tokens, project["id"], 2)
    assert [(e["sequence"], e["event_type"]) for e in events] == [
        (1, "identity.project.created.v1"),
        (2, "identity.member.added.v1"),
    ]
    assert events[0]["actor"] == {"type": "user", "id": me["id"]}
    assert events[0]["snapshot"]["vision"] == "Land safely"


async def test_projects_page_with_cursors(api) -> None:
    tokens = await signup(api)
    ids = [(await create_project(api, tokens, f"P{n}"))["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/projects", params=params, headers=bearer(tokens))).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_a_stranger_cannot_see_or_touch_another_project(api) -> None:
    owner = await signup(api, "Owner")
    stranger = await signup(api, "Stranger")
    project = await create_project(api, owner)
    await wait_for_events(api, owner, project["id"], 2)
    for path in (f"/v1/projects/{project['id']}", f"/v1/projects/{project['id']}/events"):
        assert_problem(await api.get(path, headers=bearer(stranger)), 404, "project-not-found")
    listing = (await api.get("/v1/projects", headers=bearer(stranger))).json()
    assert listing["items"] == []
    # A project that does not exist answers exactly like one the caller may not see.
    missing = "01234567-89ab-7def-8123-456789abcdef"
    assert_problem(await api.get(f"/v1/projects/{missing}", headers=bearer(stranger)), 404, "project-not-found")
    assert_problem(await api.get(f"/v1/projects/{missing}/events", headers=bearer(stranger)), 404, "project-not-found")


async def test_idempotency_key_makes_a_retried_post_safe(api) -> None:
    tokens = await signup(api)
    headers = bearer(tokens) | {"Idempotency-Key": "create-apollo"}
    first, second = await asyncio.gather(
        api.post("/v1/projects", json={"name": "Apollo"}, headers=headers),
        api.post("/v1/projects", json={"name": "Apollo"}, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert len((await api.get("/v1/projects", headers=bearer(tokens))).json()["items"]) == 1
    reused = await api.post("/v1/projects", json={"name": "Gemini"}, headers=headers)
    assert_problem(reused, 422, "idempotency-key-reused")


async def test_request_ids_are_echoed_and_generated(api) -> None:
    response = await api.get("/healthz", headers={"X-Request-ID": "client-chosen-42"})
    assert response.headers["x-request-id"] == "client-chosen-42"
    generated = (await api.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})).headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 32


async def test_a_retried_signup_returns_the_same_account_and_strangers_do_not_collide(api) -> None:
    email = new_email()
    body = {"email": email, "password": PASSWORD, "name": "Retry"}
    first = await api.post("/v1/auth/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    again = await api.post("/v1/auth/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["user"]["id"] == again.json()["user"]["id"]
    stranger = {"email": new_email(), "password": PASSWORD, "name": "Stranger"}
    other = await api.post("/v1/auth/signup", json=stranger, headers={"Idempotency-Key": "signup-1"})
    assert other.status_code == 201 and other.json()["user"]["id"] != first.json()["user"]["id"]
