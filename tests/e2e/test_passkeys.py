"""Passkeys over HTTP through the real system, with a software authenticator playing the browser."""

from __future__ import annotations

import asyncpg
import pytest

from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from tests.e2e.helpers import assert_problem, bearer, signup
from tests.webauthn_authenticator import SoftAuthenticator

REGISTER_OPTIONS = "/v1/auth/webauthn/register/options"
REGISTER_VERIFY = "/v1/auth/webauthn/register/verify"
LOGIN_OPTIONS = "/v1/auth/webauthn/login/options"
LOGIN_VERIFY = "/v1/auth/webauthn/login/verify"


@pytest.fixture
def origin(system) -> str:
    """The web app's origin as a browser on this machine would send it (allowed by default)."""
    return f"http://localhost:{system.env['AIRA_GATEWAY_PORT']}"


async def register(api, tokens: dict, origin: str, authenticator: SoftAuthenticator, name: str = "") -> dict:
    options = await api.post(REGISTER_OPTIONS, headers=bearer(tokens))
    assert options.status_code == 200, options.text
    response = await api.post(
        REGISTER_VERIFY,
        json={"credential": authenticator.create(options.json(), origin), "name": name},
        headers=bearer(tokens),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def assertion(api, origin: str, authenticator: SoftAuthenticator, email: str | None = None, **kwargs) -> dict:
    options = await api.post(LOGIN_OPTIONS, json={"email": email} if email else None)
    assert options.status_code == 200, options.text
    return authenticator.get(options.json(), origin, **kwargs)


async def sign_in(api, origin: str, authenticator: SoftAuthenticator, email: str | None = None) -> dict:
    response = await api.post(LOGIN_VERIFY, json={"credential": await assertion(api, origin, authenticator, email)})
    assert response.status_code == 200, response.text
    return response.json()


async def passkeys_of(api, tokens: dict) -> list[dict]:
    response = await api.get("/v1/me/passkeys", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def audit_log(api, tokens: dict, event_type: str) -> list[dict]:
    response = await api.get("/v1/me/audit-log", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["event_type"] == event_type]


async def test_a_software_authenticator_registers_and_signs_in(api, origin) -> None:
    tokens = await signup(api, "Ada")
    authenticator = SoftAuthenticator()
    passkey = await register(api, tokens, origin, authenticator, name="Laptop")
    assert passkey["name"] == "Laptop" and passkey["last_used_at"] is None
    assert [p["id"] for p in await passkeys_of(api, tokens)] == [passkey["id"]]

    by_email = await sign_in(api, origin, authenticator, tokens["user"]["email"])
    me = await api.get("/v1/me", headers=bearer(by_email))
    assert me.status_code == 200 and me.json()["id"] == tokens["user"]["id"]
    username_less = await sign_in(api, origin, authenticator)
    assert username_less["user"]["id"] == tokens["user"]["id"] and username_less["token_type"] == "Bearer"

    (used,) = await passkeys_of(api, username_less)
    assert used["last_used_at"] is not None
    assert [e["details"]["passkey_id"] for e in await audit_log(api, tokens, "passkey_registered")] == [passkey["id"]]
    assert [e["details"]["method"] for e in await audit_log(api, tokens, "login_succeeded")][:2] == [
        "passkey",
        "passkey",
    ]


async def test_a_replayed_assertion_is_refused(api, origin) -> None:
    tokens = await signup(api)
    authenticator = SoftAuthenticator()
    await register(api, tokens, origin, authenticator)
    answer = {"credential": await assertion(api, origin, authenticator)}
    assert (await api.post(LOGIN_VERIFY, json=answer)).status_code == 200
    assert_problem(await api.post(LOGIN_VERIFY, json=answer), 401, "passkey-challenge-used")


async def test_a_regressed_sign_count_is_refused_with_an_audit_entry_and_no_change(api, system, origin) -> None:
    tokens = await signup(api)
    authenticator = SoftAuthenticator()
    passkey = await register(api, tokens, origin, authenticator)
    await sign_in(api, origin, authenticator)
    await sign_in(api, origin, authenticator)
    (before,) = await passkeys_of(api, tokens)

    authenticator.sign_count = 0  # a copy of the key that has signed less often
    response = await api.post(LOGIN_VERIFY, json={"credential": await assertion(api, origin, authenticator)})
    body = assert_problem(response, 401, "passkey-sign-count-regressed")
    assert "www-authenticate" in response.headers

    (entry,) = await audit_log(api, tokens, "passkey_rejected")
    assert entry["details"]["reason"] == "sign count regressed"
    assert (entry["details"]["stored_sign_count"], entry["details"]["presented_sign_count"]) == (2, 1)
    assert entry["details"]["passkey_id"] == passkey["id"] and body["detail"]
    assert await passkeys_of(api, tokens) == [before]
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(system.env["AIRA_DATABASE_URL"])))
    try:
        stored = await conn.fetchval(
            "SELECT sign_count FROM identity.webauthn_credentials WHERE id = $1::uuid", passkey["id"]
        )
    finally:
        await conn.close()
    assert stored == 2


async def test_a_wrong_origin_or_relying_party_is_refused(api, origin) -> None:
    tokens = await signup(api)
    options = (await api.post(REGISTER_OPTIONS, headers=bearer(tokens))).json()
    credential = SoftAuthenticator().create(options, origin, rp_id="evil.example")
    response = await api.post(REGISTER_VERIFY, json={"credential": credential}, headers=bearer(tokens))
    assert_problem(response, 422, "passkey-registration-failed")

    authenticator = SoftAuthenticator()
    await register(api, tokens, origin, authenticator)
    phished = await assertion(api, "https://aira.evil.example", authenticator)
    assert_problem(await api.post(LOGIN_VERIFY, json={"credential": phished}), 401, "passkey-rejected")
    reasons = [e["details"]["reason"] for e in await audit_log(api, tokens, "passkey_rejected")]
    assert len(reasons) == 2 and "origin" in reasons[0] and "RP ID" in reasons[1]


async def test_a_person_cannot_remove_anothers_passkey(api, origin) -> None:
    ada, eve = await signup(api, "Ada"), await signup(api, "Eve")
    authenticator = SoftAuthenticator()
    passkey = await register(api, ada, origin, authenticator)
    path = f"/v1/me/passkeys/{passkey['id']}"
    assert_problem(await api.delete(path, headers=bearer(eve)), 404, "passkey-not-found")
    assert [p["id"] for p in await passkeys_of(api, ada)] == [passkey["id"]]
    assert await passkeys_of(api, eve) == []

    assert (await api.delete(path, headers=bearer(ada))).status_code == 204
    assert await passkeys_of(api, ada) == []
    assert [e["details"]["passkey_id"] for e in await audit_log(api, ada, "passkey_removed")] == [passkey["id"]]
    answer = {"credential": await assertion(api, origin, authenticator)}
    assert_problem(await api.post(LOGIN_VERIFY, json=answer), 401, "unknown-passkey")


async def test_passkey_routes_check_who_calls_and_what_is_sent(api) -> None:
    assert_problem(await api.post(REGISTER_OPTIONS), 401, "unauthenticated")
    assert_problem(await api.get("/v1/me/passkeys"), 401, "unauthenticated")
    tokens = await signup(api)
    strict = await api.post(REGISTER_VERIFY, json={"credential": {}, "surprise": 1}, headers=bearer(tokens))
    assert_problem(strict, 422, "validation-failed")
    assert_problem(await api.post(LOGIN_OPTIONS, json={"email": "not an email"}), 422, "validation-failed")
    assert_problem(await api.post(LOGIN_VERIFY, json={"credential": "text"}), 422, "validation-failed")
    garbage = await api.post(LOGIN_VERIFY, json={"credential": {"id": "x"}})
    assert_problem(garbage, 422, "invalid-passkey-credential")
