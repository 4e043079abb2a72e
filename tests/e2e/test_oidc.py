"""OIDC sign-in and SSO discovery over HTTP through the real processes, against a local issuer."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import orjson
from sqlalchemy.engine import make_url

from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from tests.e2e.helpers import assert_problem, bearer, new_email, signup
from tests.mail import token_in
from tests.oidc_issuer import new_key

CALLBACK = "/v1/auth/oidc/test/callback"


@contextlib.asynccontextmanager
async def database(system) -> AsyncIterator[asyncpg.Connection]:
    """The system's database as its administrator (to read refusals, which belong to no account)."""
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(make_url(system.env["AIRA_DATABASE_URL"]))))
    try:
        yield conn
    finally:
        await conn.close()


async def start_json(api, **params) -> dict:
    response = await api.get("/v1/auth/oidc/test/start", params={"format": "json", **params})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def test_a_browser_signs_in_through_the_provider(api, system, oidc_issuer) -> None:
    start = await api.get("/v1/auth/oidc/test/start", params={"next_path": "/projects?tab=mine"})
    assert start.status_code == 302 and start.headers["cache-control"] == "no-store"
    location = start.headers["location"]
    params = dict(parse_qsl(urlsplit(location).query))
    assert params["redirect_uri"] == f"{system.base_url}{CALLBACK}"
    email = new_email("oidc")
    code, state = oidc_issuer.authorize(location, sub=f"sub-{email}", email=email, name="Ada")

    callback = await api.get(CALLBACK, params={"code": code, "state": state})  # where the provider sends the browser
    assert callback.status_code == 200, callback.text
    assert callback.headers["cache-control"] == "no-store"
    tokens = callback.json()
    assert tokens["next_path"] == "/projects?tab=mine" and tokens["token_type"] == "Bearer"
    user = tokens["user"]
    assert (user["email"], user["name"], user["email_verified"], user["has_password"]) == (email, "Ada", True, False)
    me = await api.get("/v1/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json()["id"] == user["id"]
    log = (await api.get("/v1/me/audit-log", headers=bearer(tokens))).json()["items"]
    assert [(e["event_type"], e["details"]) for e in reversed(log)] == [
        ("signed_up", {"method": "oidc:test"}),
        ("login_succeeded", {"method": "oidc:test"}),
    ]

    code, state = oidc_issuer.authorize((await start_json(api))["authorization_url"], sub=f"sub-{email}", email=email)
    again = await api.get(CALLBACK, params={"code": code, "state": state})
    assert again.status_code == 200 and again.json()["user"]["id"] == user["id"]


async def test_an_app_starts_with_json_and_links_a_verified_account(api, smtp, oidc_issuer) -> None:
    email = new_email("grace")
    signed_up = await signup(api, "Grace", email)
    verify = token_in(await smtp.wait_for(email, "confirm"))
    assert (await api.post("/v1/auth/verify-email", json={"token": verify})).status_code == 200

    started = await start_json(api, email=email, next_path="/welcome")
    assert started["expires_in"] == 600
    assert dict(parse_qsl(urlsplit(started["authorization_url"]).query))["login_hint"] == email
    code, state = oidc_issuer.authorize(started["authorization_url"], email=email.upper())
    assert state == started["state"]  # what the app compares before it calls back
    pair = (await api.get(CALLBACK, params={"code": code, "state": state})).json()
    assert (pair["user"]["id"], pair["user"]["has_password"], pair["next_path"]) == (
        signed_up["user"]["id"],
        True,
        "/welcome",
    )
    log = (await api.get("/v1/me/audit-log", headers=bearer(pair))).json()["items"]
    linked = [e["details"] for e in log if e["event_type"] == "oidc_linked"]
    assert linked == [{"provider": "test", "password_removed": False}]


async def test_refusals_are_problems_logged_with_their_reason(api, system, oidc_issuer) -> None:
    async with database(system) as conn:
        since = await conn.fetchval("SELECT clock_timestamp()")
    evil = f"https://evil.example/{uuid.uuid4().hex}"
    assert_problem(await api.get("/v1/auth/oidc/test/start", params={"next_path": evil}), 422, "invalid-next-path")
    assert_problem(await api.get("/v1/auth/oidc/nope/start"), 404, "oidc-provider-not-found")

    email = new_email("mallory")
    cases = [
        ({"sign_with": new_key("RS256")}, "invalid-id-token"),
        ({"aud": "another-client"}, "invalid-id-token"),
        ({"lifetime": -3600}, "invalid-id-token"),
        ({"nonce": "another-sign-in"}, "oidc-nonce-mismatch"),
        ({"email_verified": False}, "oidc-email-unverified"),
    ]
    for claims, slug in cases:
        code, state = oidc_issuer.authorize((await start_json(api))["authorization_url"], email=email, **claims)
        response = await api.get(CALLBACK, params={"code": code, "state": state})
        assert_problem(response, 403 if slug == "oidc-email-unverified" else 401, slug)
    code, state = oidc_issuer.authorize((await start_json(api))["authorization_url"], email=email)
    tampered = state[:-8] + ("A" if state[-8] != "A" else "B") + state[-7:]
    assert_problem(await api.get(CALLBACK, params={"code": code, "state": tampered}), 401, "invalid-oidc-state")

    async with database(system) as conn:
        rows = await conn.fetch(
            "SELECT user_id, details FROM identity.user_audit_log "
            "WHERE event_type = 'oidc_rejected' AND created_at >= $1 ORDER BY id",
            since,
        )
        users = await conn.fetchval("SELECT count(*) FROM identity.users WHERE email = $1", email)
    found = [orjson.loads(row["details"]) for row in rows]
    assert [d["reason"] for d in found] == [
        "open_redirect",
        "unknown_provider",
        "id_token_signature",
        "id_token_audience",
        "id_token_expired",
        "nonce_mismatch",
        "email_unverified",
        "state_invalid",
    ]
    assert found[0]["next_path"] == evil and all(row["user_id"] is None for row in rows)
    assert users == 0


async def test_the_sso_provider_is_found_from_the_email_domain(api, system) -> None:
    domain = f"{uuid.uuid4().hex[:12]}.example"
    async with database(system) as conn:
        await conn.execute(
            "INSERT INTO identity.system_config (key, value) VALUES ('sso.domains', $1::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET value = system_config.value || EXCLUDED.value",
            orjson.dumps({domain: "test"}).decode(),
        )
    found = await api.get("/v1/auth/sso/discover", params={"email": f"Bob@{domain.upper()}"})
    assert found.status_code == 200 and found.json() == {"provider": "test"}
    assert_problem(
        await api.get("/v1/auth/sso/discover", params={"email": "bob@elsewhere.example"}), 404, "sso-provider-not-found"
    )
    assert_problem(await api.get("/v1/auth/sso/discover", params={"email": "not-an-email"}), 422, "invalid-email")
