"""The MCP endpoint (``/mcp``, streamable HTTP) and the OAuth 2.1 authorization server in front of it.

Built on the official ``mcp`` SDK: ``MCPServer`` with an ``auth_server_provider`` serves the
authorization-server metadata (RFC 8414), the protected-resource metadata (RFC 9728), dynamic
client registration (RFC 7591), ``/authorize``, ``/token`` (authorization code with PKCE S256,
refresh) and ``/revoke``, and checks bearer tokens on ``/mcp``. The provider here keeps nothing:
it stores and decides through identity's ``McpOAuth`` contract (docs/decisions/0007-mcp-oauth.md).

Between ``/authorize`` and the client's redirect URI sits the consent page (``/oauth/consent``):
the person signs in, picks one of their projects and the scopes, and approves or denies. The
pending request travels signed (so nothing is stored before consent), and the form that approves
carries a second signed, short-lived value tying the signed-in person to that request.

The SDK's OAuth endpoints answer in OAuth's own error format (RFC 6749 §5.2), which is what MCP
clients expect; every refusal they answer is also reported to identity's security log.

Tools act as an ``mcp`` principal: the grant's person, its one project, their current role there
and the granted scopes. Later domains register their tools on :attr:`McpEndpoint.server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import grpc
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.routes import validate_issuer_url
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyHttpUrl, AnyUrl, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, mcp_oauth_pb2, projects_pb2
from gateway.auth import ISSUER, AccessTokenVerifier, Caller, _ExpiringCache
from gateway.deps import GatewayState
from gateway.problems import ApiProblem
from gateway.settings import GatewaySettings
from services.chassis import keys as keyfiles
from services.chassis.service import version

log = logging.getLogger(__name__)

SCOPES = ("read", "write")  # identity's MCP scopes; the same names as API key scopes
AUDIENCE = "aira-mcp"
TOKEN_TYPE = "mcp_access"
CONSENT_PATH = "/oauth/consent"
CONSENT_TTL_SECONDS = 600
MAX_PROJECTS_SHOWN = 200
ACCESS_TOKEN_LIFETIME_SECONDS = 3600  # identity's (mcp_oauth.ACCESS_TTL); bounds what a replica remembers
_REQUEST_AUDIENCE = "aira-mcp-authorize"
_CONSENT_AUDIENCE = "aira-mcp-consent"
_MAX_CAPTURED_BODY = 16 * 1024
_REPORTS_PER_SECOND = 10
_OAUTH_ENDPOINTS = {"/authorize": "authorize", "/token": "token", "/register": "register", "/revoke": "revoke"}


# --- grants --------------------------------------------------------------------------------


class McpAccessToken(AccessToken):
    """A verified MCP access token and the grant behind it (the person's role as of seconds ago)."""

    user_id: str
    project_id: str
    role: str
    family_id: str

    def caller(self) -> Caller:
        return Caller(
            user_id=self.user_id,
            kind="mcp",
            project_id=self.project_id,
            role=self.role,
            scopes=tuple(self.scopes),
        )


class McpTokenVerifier(AccessTokenVerifier):
    """Checks MCP access JWTs locally with identity's JWKS, as API access tokens are checked."""

    async def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a live MCP access token signed by identity, else None."""
        try:
            key = await self._key(jwt.get_unverified_header(token).get("kid"))
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        except ApiProblem as exc:
            if exc.status >= 500:
                raise
            return None
        return claims if claims.get("typ") == TOKEN_TYPE else None


class McpRefreshToken(RefreshToken):
    family_id: str


# --- refusals reach the security log -------------------------------------------------------

# Set for the duration of one OAuth endpoint request; the provider marks refusals identity logged.
_refusal: ContextVar[dict[str, bool] | None] = ContextVar("mcp_oauth_refusal", default=None)

# (endpoint, words in the SDK's error_description, stable reason)
_REASONS = (
    ("authorize", "not registered for client", "redirect_uri_not_registered"),
    ("authorize", "redirect_uri must be specified", "redirect_uri_missing"),
    ("authorize", "not found", "unknown_client"),
    ("authorize", "code_challenge_method", "pkce_method_unsupported"),
    ("authorize", "code_challenge", "pkce_missing"),
    ("token", "incorrect code_verifier", "pkce_mismatch"),
    ("token", "authorization code does not exist", "unknown_code"),
    ("token", "authorization code has expired", "code_expired"),
    ("token", "redirect_uri did not match", "redirect_uri_mismatch"),
    ("token", "refresh token does not exist", "unknown_refresh_token"),
    ("token", "refresh token has expired", "refresh_token_expired"),
    ("token", "cannot request scope", "scope_exceeds_grant"),
)


def _reason(endpoint: str, error: str, description: str) -> str:
    for where, words, reason in _REASONS:
        if where == endpoint and words in description:
            return reason
    return error or "refused"


def _mark_logged() -> None:
    """Identity already logged this refusal; the endpoint need not report it again."""
    if (flags := _refusal.get()) is not None:
        flags["logged"] = True


class OAuthRefusals:
    """Reports every refusal of the OAuth endpoints to identity before the client hears it.

    The SDK decides some refusals without asking the provider (a PKCE verifier that does not
    match, a redirect URI never registered, an unknown code); they would otherwise leave no
    trace. Error answers are small, so they are held until the report is written; successful
    answers pass straight through.
    """

    def __init__(self, app: ASGIApp, report: Callable[[mcp_oauth_pb2.McpRejection], Awaitable[None]]) -> None:
        self.app = app
        self._report = report

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = _OAUTH_ENDPOINTS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        held: list[Message] = []
        refused = False
        flags: dict[str, bool] = {}
        token = _refusal.set(flags)

        async def capture() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < _MAX_CAPTURED_BODY:
                body.extend(message.get("body", b"")[: _MAX_CAPTURED_BODY - len(body)])
            return message

        async def watch(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                refused = _is_refusal(endpoint, message)
            if not refused:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                if not flags.get("logged"):
                    await self._report(_rejection(endpoint, scope, bytes(body), held))
                for pending in held:
                    await send(pending)
                held.clear()

        try:
            await self.app(scope, capture, watch)
        finally:
            _refusal.reset(token)


class PublicClientRevocation:
    """Lets public clients revoke as RFC 7009 §2.1 says they may: with a client_id and no secret.

    The SDK's revocation form requires a ``client_secret`` field to be present (empty is fine for a
    public client; a confidential client still has to send its real one), so one is added when the
    body has none.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/revoke" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                break
        with contextlib.suppress(UnicodeDecodeError):
            if "client_secret" not in dict(parse_qsl(body.decode(), keep_blank_values=True)):
                body.extend(b"&client_secret=" if body else b"client_secret=")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, replay, send)


def _location(start: Message) -> str:
    for key, value in start.get("headers", ()):
        if key.lower() == b"location":
            return value.decode("latin-1")
    return ""


def _is_refusal(endpoint: str, start: Message) -> bool:
    status = start["status"]
    if status >= 400:
        return True
    # /authorize reports most errors to the client's redirect URI (RFC 6749 §4.1.2.1).
    return (
        endpoint == "authorize"
        and status in (302, 303)
        and "error" in dict(parse_qsl(urlsplit(_location(start)).query))
    )


def _rejection(endpoint: str, scope: Scope, body: bytes, held: list[Message]) -> mcp_oauth_pb2.McpRejection:
    start = held[0]
    answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    try:
        error = orjson.loads(answer) if answer else dict(parse_qsl(urlsplit(_location(start)).query))
    except orjson.JSONDecodeError:
        error = {}
    if not isinstance(error, dict):
        error = {}
    params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    if endpoint != "register":
        with contextlib.suppress(UnicodeDecodeError):
            params |= dict(parse_qsl(body.decode()))
    code = str(error.get("error", ""))
    credential = params.get("code") or params.get("refresh_token") or params.get("token") or ""
    return mcp_oauth_pb2.McpRejection(
        endpoint=endpoint,
        error=code,
        reason=_reason(endpoint, code, str(error.get("error_description", ""))),
        client_id=params.get("client_id", "")[:128],
        credential=credential[:512],
        redirect_uri=params.get("redirect_uri", "")[:2000] if endpoint == "authorize" else "",
    )


# --- the provider: the SDK's OAuth endpoints, backed by identity ---------------------------


class AiraOAuthProvider(OAuthAuthorizationServerProvider[AuthorizationCode, McpRefreshToken, McpAccessToken]):
    def __init__(self, endpoint: McpEndpoint) -> None:
        self._endpoint = endpoint
        self._grants: _ExpiringCache[str, McpAccessToken] = _ExpiringCache()
        # Families revoked through this replica: refused here at once, elsewhere within the grant cache's life.
        self._revoked: _ExpiringCache[str, bool] = _ExpiringCache()

    @property
    def _state(self) -> GatewayState:
        return self._endpoint.state

    def _gateway(self) -> tuple[tuple[str, str], ...]:
        return self._state.principals.gateway()

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        try:
            reply = await self._state.clients.mcp_oauth.GetClient(
                mcp_oauth_pb2.GetMcpClientRequest(client_id=client_id), metadata=self._gateway()
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return client_info(reply)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        try:
            reply = await self._state.clients.mcp_oauth.RegisterClient(
                mcp_oauth_pb2.RegisterMcpClientRequest(
                    client_id=client_info.client_id,
                    redirect_uris=[str(uri) for uri in client_info.redirect_uris or ()],
                    client_name=client_info.client_name or "",
                    scope=client_info.scope or "",
                    grant_types=list(client_info.grant_types),
                    token_endpoint_auth_method=client_info.token_endpoint_auth_method or "none",
                    metadata_json=client_info.model_dump_json(exclude={"client_secret"}, exclude_none=True),
                ),
                metadata=self._gateway(),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                _mark_logged()
                kind = "invalid_redirect_uri" if _slug(exc) == "invalid-redirect-uri" else "invalid_client_metadata"
                raise RegistrationError(kind, exc.details()) from exc
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise RegistrationError("invalid_client_metadata", "too many registrations; try again later") from exc
            raise
        # The SDK minted a random secret; identity derives its own (it stores only a hash), and the
        # registration response the SDK sends is this very object.
        client_info.client_secret = reply.client_secret or None
        client_info.scope = reply.scope or None

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        resource = self._endpoint.resource_url
        if params.resource and params.resource.rstrip("/") != resource.rstrip("/"):
            raise AuthorizeError("invalid_target", f"this server issues tokens for {resource} only")
        pending = {
            "cid": client.client_id,
            "ru": str(params.redirect_uri),
            "rue": params.redirect_uri_provided_explicitly,
            "cc": params.code_challenge,
            "st": params.state,
            "scp": params.scopes,
            "rsc": resource,
        }
        request = self._endpoint.consent.seal(_REQUEST_AUDIENCE, pending)
        return construct_redirect_uri(f"{self._endpoint.public_url}{CONSENT_PATH}", request=request)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        try:
            code = await self._state.clients.mcp_oauth.LoadAuthorizationCode(
                mcp_oauth_pb2.LoadMcpAuthorizationCodeRequest(client_id=client.client_id, code=authorization_code),
                metadata=self._gateway(),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return AuthorizationCode(
            code=authorization_code,
            scopes=list(code.scopes),
            expires_at=float(code.expires_at),
            client_id=code.client_id,
            code_challenge=code.code_challenge,
            redirect_uri=AnyUrl(code.redirect_uri),
            redirect_uri_provided_explicitly=code.redirect_uri_provided_explicitly,
            resource=code.resource or None,
            subject=code.user_id,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        return await self._exchange(
            self._state.clients.mcp_oauth.ExchangeAuthorizationCode(
                mcp_oauth_pb2.ExchangeMcpAuthorizationCodeRequest(
                    client_id=client.client_id, code=authorization_code.code
                ),
                metadata=self._gateway(),
            )
        )

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> McpRefreshToken | None:
        try:
            token = await self._state.clients.mcp_oauth.LoadRefreshToken(
                mcp_oauth_pb2.LoadMcpRefreshTokenRequest(client_id=client.client_id, refresh_token=refresh_token),
                metadata=self._gateway(),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return McpRefreshToken(
            token=refresh_token,
            client_id=token.client_id,
            scopes=list(token.scopes),
            expires_at=token.expires_at,
            resource=token.resource or None,
            subject=token.user_id,
            family_id=token.family_id,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: McpRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        return await self._exchange(
            self._state.clients.mcp_oauth.ExchangeRefreshToken(
                mcp_oauth_pb2.ExchangeMcpRefreshTokenRequest(
                    client_id=client.client_id, refresh_token=refresh_token.token, scopes=scopes
                ),
                metadata=self._gateway(),
            )
        )

    async def _exchange(self, call: Awaitable[mcp_oauth_pb2.McpTokens]) -> OAuthToken:
        try:
            tokens = await call
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                _mark_logged()
                raise TokenError("invalid_grant", exc.details()) from exc
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise TokenError("invalid_scope", exc.details()) from exc
            raise
        return OAuthToken(
            access_token=tokens.access_token,
            token_type="Bearer",
            expires_in=tokens.expires_in,
            scope=" ".join(tokens.scopes),
            refresh_token=tokens.refresh_token,
        )

    async def load_access_token(self, token: str) -> McpAccessToken | None:
        """Verified locally; the grant's liveness and the person's role are asked of identity every few seconds."""
        now = time.time()
        if (known := self._grants.get(token, now)) is not None:
            return None if self._revoked.get(known.family_id, now) else known
        claims = await self._endpoint.verifier.claims(token)
        if claims is None or self._revoked.get(str(claims.get("fam")), now):
            return None
        try:
            grant = await self._state.clients.mcp_oauth.LoadAccessToken(
                mcp_oauth_pb2.LoadMcpAccessTokenRequest(access_token=token), metadata=self._gateway()
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAUTHENTICATED):
                return None
            raise
        access = McpAccessToken(
            token=token,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            expires_at=grant.expires_at,
            resource=grant.resource or None,
            subject=grant.user_id,
            claims={"iss": ISSUER},
            user_id=grant.user_id,
            project_id=grant.project_id,
            role=grant.role,
            family_id=grant.family_id,
        )
        self._grants.put(token, access, min(now + self._state.settings.access_cache_seconds, grant.expires_at))
        return access

    async def revoke_token(self, token: McpAccessToken | McpRefreshToken) -> None:
        self._revoked.put(token.family_id, True, time.time() + ACCESS_TOKEN_LIFETIME_SECONDS)
        await self._state.clients.mcp_oauth.RevokeToken(
            mcp_oauth_pb2.RevokeMcpTokenRequest(client_id=token.client_id, token=token.token),
            metadata=self._gateway(),
        )


def _slug(exc: grpc.aio.AioRpcError) -> str:
    for key, value in exc.trailing_metadata() or ():
        if key == "aira-problem":
            with contextlib.suppress(orjson.JSONDecodeError):
                return str(orjson.loads(value).get("type", ""))
    return ""


def client_info(reply: mcp_oauth_pb2.McpClient) -> OAuthClientInformationFull:
    """The SDK's view of a registered client: the registration as received, with what identity decided."""
    data = orjson.loads(reply.metadata_json) if reply.metadata_json else {}
    data.update(
        client_id=reply.client_id,
        client_secret=reply.client_secret or None,
        client_id_issued_at=reply.client_id_issued_at or None,
        client_secret_expires_at=reply.client_secret_expires_at if reply.client_secret else None,
        redirect_uris=list(reply.redirect_uris),
        client_name=reply.client_name or None,
        scope=reply.scope or None,
        grant_types=list(reply.grant_types),
        token_endpoint_auth_method=reply.token_endpoint_auth_method,
    )
    return OAuthClientInformationFull.model_validate(data)


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


class Consent:
    """``GET/POST /oauth/consent``: sign in, choose a project and scopes, approve or deny."""

    def __init__(self, endpoint: McpEndpoint) -> None:
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if request.method == "POST" and origin not in (None, "null", self._endpoint.public_origin):
            return _page("Request refused", "<p>This form can only be sent from Aira's own page.</p>", 403)
        form = await request.form() if request.method == "POST" else request.query_params
        raw = str(form.get("request") or "")
        pending = self._endpoint.consent.open(_REQUEST_AUDIENCE, raw) if raw else None
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


# --- the endpoint --------------------------------------------------------------------------


class McpEndpoint:
    """The MCP server, its OAuth routes at the root of the gateway, the consent page and the tools."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.public_url = settings.public_base_url
        parts = urlsplit(self.public_url)
        self.public_origin = f"{parts.scheme}://{parts.netloc}"
        self.resource_url = f"{self.public_url}/mcp"
        self.enabled = _usable_issuer(self.public_url)
        self._state: GatewayState | None = None
        self._window, self._reports = 0, 0
        self.verifier = McpTokenVerifier(self._fetch_jwks, settings.jwks_refresh_seconds, report=lambda *_: None)
        self.provider = AiraOAuthProvider(self)
        self.consent: ConsentSigner  # keys are read when the gateway starts
        auth = (
            AuthSettings(
                # Strings, so a path-less issuer keeps its exact form (RFC 8414 compares issuers as strings).
                issuer_url=self.public_url,  # type: ignore[arg-type]
                resource_server_url=self.resource_url,  # type: ignore[arg-type]
                validate_token_resource=True,
                client_registration_options=ClientRegistrationOptions(
                    enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)
                ),
                revocation_options=RevocationOptions(enabled=True),
            )
            if self.enabled
            else None
        )
        self.server = MCPServer(
            name="aira",
            title="Aira",
            version=version(),
            instructions=(
                "Aira is an evidence-backed product-management platform. This connection acts for one "
                "person in the one project they chose when they connected it, with their role there."
            ),
            auth_server_provider=self.provider if self.enabled else None,
            auth=auth,
        )
        register_tools(self)
        self.app = self.server.streamable_http_app(
            streamable_http_path="/mcp",
            # Any gateway replica may answer any request: no session to pin a client to.
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=[parts.netloc, "127.0.0.1:*", "localhost:*", "[::1]:*"],
                allowed_origins=[self.public_origin, "http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
            ),
        )

    @property
    def state(self) -> GatewayState:
        if self._state is None:
            raise RuntimeError("the MCP endpoint is used before the gateway started")
        return self._state

    def install(self, app: FastAPI) -> None:
        """Route the SDK's paths (well-known metadata, OAuth endpoints, /mcp) and the consent page.

        Exact routes rather than a mount at "/": unknown paths stay the gateway's problem+json 404s.
        """
        if not self.enabled:
            log.warning("MCP is off: its issuer %s must be https (or a loopback address)", self.public_url)
            return
        audited = OAuthRefusals(PublicClientRevocation(self.app), self._report)
        for route in self.app.routes:
            if isinstance(route, Route):
                app.router.routes.append(Route(route.path, endpoint=audited, include_in_schema=False))
        app.add_route(CONSENT_PATH, Consent(self).handle, methods=["GET", "POST"], include_in_schema=False)

    @contextlib.asynccontextmanager
    async def serving(self, state: GatewayState) -> AsyncIterator[None]:
        """Run the SDK's session manager for the life of the gateway."""
        self._state = state
        self.consent = ConsentSigner.from_keys_dir(state.settings.keys_path)
        if not self.enabled:
            yield
            return
        async with self.server.session_manager.run():
            yield

    async def _fetch_jwks(self) -> str:
        reply = await self.state.clients.accounts.GetSigningKeys(
            accounts_pb2.GetSigningKeysRequest(), metadata=self.state.principals.metadata(None)
        )
        return reply.jwks_json

    async def _report(self, rejection: mcp_oauth_pb2.McpRejection) -> None:
        """Record a refusal (at most a few a second: a flood of bad requests is not a flood of writes)."""
        now = int(time.monotonic())
        if now != self._window:
            self._window, self._reports = now, 0
        if self._reports >= _REPORTS_PER_SECOND:
            return
        self._reports += 1
        try:
            await asyncio.wait_for(
                self.state.clients.mcp_oauth.RecordRejection(rejection, metadata=self.state.principals.gateway()), 2.0
            )
        except (grpc.aio.AioRpcError, TimeoutError) as exc:
            log.warning("could not record an MCP OAuth refusal: %s", exc)


def _usable_issuer(url: str) -> bool:
    try:
        validate_issuer_url(AnyHttpUrl(url))
    except (ValueError, ValidationError):
        return False
    return True


# --- tools ---------------------------------------------------------------------------------


def _grant(ctx: Context) -> McpAccessToken:
    token = get_access_token()
    if token is None:
        request = getattr(ctx.request_context, "request", None)
        user = request.scope.get("user") if request is not None else None
        token = getattr(user, "access_token", None)
    if not isinstance(token, McpAccessToken):
        raise ToolError("this connection is not authorized")
    return token


async def _call(call: Awaitable[Any]) -> Any:
    """A service call whose refusals become tool errors the model can read."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise ToolError("a service is unavailable; try again shortly") from exc
        if exc.code() in (
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.FAILED_PRECONDITION,
        ):
            raise ToolError(exc.details() or exc.code().name.lower()) from exc
        raise


def register_tools(endpoint: McpEndpoint) -> None:
    server = endpoint.server

    @server.tool(
        name="whoami",
        description="Who this connection acts as: the person, the one project it is bound to, "
        "their role there and the scopes they granted.",
    )
    async def whoami(ctx: Context) -> dict[str, Any]:
        grant = _grant(ctx)
        state = endpoint.state
        metadata = state.principals.metadata(grant.caller())
        me = await _call(state.clients.accounts.GetMe(accounts_pb2.GetMeRequest(), metadata=metadata))
        project = await _call(
            state.clients.projects.GetProject(projects_pb2.ProjectRef(project_id=grant.project_id), metadata=metadata)
        )
        return {
            "user": {"id": me.id, "email": me.email, "name": me.name},
            "project": {"id": project.id, "name": project.name, "role": project.role},
            "scopes": list(grant.scopes),
            "client_id": grant.client_id,
        }

    @server.tool(
        name="list_projects",
        description="The projects this connection can see: exactly the one it was granted.",
    )
    async def list_projects(ctx: Context) -> dict[str, Any]:
        grant = _grant(ctx)
        state = endpoint.state
        reply = await _call(
            state.clients.projects.ListProjects(
                projects_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=50)),
                metadata=state.principals.metadata(grant.caller()),
            )
        )
        return {
            "items": [
                {"id": p.id, "name": p.name, "description": p.description, "vision": p.vision, "role": p.role}
                for p in reply.items
            ]
        }
