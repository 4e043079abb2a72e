"""MCP clients against the running system: OAuth 2.1 (registration, PKCE, consent, refresh,
revocation) through the gateway's authorization server, then tools over ``/mcp``.

The official ``mcp`` client does the OAuth dance itself (``OAuthClientProvider``); the test plays
the person in the browser: it follows the authorize redirect to the consent page and posts the
forms as a browser would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import secrets
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx2
import pytest
from mcp.client import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl
from sqlalchemy.engine import make_url

from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from tests.e2e.helpers import PASSWORD, assert_problem, bearer, create_project, new_email, signup

REDIRECT = "http://127.0.0.1:53682/callback"  # the client's loopback listener; never contacted here


class MemoryStorage:
    """Where the MCP client keeps its registration and tokens."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field in:\n{page}"
    return html.unescape(found.group(1))


class Browser:
    """The person: signs in on the consent page, picks a project and scopes, approves."""

    def __init__(self, base_url: str, email: str, project_id: str | None = None, write: bool = False) -> None:
        self.base_url = base_url
        self.email = email
        self.project_id = project_id
        self.write = write
        self.pages: list[str] = []
        self._result: asyncio.Future[AuthorizationCodeResult] | None = None

    async def redirect(self, authorization_url: str) -> None:
        """The MCP client's redirect handler: 'open the browser' at the authorization URL."""
        self._result = asyncio.get_running_loop().create_future()
        location = await self.consent(authorization_url)
        query = parse_qs(urlsplit(location).query)
        self._result.set_result(AuthorizationCodeResult(code=query["code"][0], state=query["state"][0]))

    async def callback(self) -> AuthorizationCodeResult:
        """The MCP client's callback handler: what arrived at its redirect URI."""
        assert self._result is not None
        return await self._result

    async def consent(self, authorization_url: str, action: str = "approve") -> str:
        """Follow /authorize to the consent page, sign in, choose, submit; the final Location."""
        async with httpx2.AsyncClient(timeout=30, headers={"Origin": self.base_url}) as web:
            authorize = await web.get(authorization_url)
            assert authorize.status_code == 302, authorize.text
            page = await web.get(authorize.headers["location"])
            assert page.status_code == 200 and "Sign in" in page.text, page.text
            assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
            request = hidden(page.text, "request")
            signed_in = await web.post(
                f"{self.base_url}/oauth/consent",
                data={"request": request, "email": self.email, "password": PASSWORD, "action": "sign_in"},
            )
            assert signed_in.status_code == 200, signed_in.text
            self.pages.append(signed_in.text)
            choices = re.findall(r'name="project_id" value="([^"]+)"', signed_in.text)
            form = {
                "request": request,
                "consent": hidden(signed_in.text, "consent"),
                "project_id": self.project_id or choices[0],
                "action": action,
            }
            if self.write:
                form["scope"] = "write"
            done = await web.post(f"{self.base_url}/oauth/consent", data=form)
            assert done.status_code == 303, done.text
            location = done.headers["location"]
            assert location.startswith(REDIRECT)
            return location


def oauth_client(system, browser: Browser, storage: MemoryStorage, **metadata) -> OAuthClientProvider:
    return OAuthClientProvider(
        server_url=f"{system.base_url}/mcp",
        client_metadata=OAuthClientMetadata(client_name="Aira e2e", redirect_uris=[AnyUrl(REDIRECT)], **metadata),
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )


def structured(result) -> dict:
    assert not result.is_error, result
    return result.structured_content


async def person_with_projects(api, *names: str) -> tuple[dict, list[dict]]:
    email = new_email("mcp")
    tokens = await signup(api, "Ada", email)
    tokens["email"] = email
    return tokens, [await create_project(api, tokens, name) for name in names]


async def database(system):
    return await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(make_url(system.env["AIRA_DATABASE_URL"]))))


async def audit_events(api, tokens: dict) -> list[dict]:
    response = await api.get("/v1/me/audit-log", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- the official client, end to end ------------------------------------------------------


async def test_an_mcp_client_registers_authorizes_and_calls_tools(system, api) -> None:
    tokens, (apollo, gemini) = await person_with_projects(api, "Apollo", "Gemini")
    browser = Browser(system.base_url, tokens["email"], project_id=apollo["id"], write=True)
    storage = MemoryStorage()
    oauth = oauth_client(system, browser, storage)
    async with (
        httpx2.AsyncClient(auth=oauth, timeout=30) as http,
        Client(streamable_http_client(f"{system.base_url}/mcp", http_client=http)) as client,
    ):
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"whoami", "list_projects", "list_features", "list_tasks", "get_task", "create_task"} <= tools

        me = structured(await client.call_tool("whoami", {}))
        assert me["user"] == {"id": tokens["user"]["id"], "email": tokens["email"], "name": "Ada"}
        assert me["project"] == {"id": apollo["id"], "name": "Apollo", "role": "owner"}
        assert me["scopes"] == ["read", "write"] and me["client_id"] == storage.client_info.client_id

        listed = structured(await client.call_tool("list_projects", {}))
        assert [p["id"] for p in listed["items"]] == [apollo["id"]]  # Gemini is not part of this grant

        # The client refreshes on its own once its access token is stale; the refresh token rotates.
        before = storage.tokens
        oauth.context.token_expiry_time = time.time() - 1
        assert structured(await client.call_tool("whoami", {}))["project"]["id"] == apollo["id"]
        assert storage.tokens.refresh_token != before.refresh_token
        assert storage.tokens.access_token != before.access_token

    assert storage.client_info.client_secret  # registered as a confidential client (the SDK's default)
    assert "Apollo" in browser.pages[0] and "Gemini" in browser.pages[0]  # the person chose among their projects
    events = [e["event_type"] for e in await audit_events(api, tokens)]
    assert "mcp_oauth_granted" in events

    # An MCP token is not an API token, and an API token is not an MCP token.
    mcp_token = {"access_token": storage.tokens.access_token}
    assert (await api.get(f"/v1/projects/{gemini['id']}", headers=bearer(mcp_token))).status_code == 401
    assert (await api.get("/v1/me", headers=bearer(mcp_token))).status_code == 401
    refused = await api.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**bearer(tokens), "Accept": "application/json, text/event-stream"},
    )
    assert refused.status_code == 401
    assert 'resource_metadata="' in refused.headers["www-authenticate"]


async def test_planning_tools_read_and_write_the_granted_project_only(system, api) -> None:
    tokens, (apollo, gemini) = await person_with_projects(api, "Apollo", "Gemini")
    elsewhere = await api.post(
        f"/v1/projects/{gemini['id']}/tasks", json={"title": "Gemini's secret"}, headers=bearer(tokens)
    )
    assert elsewhere.status_code == 201, elsewhere.text
    feature = await api.post(
        f"/v1/projects/{apollo['id']}/features",
        json={"title": "Checkout", "reach": 100, "impact": 2, "confidence": 0.8, "effort": 4},
        headers=bearer(tokens),
    )
    assert feature.status_code == 201, feature.text
    browser = Browser(system.base_url, tokens["email"], project_id=apollo["id"], write=True)
    async with (
        httpx2.AsyncClient(auth=oauth_client(system, browser, MemoryStorage()), timeout=30) as http,
        Client(streamable_http_client(f"{system.base_url}/mcp", http_client=http)) as client,
    ):
        made = structured(
            await client.call_tool(
                "create_task",
                {
                    "title": "Pay with a saved card",
                    "priority": "high",
                    "estimated_hours": "6.5",
                    "required_skills": ["Backend"],
                    "feature_id": feature.json()["id"],
                },
            )
        )
        assert made["key"].startswith("AP") and made["status"] == "backlog" and made["estimated_hours"] == "6.50"
        assert made["required_skills"] == ["backend"] and made["feature_id"] == feature.json()["id"]
        found = structured(await client.call_tool("get_task", {"task": made["key"].lower()}))
        assert found["id"] == made["id"]
        listed = structured(await client.call_tool("list_tasks", {"priority": "high"}))
        assert [t["id"] for t in listed["items"]] == [made["id"]]  # Gemini's task is not in this grant
        features = structured(await client.call_tool("list_features", {}))
        assert [f["title"] for f in features["items"]] == ["Checkout"]

        # Another project's task is as unknown as one that does not exist.
        hidden_task = await client.call_tool("get_task", {"task": elsewhere.json()["id"]})
        assert hidden_task.is_error and "no such task" in hidden_task.content[0].text
        bad = await client.call_tool("create_task", {"title": "x", "estimated_hours": "1.234"})
        assert bad.is_error
        assert structured(await client.call_tool("list_tasks", {}))["items"] == [found]

    reader = Browser(system.base_url, tokens["email"], project_id=apollo["id"])  # read scope only
    async with (
        httpx2.AsyncClient(auth=oauth_client(system, reader, MemoryStorage()), timeout=30) as http,
        Client(streamable_http_client(f"{system.base_url}/mcp", http_client=http)) as client,
    ):
        refused = await client.call_tool("create_task", {"title": "Not allowed"})
        assert refused.is_error and "scope" in refused.content[0].text
        assert len(structured(await client.call_tool("list_tasks", {}))["items"]) == 1


async def test_a_person_sees_and_disconnects_their_mcp_clients(system, api) -> None:
    tokens, (apollo,) = await person_with_projects(api, "Apollo")
    browser = Browser(system.base_url, tokens["email"], project_id=apollo["id"], write=True)
    storage = MemoryStorage()
    async with (
        httpx2.AsyncClient(auth=oauth_client(system, browser, storage), timeout=30) as http,
        Client(streamable_http_client(f"{system.base_url}/mcp", http_client=http)) as client,
    ):
        assert structured(await client.call_tool("whoami", {}))["project"]["id"] == apollo["id"]

        listed = await api.get("/v1/me/mcp-grants", headers=bearer(tokens))
        assert listed.status_code == 200, listed.text
        [grant] = listed.json()["items"]
        assert (grant["client_name"], grant["client_id"]) == ("Aira e2e", storage.client_info.client_id)
        assert (grant["project_id"], grant["project_name"], grant["scopes"]) == (
            apollo["id"],
            "Apollo",
            ["read", "write"],
        )
        assert grant["connected_at"] <= grant["refreshed_at"] < grant["expires_at"]

        stranger = await signup(api, "Mallory")
        assert (await api.get("/v1/me/mcp-grants", headers=bearer(stranger))).json()["items"] == []
        assert_problem(
            await api.delete(f"/v1/me/mcp-grants/{grant['grant_id']}", headers=bearer(stranger)),
            404,
            "mcp-grant-not-found",
        )
        assert_problem(
            await api.delete("/v1/me/mcp-grants/not-an-id", headers=bearer(tokens)), 404, "mcp-grant-not-found"
        )

        gone = await api.delete(f"/v1/me/mcp-grants/{grant['grant_id']}", headers=bearer(tokens))
        assert gone.status_code == 204
        assert (await api.get("/v1/me/mcp-grants", headers=bearer(tokens))).json()["items"] == []
        # The gateway trusts a grant it checked for a few seconds (AIRA_ACCESS_CACHE_SECONDS), no longer.
        deadline = time.monotonic() + 15
        while True:
            answer = await api.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
                headers={
                    "Authorization": f"Bearer {storage.tokens.access_token}",
                    "Accept": "application/json, text/event-stream",
                },
            )
            if answer.status_code == 401 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert answer.status_code == 401  # the access token died with its grant
    events = [e["event_type"] for e in await audit_events(api, tokens)]
    assert "mcp_oauth_revoked" in events


async def test_the_discovery_documents(api, system) -> None:
    base = system.base_url
    unauthenticated = await api.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert unauthenticated.status_code == 401
    challenge = unauthenticated.headers["www-authenticate"]
    assert f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"' in challenge

    resource = (await api.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert resource["resource"] == f"{base}/mcp" and resource["authorization_servers"] == [base]
    server = (await api.get("/.well-known/oauth-authorization-server")).json()
    assert server["issuer"] == base
    assert (server["authorization_endpoint"], server["token_endpoint"]) == (f"{base}/authorize", f"{base}/token")
    assert (server["registration_endpoint"], server["revocation_endpoint"]) == (f"{base}/register", f"{base}/revoke")
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["scopes_supported"] == ["read", "write"]
    # The rest of the API is untouched by the mount.
    assert (await api.get("/v1/nowhere")).headers["content-type"].startswith("application/problem+json")
    assert "/authorize" not in (await api.get("/openapi.json")).json()["paths"]


async def test_a_grant_for_one_project_cannot_see_another(system, api) -> None:
    tokens, (apollo, gemini) = await person_with_projects(api, "Apollo", "Gemini")
    for project in (gemini, apollo):
        browser = Browser(system.base_url, tokens["email"], project_id=project["id"])
        storage = MemoryStorage()
        async with (
            httpx2.AsyncClient(auth=oauth_client(system, browser, storage), timeout=30) as http,
            Client(streamable_http_client(f"{system.base_url}/mcp", http_client=http)) as client,
        ):
            listed = structured(await client.call_tool("list_projects", {}))
            assert [p["id"] for p in listed["items"]] == [project["id"]]
            me = structured(await client.call_tool("whoami", {}))
            assert me["project"]["id"] == project["id"] and me["scopes"] == ["read"]


# --- the flow by hand: refusals -----------------------------------------------------------


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def register(api, redirect_uri: str = REDIRECT) -> dict:
    response = await api.post(
        "/register",
        json={"client_name": "Hand-driven", "redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def authorize_url(system, client: dict, challenge: str, redirect_uri: str = REDIRECT) -> str:
    query = httpx2.QueryParams(
        response_type="code",
        client_id=client["client_id"],
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        code_challenge_method="S256",
        state="xyz",
        resource=f"{system.base_url}/mcp",
    )
    return f"{system.base_url}/authorize?{query}"


async def code_for(system, tokens: dict, client: dict, challenge: str) -> str:
    location = await Browser(system.base_url, tokens["email"]).consent(authorize_url(system, client, challenge))
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


async def exchange(api, client: dict, code: str, verifier: str) -> httpx2.Response:
    return await api.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client["client_id"],
            "code_verifier": verifier,
        },
    )


async def refresh(api, client: dict, refresh_token: str) -> httpx2.Response:
    return await api.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client["client_id"]},
    )


def oauth_error(response: httpx2.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    return body


async def test_an_unregistered_redirect_uri_is_refused_and_logged(system, api) -> None:
    client = await register(api)
    _, challenge = pkce()
    elsewhere = "http://127.0.0.1:53682/elsewhere"
    response = await api.get(authorize_url(system, client, challenge, redirect_uri=elsewhere))
    body = oauth_error(response, 400, "invalid_request")  # answered here, never sent to that URI
    assert "not registered" in body["error_description"] and "location" not in response.headers
    assert (await api.get(authorize_url(system, client, challenge, redirect_uri=REDIRECT + "/"))).status_code == 400

    unsafe = await api.post("/register", json={"redirect_uris": ["http://evil.example.com/cb"]})
    oauth_error(unsafe, 400, "invalid_redirect_uri")

    conn = await database(system)
    try:
        reasons = await conn.fetch(
            "SELECT details FROM identity.user_audit_log WHERE event_type = 'mcp_oauth_rejected' "
            "AND details->>'client_id' = $1 ORDER BY id",
            client["client_id"],
        )
        codes = await conn.fetchval(
            "SELECT count(*) FROM identity.mcp_oauth_authorization_codes WHERE client_id = $1", client["client_id"]
        )
    finally:
        await conn.close()
    assert ['"redirect_uri_not_registered"' in r["details"] for r in reasons] == [True, True]
    assert elsewhere in reasons[0]["details"]
    assert codes == 0


async def test_a_pkce_verifier_mismatch_is_refused_and_changes_nothing(system, api) -> None:
    tokens, _ = await person_with_projects(api, "Apollo")
    client = await register(api)
    verifier, challenge = pkce()
    code = await code_for(system, tokens, client, challenge)

    wrong = await exchange(api, client, code, secrets.token_urlsafe(48))
    assert oauth_error(wrong, 400, "invalid_grant")["error_description"] == "incorrect code_verifier"
    assert wrong.headers["cache-control"] == "no-store"
    rejected = [e for e in await audit_events(api, tokens) if e["event_type"] == "mcp_oauth_rejected"]
    assert rejected[0]["details"] == {
        "reason": "pkce_mismatch",
        "endpoint": "token",
        "error": "invalid_grant",
        "client_id": client["client_id"],
    }

    issued = await exchange(api, client, code, verifier)  # the refusal did not spend the code
    assert issued.status_code == 200, issued.text
    grant = issued.json()
    assert grant["token_type"] == "Bearer" and grant["scope"] == "read" and grant["expires_in"] == 3600

    replay = await exchange(api, client, code, verifier)  # single use; a replay revokes what it gave
    oauth_error(replay, 400, "invalid_grant")
    oauth_error(await refresh(api, client, grant["refresh_token"]), 400, "invalid_grant")
    reasons = [
        e["details"]["reason"] for e in await audit_events(api, tokens) if e["event_type"] == "mcp_oauth_rejected"
    ]
    assert reasons == ["refresh_token_revoked", "code_reused", "pkce_mismatch"]  # newest first, each once


async def test_a_revoked_refresh_token_stops_working(system, api) -> None:
    tokens, (apollo,) = await person_with_projects(api, "Apollo")
    client = await register(api)
    verifier, challenge = pkce()
    first = (await exchange(api, client, await code_for(system, tokens, client, challenge), verifier)).json()
    second = await refresh(api, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]

    async def tools(access_token: str) -> httpx2.Response:
        return await api.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json, text/event-stream"},
        )

    assert (await tools(second["access_token"])).status_code != 401

    revoked = await api.post("/revoke", data={"token": second["refresh_token"], "client_id": client["client_id"]})
    assert revoked.status_code == 200, revoked.text
    oauth_error(await refresh(api, client, second["refresh_token"]), 400, "invalid_grant")
    assert (await tools(second["access_token"])).status_code == 401  # the family's access tokens end too

    events = await audit_events(api, tokens)
    assert "mcp_oauth_revoked" in [e["event_type"] for e in events]
    assert any(e["details"].get("reason") == "refresh_token_revoked" for e in events)
    assert apollo["id"]


async def test_the_consent_page_refuses_tampering_and_can_be_declined(system, api) -> None:
    tokens, _ = await person_with_projects(api, "Apollo")
    client = await register(api)
    _, challenge = pkce()
    browser = Browser(system.base_url, tokens["email"])
    denied = parse_qs(urlsplit(await browser.consent(authorize_url(system, client, challenge), "deny")).query)
    assert denied["error"] == ["access_denied"] and denied["state"] == ["xyz"] and "code" not in denied

    async with httpx2.AsyncClient(base_url=system.base_url, timeout=30) as web:
        consent = (await web.get(authorize_url(system, client, challenge))).headers["location"]
        request = parse_qs(urlsplit(consent).query)["request"][0]
        forged = await web.post(
            "/oauth/consent",
            data={"request": request[:-3] + "abc", "action": "sign_in", "email": tokens["email"], "password": PASSWORD},
        )
        assert forged.status_code == 400
        cross_site = await web.post(
            "/oauth/consent", data={"request": request, "action": "approve"}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        unsigned = await web.post(
            "/oauth/consent",
            data={"request": request, "action": "approve", "consent": "x", "project_id": str(uuid.uuid4())},
        )
        assert unsigned.status_code == 400 and "sign in again" in unsigned.text
        wrong = await web.post(
            "/oauth/consent",
            data={"request": request, "action": "sign_in", "email": tokens["email"], "password": "nope"},
        )
        assert wrong.status_code == 401 and "wrong" in wrong.text
        # A person already signed in to Aira may present their access token instead of a password.
        with_token = await web.post(
            "/oauth/consent", data={"request": request, "action": "sign_in", "access_token": tokens["access_token"]}
        )
        assert with_token.status_code == 200 and "Apollo" in with_token.text and hidden(with_token.text, "consent")


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/mcp/extra", "/authorize/x"])
async def test_other_paths_stay_problem_documents(api, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
