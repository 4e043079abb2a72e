"""The consent page (``/oauth/consent``) and the signed values it carries.

Between ``/authorize`` and the client's redirect URI the person signs in, picks one of their
projects and the scopes, and approves or denies. The pending request travels signed (so nothing is
stored before consent), and the form that approves carries a second signed, short-lived value
tying the signed-in person to that request.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from mcp.server.auth.provider import OAuthAuthorizationServerProvider, construct_redirect_uri
from mcp.shared.auth import OAuthClientInformationFull
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, mcp_oauth_pb2, projects_pb2
from gateway.auth import Caller
from gateway.deps import GatewayState
from gateway.problems import ApiProblem
from services.chassis import keys as keyfiles

CONSENT_PATH = "/oauth/consent"
CONSENT_TTL_SECONDS = 600
MAX_PROJECTS_SHOWN = 200
REQUEST_AUDIENCE = "aira-mcp-authorize"  # the pending authorization request, sealed by the provider
_CONSENT_AUDIENCE = "aira-mcp-consent"


# --- signed values for the consent page ----------------------------------------------------


class ConsentSigner:
    """Short-lived HMAC-signed values, under a key derived from the gateway's own signing key.

    The gateway holds no secret key of its own (deploy/k8s mounts only its principal-signing
    key), so the consent key is an HMAC of that key's bytes for this one purpose: it cannot be
    used to make principal tokens, and every replica derives the same one.
    """

    def __init__(self, key: bytes, ttl_seconds: int = CONSENT_TTL_SECONDS) -> None:
        self._key = key
        self._ttl = ttl_seconds

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> ConsentSigner:
        private = keyfiles.load_private_key(keys_dir, keyfiles.PRINCIPAL_SIGNING)
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return cls(hmac.new(raw, b"aira-mcp-consent-v1", hashlib.sha256).digest())

    def seal(self, audience: str, claims: dict[str, Any]) -> str:
        now = int(time.time())
        return jwt.encode({**claims, "aud": audience, "iat": now, "exp": now + self._ttl}, self._key, algorithm="HS256")

    def open(self, audience: str, token: str) -> dict[str, Any] | None:
        try:
            return jwt.decode(token, self._key, algorithms=["HS256"], audience=audience, options={"require": ["exp"]})
        except jwt.PyJWTError:
            return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- the consent page ----------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d2430}"
    "label{display:block;margin:.6rem 0}input[type=email],input[type=password]{width:100%;padding:.4rem}"
    "fieldset{border:1px solid #ccd;margin:1rem 0}button{margin:.8rem .6rem 0 0;padding:.5rem 1rem}"
    ".error{color:#a00}.muted{color:#667}code{word-break:break-all}"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Aira</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{html.escape(value, quote=True)}">'


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


class ConsentHost(Protocol):
    """What the consent page uses of the MCP endpoint (its signer and state exist once the gateway runs)."""

    public_origin: str
    consent: ConsentSigner

    @property
    def state(self) -> GatewayState: ...

    @property
    def provider(self) -> OAuthAuthorizationServerProvider[Any, Any, Any]: ...


class Consent:
    """``GET/POST /oauth/consent``: sign in, choose a project and scopes, approve or deny."""

    def __init__(self, endpoint: ConsentHost) -> None:
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if request.method == "POST" and origin not in (None, "null", self._endpoint.public_origin):
            return _page("Request refused", "<p>This form can only be sent from Aira's own page.</p>", 403)
        form = await request.form() if request.method == "POST" else request.query_params
        raw = str(form.get("request") or "")
        pending = self._endpoint.consent.open(REQUEST_AUDIENCE, raw) if raw else None
        if pending is None:
            return _page(
                "This link has expired",
                "<p>The authorization request is not valid or has expired. Start again from your MCP client.</p>",
                400,
            )
        client = await self._endpoint.provider.get_client(str(pending["cid"]))
        if client is None:
            return _page("Unknown application", "<p>The application asking for access is not registered.</p>", 400)
        action = str(form.get("action") or "") if request.method == "POST" else ""
        if action == "deny":
            return self._back(pending, error="access_denied", error_description="the person declined")
        if action == "sign_in":
            return await self._sign_in(raw, pending, client, form)
        if action == "approve":
            return await self._approve(raw, pending, client, form)
        return self._sign_in_page(raw, client)

    # --- steps ---------------------------------------------------------------------------

    def _intro(self, client: OAuthClientInformationFull, pending_redirect: str | None = None) -> str:
        name = html.escape(client.client_name or "An MCP application")
        target = urlsplit(pending_redirect or str((client.redirect_uris or [""])[0]))
        where = html.escape(f"{target.scheme}://{target.netloc}" if target.netloc else target.scheme)
        return (
            f"<p><strong>{name}</strong> wants to use Aira on your behalf, in one project you choose. "
            f'It will get its answer at <code>{where}</code>.</p><p class="muted">Client id '
            f"<code>{html.escape(client.client_id)}</code></p>"
        )

    def _sign_in_page(
        self, raw: str, client: OAuthClientInformationFull, error: str | None = None, status: int = 200
    ) -> Response:
        body = (
            f"{self._intro(client)}{_error(error)}"
            f'<form method="post" action="{CONSENT_PATH}">{_hidden("request", raw)}'
            '<label>Email <input type="email" name="email" autocomplete="username" required></label>'
            '<label>Password <input type="password" name="password" autocomplete="current-password" required></label>'
            '<button type="submit" name="action" value="sign_in">Sign in</button>'
            '<button type="submit" name="action" value="deny" formnovalidate>Cancel</button></form>'
        )
        return _page("Sign in to connect", body, status)

    async def _sign_in(self, raw: str, pending: dict, client: OAuthClientInformationFull, form: Any) -> Response:
        state = self._endpoint.state
        access_token = str(form.get("access_token") or "")
        try:
            if access_token:
                who = await state.tokens.verify(access_token)
            else:
                pair = await state.clients.accounts.Login(
                    accounts_pb2.LoginRequest(
                        email=str(form.get("email") or ""), password=str(form.get("password") or "")
                    ),
                    metadata=state.principals.metadata(None),
                )
                who = Caller(user_id=pair.user.id, email=pair.user.email)
                # Only the person's identity is needed here: end the session the login opened.
                await state.clients.accounts.Logout(
                    accounts_pb2.LogoutRequest(refresh_token=pair.refresh_token),
                    metadata=state.principals.metadata(None),
                )
        except ApiProblem as exc:
            return self._sign_in_page(raw, client, exc.detail, exc.status)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                return self._sign_in_page(raw, client, "Too many attempts; wait a few minutes and try again.", 429)
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INVALID_ARGUMENT):
                return self._sign_in_page(raw, client, exc.details() or "Email or password is wrong.", 401)
            raise
        signed_in = self._endpoint.consent.seal(
            _CONSENT_AUDIENCE, {"sub": who.user_id, "email": who.email, "req": _digest(raw)}
        )
        return await self._choose_page(raw, signed_in, who, pending, client)

    async def _choose_page(
        self,
        raw: str,
        signed_in: str,
        who: Caller,
        pending: dict,
        client: OAuthClientInformationFull,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        state = self._endpoint.state
        reply = await state.clients.projects.ListProjects(
            projects_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=MAX_PROJECTS_SHOWN)),
            metadata=state.principals.metadata(who),
        )
        hidden = _hidden("request", raw) + _hidden("consent", signed_in)
        if not reply.items:
            body = (
                f"{self._intro(client, pending['ru'])}<p>You are not a member of any project yet. "
                "Create one in Aira, then connect again.</p>"
                f'<form method="post" action="{CONSENT_PATH}">{hidden}'
                '<button type="submit" name="action" value="deny">Close</button></form>'
            )
            return _page("No project to connect", body, status)
        choices = "".join(
            f'<label><input type="radio" name="project_id" value="{html.escape(p.id, quote=True)}" required'
            f"{' checked' if i == 0 else ''}> {html.escape(p.name)} "
            f'<span class="muted">({html.escape(p.role.replace("_", " "))})</span></label>'
            for i, p in enumerate(reply.items)
        )
        requested = pending.get("scp") or ["read"]
        write = (
            '<label><input type="checkbox" name="scope" value="write"> Write: change tasks, plans and sources '
            '<span class="muted">(members and above)</span></label>'
            if "write" in requested
            else ""
        )
        body = (
            f"{self._intro(client, pending['ru'])}<p>Signed in as <strong>{html.escape(who.email)}</strong>.</p>"
            f'{_error(error)}<form method="post" action="{CONSENT_PATH}">{hidden}'
            f"<fieldset><legend>Project it may use (exactly one)</legend>{choices}</fieldset>"
            '<fieldset><legend>What it may do</legend><label><input type="checkbox" checked disabled> '
            f"Read everything in that project</label>{write}</fieldset>"
            '<button type="submit" name="action" value="approve">Allow</button>'
            '<button type="submit" name="action" value="deny" formnovalidate>Deny</button></form>'
        )
        return _page("Allow access to Aira?", body, status)

    async def _approve(self, raw: str, pending: dict, client: OAuthClientInformationFull, form: Any) -> Response:
        signed_in = str(form.get("consent") or "")
        person = self._endpoint.consent.open(_CONSENT_AUDIENCE, signed_in) if signed_in else None
        if person is None or not hmac.compare_digest(str(person.get("req", "")), _digest(raw)):
            return self._sign_in_page(raw, client, "Your sign-in for this request has expired; sign in again.", 400)
        who = Caller(user_id=str(person["sub"]), email=str(person.get("email", "")))
        requested = pending.get("scp") or ["read"]
        chosen = set(form.getlist("scope"))
        scopes = ["read"] + (["write"] if "write" in chosen and "write" in requested else [])
        state = self._endpoint.state
        try:
            created = await state.clients.mcp_oauth.CreateAuthorizationCode(
                mcp_oauth_pb2.CreateMcpAuthorizationCodeRequest(
                    client_id=client.client_id,
                    project_id=str(form.get("project_id") or ""),
                    redirect_uri=str(pending["ru"]),
                    redirect_uri_provided_explicitly=bool(pending["rue"]),
                    code_challenge=str(pending["cc"]),
                    scopes=scopes,
                    resource=str(pending.get("rsc") or ""),
                ),
                metadata=state.principals.metadata(who),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
                message = (
                    exc.details() if exc.code() == grpc.StatusCode.PERMISSION_DENIED else "Choose one of your projects."
                )
                status = 403 if exc.code() == grpc.StatusCode.PERMISSION_DENIED else 404
                return await self._choose_page(raw, signed_in, who, pending, client, message, status)
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return _page("Request refused", f"<p>{html.escape(exc.details() or 'not valid')}</p>", 400)
            raise
        return self._back(pending, code=created.code)

    @staticmethod
    def _back(pending: dict, **params: str) -> Response:
        """To the client's redirect URI (registered, checked by the SDK and again by identity)."""
        location = construct_redirect_uri(str(pending["ru"]), **params, state=pending.get("st"))
        return RedirectResponse(location, status_code=303, headers=_HEADERS)
