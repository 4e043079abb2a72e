"""The OAuth 2.1 authorization server behind the SDK's endpoints, backed by identity.

The provider keeps nothing: it stores and decides through identity's ``McpOAuth`` contract
(docs/decisions/0007-mcp-oauth.md). Access tokens are checked locally with identity's JWKS, and
the grant behind them is asked of identity every few seconds.

The SDK's OAuth endpoints answer in OAuth's own error format (RFC 6749 §5.2), which is what MCP
clients expect; every refusal they answer is also reported to identity's security log
(:class:`OAuthRefusals`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import grpc
import jwt
import orjson
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
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aira.identity.v1 import mcp_oauth_pb2
from gateway.auth import ISSUER, AccessTokenVerifier, Caller, ExpiringCache, decode_identity_jwt
from gateway.deps import GatewayState
from gateway.mcp.consent import CONSENT_PATH, REQUEST_AUDIENCE, ConsentSigner
from gateway.problems import ApiProblem, problem_response

AUDIENCE = "aira-mcp"
TOKEN_TYPE = "mcp_access"
ACCESS_TOKEN_LIFETIME_SECONDS = 3600  # identity's (mcp_oauth.ACCESS_TTL); bounds what a replica remembers
_MAX_CAPTURED_BODY = 16 * 1024
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
            key = await self.signing_key(jwt.get_unverified_header(token).get("kid"))
            claims = decode_identity_jwt(token, key, AUDIENCE)
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


class KeysFirst:
    """``/mcp`` checks tokens with identity's published keys. While identity cannot be reached and
    none are known yet, answer 503 (problem+json, Retry-After) here: inside the SDK the failure
    would surface as its generic 500, and a client would not know to simply try again."""

    def __init__(self, app: ASGIApp, verifier: McpTokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == "/mcp":
            try:
                await self.verifier.ensure_keys()
            except ApiProblem as exc:
                response = problem_response(exc.status, exc.slug, exc.detail, instance="/mcp", headers=exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


class ProviderHost(Protocol):
    """What the provider uses of the MCP endpoint (its signer and state exist once the gateway runs)."""

    public_url: str
    resource_url: str
    verifier: McpTokenVerifier
    consent: ConsentSigner

    @property
    def state(self) -> GatewayState: ...


class AiraOAuthProvider(OAuthAuthorizationServerProvider[AuthorizationCode, McpRefreshToken, McpAccessToken]):
    def __init__(self, endpoint: ProviderHost) -> None:
        self._endpoint = endpoint
        self._grants: ExpiringCache[str, McpAccessToken] = ExpiringCache()
        # Families revoked through this replica: refused here at once, elsewhere within the grant cache's life.
        self._revoked: ExpiringCache[str, bool] = ExpiringCache()

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
        request = self._endpoint.consent.seal(REQUEST_AUDIENCE, pending)
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
