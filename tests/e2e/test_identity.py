"""Identity through the gateway: every way in, API keys as credentials, security log, rate limits."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import jwt as pyjwt
import pytest

from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from services.chassis.keys import JWT_SIGNING, key_id, load_private_key
from tests.e2e.helpers import PASSWORD, assert_problem, bearer, create_project, new_email, signup, wait_for_events
from tests.mail import code_in, token_in


async def test_verify_email_magic_link_and_password_reset_over_http(api, smtp) -> None:
    email = new_email("flows")
    tokens = await signup(api, "Flo", email)
    verify = token_in(await smtp.wait_for(email, "confirm"))
    user = (await api.post("/v1/auth/verify-email", json={"token": verify})).json()
    assert user["email_verified"] is True

    assert (await api.post("/v1/auth/magic-link", json={"email": email, "next_path": "/inbox"})).status_code == 202
    magic = token_in(await smtp.wait_for(email, "sign-in link"))
    signed_in = (await api.post("/v1/auth/magic-link/consume", json={"token": magic})).json()
    assert signed_in["next_path"] == "/inbox" and signed_in["user"]["email"] == email
    assert_problem(await api.post("/v1/auth/magic-link/consume", json={"token": magic}), 401, "magic-link-used")
    evil = await api.post("/v1/auth/magic-link", json={"email": email, "next_path": "https://evil.example"})
    assert_problem(evil, 422, "invalid-next-path")

    assert (await api.post("/v1/auth/password-reset", json={"email": email})).status_code == 202
    code = code_in(await smtp.wait_for(email, "reset code"))
    confirm = {"email": email, "code": code, "new_password": "a new sturdy phrase 9"}
    assert (await api.post("/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    assert_problem(
        await api.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401, "session-revoked"
    )
    again = await api.post("/v1/auth/login", json={"email": email, "password": "a new sturdy phrase 9"})
    assert again.status_code == 200


async def test_refresh_rotation_reuse_and_logout_over_http(api) -> None:
    tokens = await signup(api)
    rotated = (await api.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    reuse = await api.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(reuse, 401, "refresh-token-reused")
    assert_problem(
        await api.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}), 401, "session-revoked"
    )
    fresh = (await api.post("/v1/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD})).json()
    assert (await api.post("/v1/auth/logout", json={"refresh_token": fresh["refresh_token"]})).status_code == 204
    assert_problem(
        await api.post("/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}), 401, "session-revoked"
    )


async def eventually_refused(api, access_token: str, slug: str = "session-ended") -> None:
    """The access token stops working within the gateway's session check interval (1 s here)."""
    deadline = time.monotonic() + 10
    while (response := await api.get("/v1/me", headers=bearer({"access_token": access_token}))).status_code == 200:
        assert time.monotonic() < deadline, "the ended session's access token still works"
        await asyncio.sleep(0.2)
    assert_problem(response, 401, slug)


async def test_logout_and_a_password_change_recall_access_tokens(api) -> None:
    tokens = await signup(api)
    email = tokens["user"]["email"]
    other = (await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    assert (await api.get("/v1/me", headers=bearer(tokens))).status_code == 200
    assert (await api.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    await eventually_refused(api, tokens["access_token"])
    assert (await api.get("/v1/me", headers=bearer(other))).status_code == 200  # another session lives on

    third = (await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    logout_all = await api.post("/v1/auth/logout", json={"refresh_token": third["refresh_token"], "everywhere": True})
    assert logout_all.status_code == 204
    await eventually_refused(api, other["access_token"])
    await eventually_refused(api, third["access_token"])

    fourth = (await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    changed = await api.post(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another sturdy phrase 7"},
        headers=bearer(fourth),
    )
    assert changed.status_code == 204, changed.text
    await eventually_refused(api, fourth["access_token"])


async def test_login_rate_limit_answers_429_with_retry_after(api) -> None:
    tokens = await signup(api)
    wrong = {"email": tokens["user"]["email"], "password": "definitely wrong 1"}
    for _ in range(10):
        assert (await api.post("/v1/auth/login", json=wrong)).status_code == 401
    limited = await api.post("/v1/auth/login", json=wrong)
    assert_problem(limited, 429, "rate-limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 901


async def test_the_security_log_records_ip_and_user_agent(api) -> None:
    tokens = await signup(api)
    await api.post(
        "/v1/auth/login",
        json={"email": tokens["user"]["email"], "password": "wrong password 99"},
        headers={"User-Agent": "e2e-browser/2.0"},
    )
    entries = (await api.get("/v1/me/audit-log", headers=bearer(tokens))).json()["items"]
    failed = next(e for e in entries if e["event_type"] == "login_failed")
    assert (failed["ip"], failed["user_agent"]) == ("127.0.0.1", "e2e-browser/2.0")
    assert [e["event_type"] for e in entries][-2:] == ["login_succeeded", "signed_up"]


async def test_a_tampered_token_is_refused_and_reported(api, system) -> None:
    tokens = await signup(api)
    header, payload, signature = tokens["access_token"].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_problem(await api.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid-token")
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(system.env["AIRA_DATABASE_URL"])))
    try:  # other tests' refusals are reported too (asynchronously): find this person's
        for _ in range(50):
            reason = await conn.fetchval(
                "SELECT details->>'reason' FROM identity.user_audit_log "
                "WHERE event_type = 'access_token_rejected' AND details->>'claimed_user_id' = $1 "
                "ORDER BY id DESC LIMIT 1",
                tokens["user"]["id"],
            )
            if reason:
                break
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert reason == "invalid-token"


# --- API keys as credentials ---------------------------------------------------------------


async def test_api_keys_work_as_x_api_key_and_bearer_in_their_project_only(api) -> None:
    tokens = await signup(api)
    project = await create_project(api, tokens, "Keyed")
    other = await create_project(api, tokens, "Elsewhere")
    created = await api.post(
        "/v1/api-keys", json={"project_id": project["id"], "name": "CI", "scopes": ["read"]}, headers=bearer(tokens)
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    listed = (await api.get("/v1/api-keys", headers=bearer(tokens))).json()["items"]
    assert [k["name"] for k in listed] == ["CI"] and "secret" not in listed[0]

    for headers in ({"X-API-Key": secret}, {"Authorization": f"Bearer {secret}"}):
        assert (await api.get(f"/v1/projects/{project['id']}", headers=headers)).json()["name"] == "Keyed"
        assert_problem(await api.get(f"/v1/projects/{other['id']}", headers=headers), 404, "project-not-found")
        assert [p["name"] for p in (await api.get("/v1/projects", headers=headers)).json()["items"]] == ["Keyed"]
        page = await api.get(f"/v1/projects/{project['id']}/events", headers=headers)
        assert page.status_code == 200
        assert_problem(await api.get(f"/v1/projects/{other['id']}/events", headers=headers), 404, "project-not-found")
        write = await api.patch(f"/v1/projects/{project['id']}", json={"name": "Renamed"}, headers=headers)
        assert_problem(write, 403, "insufficient-scope")


async def test_scope_escalation_is_refused_over_http(api, smtp) -> None:
    owner = await signup(api, "Owner")
    project = await create_project(api, owner)
    viewer_email = new_email("viewer")
    viewer = await signup(api, "Viewer", viewer_email)
    await api.post(
        f"/v1/projects/{project['id']}/invitations",
        json={"email": viewer_email, "role": "viewer"},
        headers=bearer(owner),
    )
    token = token_in(await smtp.wait_for(viewer_email, "invited you"))
    assert (await api.post(f"/v1/invitations/{token}/accept", headers=bearer(viewer))).status_code == 200
    escalate = await api.post(
        "/v1/api-keys", json={"project_id": project["id"], "name": "x", "scopes": ["admin"]}, headers=bearer(viewer)
    )
    assert_problem(escalate, 403, "scope-escalation")


async def test_a_revoked_key_stops_working(api) -> None:
    tokens = await signup(api)
    project = await create_project(api, tokens)
    created = (
        await api.post(
            "/v1/api-keys",
            json={"project_id": project["id"], "name": "temp", "scopes": ["read"]},
            headers=bearer(tokens),
        )
    ).json()
    key = {"X-API-Key": created["secret"]}
    assert (await api.get(f"/v1/projects/{project['id']}", headers=key)).status_code == 200
    revoked = await api.delete(f"/v1/api-keys/{created['key']['id']}", headers=bearer(tokens))
    assert revoked.json()["revoked_at"]
    await asyncio.sleep(1.2)  # the gateway's key cache lifetime in the e2e system
    assert_problem(await api.get(f"/v1/projects/{project['id']}", headers=key), 401, "api-key-revoked")
    assert_problem(await api.get("/v1/me", headers={"X-API-Key": "aira_k_" + "0" * 43}), 401, "invalid-api-key")


# --- project management over HTTP ----------------------------------------------------------


async def test_invitation_by_email_over_http(api, smtp) -> None:
    owner = await signup(api, "Owner")
    project = await create_project(api, owner, "Gemini")
    invitee_email = new_email("invitee")
    invited = await api.post(
        f"/v1/projects/{project['id']}/invitations",
        json={"email": invitee_email, "role": "member"},
        headers=bearer(owner),
    )
    assert invited.status_code == 201, invited.text
    token = token_in(await smtp.wait_for(invitee_email, "invited you"))
    offer = (await api.get(f"/v1/invitations/{token}")).json()
    assert (offer["project_name"], offer["role"], offer["status"]) == ("Gemini", "member", "pending")

    wrong = await signup(api, "Wrong")
    assert_problem(
        await api.post(f"/v1/invitations/{token}/accept", headers=bearer(wrong)), 403, "invitation-wrong-email"
    )
    invitee = await signup(api, "Invitee", invitee_email)
    joined = await api.post(f"/v1/invitations/{token}/accept", headers=bearer(invitee))
    assert joined.json()["role"] == "member"
    members = (await api.get(f"/v1/projects/{project['id']}/members", headers=bearer(invitee))).json()["items"]
    assert sorted(m["role"] for m in members) == ["member", "owner"]
    events = await wait_for_events(api, owner, project["id"], 5)
    assert ("invitation", "accepted") in {(e["entity_type"], e["action"]) for e in events}


async def test_settings_billing_integrations_and_issues_over_http(api) -> None:
    owner = await signup(api)
    pid = (await create_project(api, owner))["id"]
    headers = bearer(owner)
    settings = await api.patch(f"/v1/projects/{pid}/settings", json={"timezone": "Asia/Tokyo"}, headers=headers)
    assert settings.json()["timezone"] == "Asia/Tokyo"
    assert_problem(
        await api.patch(f"/v1/projects/{pid}/settings", json={"timezone": "Nowhere/Land"}, headers=headers),
        422,
        "validation-failed",
    )
    assert_problem(
        await api.patch(f"/v1/projects/{pid}/settings", json={"llm_provider": "magic"}, headers=headers),
        422,
        "validation-failed",
    )
    billing = (await api.get(f"/v1/projects/{pid}/billing", headers=headers)).json()
    assert billing["plan"] == "trial" and billing["trial_days_left"] == 14
    assert (await api.put(f"/v1/projects/{pid}/billing", json={"plan": "business"}, headers=headers)).json()[
        "plan"
    ] == "business"

    put = await api.put(
        f"/v1/projects/{pid}/integrations/slack",
        json={"config": {"channel": "#launch"}, "secrets": {"bot_token": "xoxb-1234567890-abcdef"}},
        headers=headers,
    )
    assert put.json()["secret_hints"] == {"bot_token": "…cdef"} and "xoxb" not in put.text
    assert_problem(
        await api.put(f"/v1/projects/{pid}/integrations/myspace", json={}, headers=headers), 422, "validation-failed"
    )

    issue = (await api.post(f"/v1/projects/{pid}/issues", json={"title": "Slow export"}, headers=headers)).json()
    closed = await api.patch(f"/v1/projects/{pid}/issues/{issue['id']}", json={"status": "closed"}, headers=headers)
    assert closed.json()["resolved_at"]
    listing = (await api.get(f"/v1/projects/{pid}/issues", params={"status": "closed"}, headers=headers)).json()
    assert [i["title"] for i in listing["items"]] == ["Slow export"]


@pytest.mark.parametrize("bad", [{"plan": "free"}, {"plan": 3}, {"plan": "team", "discount": 100}])
async def test_bad_billing_input(api, bad) -> None:
    owner = await signup(api)
    pid = (await create_project(api, owner))["id"]
    assert_problem(
        await api.put(f"/v1/projects/{pid}/billing", json=bad, headers=bearer(owner)), 422, "validation-failed"
    )


async def test_an_expired_token_is_refused_and_reported(api, system) -> None:
    tokens = await signup(api)
    key = load_private_key(system.home / "keys", JWT_SIGNING)
    now = int(time.time())
    claims = {
        "iss": "aira-identity",
        "aud": "aira",
        "sub": tokens["user"]["id"],
        "typ": "access",
        "iat": now - 3600,
        "exp": now - 1800,
    }
    expired = pyjwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id(key.public_key())})
    assert_problem(await api.get("/v1/me", headers={"Authorization": f"Bearer {expired}"}), 401, "token-expired")
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(system.env["AIRA_DATABASE_URL"])))
    try:
        for _ in range(50):
            reason = await conn.fetchval(
                "SELECT details->>'reason' FROM identity.user_audit_log WHERE event_type = 'access_token_rejected' "
                "AND details->>'claimed_user_id' = $1",
                tokens["user"]["id"],
            )
            if reason:
                break
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert reason == "token-expired"
