"""Who is calling: access tokens checked locally with identity's keys, API keys checked by identity.

Access tokens are verified against identity's JWKS (fetched over gRPC, cached, refetched when an
unknown key id appears), so no request pays a round trip to identity for authentication; verified
tokens are remembered until they expire. API keys (``aira_k_…``, as ``X-API-Key`` or Bearer) are
resolved by identity and remembered for a short while. Refusals of forged or expired tokens are
reported to identity's security log in the background.

For each call to a service the gateway mints (or reuses) a principal token naming the caller and,
for project routes, their role, which it looks up from identity and caches for a few seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import grpc
import jwt
import orjson

from gateway.problems import ApiProblem
from services.chassis.principal import METADATA_KEY, Principal, PrincipalSigner

log = logging.getLogger(__name__)

ISSUER = "aira-identity"
AUDIENCE = "aira"
API_KEY_PREFIX = "aira_k_"
_MIN_REFETCH_SECONDS = 10.0
_CACHE_SIZE = 10_000


def unauthorized(detail: str, slug: str = "unauthenticated") -> ApiProblem:
    return ApiProblem(401, slug, detail, headers={"WWW-Authenticate": "Bearer"})


def decode_identity_jwt(token: str, key: object, audience: str) -> dict[str, Any]:
    """The claims of a JWT identity signed with ``key`` for ``audience``; a ``jwt.PyJWTError`` when it is not one."""
    return jwt.decode(
        token,
        key,  # type: ignore[arg-type]
        algorithms=["EdDSA"],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )


@dataclass(frozen=True)
class Caller:
    """A person (access token) or a person's API key, as authenticated by the gateway."""

    user_id: str
    email: str = ""
    kind: str = "user"  # or "api_key", or "mcp" (an MCP client's OAuth grant)
    project_id: str | None = None  # the project an API key or MCP grant is bound to
    role: str | None = None  # the key creator's (or grant's person's) role there
    scopes: tuple[str, ...] = field(default_factory=tuple)


K = TypeVar("K")
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """A bounded map whose entries expire."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K, now: float) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def put(self, key: K, value: V, expires: float) -> None:
        self._entries[key] = (value, expires)
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


def _keys_unavailable() -> ApiProblem:
    return ApiProblem(503, "unavailable", "cannot check tokens right now", headers={"Retry-After": "1"})


class AccessTokenVerifier:
    """Verifies access JWTs with the keys identity publishes."""

    def __init__(
        self,
        fetch_jwks: Callable[[], Awaitable[str]],
        refresh_seconds: float = 300.0,
        report: Callable[[str, str, dict], None] | None = None,
        session_open: Callable[[str], Awaitable[bool]] | None = None,
        session_check_seconds: float = 15.0,
    ) -> None:
        self._fetch = fetch_jwks
        self._refresh_seconds = refresh_seconds
        self._report = report or (lambda *_: None)
        self._keys: dict[str, object] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._verified: ExpiringCache[str, tuple[Caller, str | None]] = ExpiringCache()
        self._session_open = session_open
        self._session_check_seconds = session_check_seconds
        self._sessions: ExpiringCache[str, bool] = ExpiringCache()

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (age < _MIN_REFETCH_SECONDS or (not force and age < self._refresh_seconds)):
                return
            document = orjson.loads(await self._fetch())
            self._keys = {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in document.get("keys", []) if "kid" in jwk}
            self._fetched_at = time.monotonic()

    async def ensure_keys(self) -> None:
        """Fetch identity's published keys unless some are known; a 503 problem when it cannot be reached."""
        if self._keys:
            return
        try:
            await self._refresh(force=False)
        except grpc.aio.AioRpcError as exc:
            raise _keys_unavailable() from exc

    async def signing_key(self, kid: str | None) -> object:
        """Identity's public key ``kid``, refetching the published keys when it is unknown; else a 401 problem.

        503 problem when identity cannot be reached and no keys are known yet.
        """
        if not kid:
            raise unauthorized("access token has no key id", "invalid-token")
        try:
            await self._refresh(force=False)
            if kid not in self._keys:
                await self._refresh(force=True)
        except grpc.aio.AioRpcError as exc:
            if not self._keys:
                raise _keys_unavailable() from exc
            log.warning("could not refresh signing keys: %s", exc.code().name)
        if kid not in self._keys:
            raise unauthorized("access token signed by an unknown key", "invalid-token")
        return self._keys[kid]

    def _refuse(self, token: str, slug: str, detail: str) -> ApiProblem:
        try:
            claimed = str(jwt.decode(token, options={"verify_signature": False}).get("sub", ""))
        except jwt.PyJWTError:
            claimed = ""
        self._report("access_token_rejected", claimed, {"reason": slug})
        return unauthorized(detail, slug)

    async def verify(self, token: str) -> Caller:
        """The caller the token names; 401 problem when it is forged, expired, not an access token or
        of a session that has ended."""
        verified = self._verified.get(token, time.time()) or await self._decode(token)
        caller, session_id = verified
        if session_id is not None and not await self._open(session_id):
            raise self._refuse(token, "session-ended", "this session has ended; sign in again")
        return caller

    async def _open(self, session_id: str) -> bool:
        """Whether the session is open, as identity said at most ``session_check_seconds`` ago. While
        identity cannot be reached the token's own expiry is the limit (logged)."""
        if self._session_open is None:
            return True
        now = time.monotonic()
        if (known := self._sessions.get(session_id, now)) is not None:
            return known
        try:
            is_open = await self._session_open(session_id)
        except grpc.aio.AioRpcError as exc:
            log.warning("could not check a session, trusting its token until it expires: %s", exc.code().name)
            return True
        # An ended session never reopens: remember that for as long as its tokens may live.
        self._sessions.put(session_id, is_open, now + (self._session_check_seconds if is_open else 3600.0))
        return is_open

    async def _decode(self, token: str) -> tuple[Caller, str | None]:
        """Check the token's signature and claims: the caller and its session id."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("access token is malformed", "invalid-token") from exc
        key = await self.signing_key(header.get("kid"))
        try:
            claims = decode_identity_jwt(token, key, AUDIENCE)
        except jwt.ExpiredSignatureError as exc:
            raise self._refuse(token, "token-expired", "access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise self._refuse(token, "invalid-token", f"access token is not valid: {exc}") from exc
        if claims.get("typ") != "access":
            raise self._refuse(token, "invalid-token", "not an access token")
        caller = Caller(user_id=str(claims["sub"]), email=str(claims.get("email", "")))
        verified = (caller, str(claims["sid"]) if claims.get("sid") else None)
        self._verified.put(token, verified, float(claims["exp"]))
        return verified


class ApiKeyVerifier:
    """Resolves API keys through identity; answers are kept briefly, keyed by the key's hash."""

    def __init__(self, authenticate: Callable[[str], Awaitable[Caller]], cache_seconds: float = 30.0) -> None:
        self._authenticate = authenticate
        self._cache_seconds = cache_seconds
        self._known: ExpiringCache[str, Caller] = ExpiringCache()

    async def verify(self, secret: str) -> Caller:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = time.monotonic()
        if (cached := self._known.get(digest, now)) is not None:
            return cached
        caller = await self._authenticate(secret)
        self._known.put(digest, caller, now + self._cache_seconds)
        return caller


class Principals:
    """Mints the principal tokens the gateway sends to services."""

    GATEWAY = Principal(subject="gateway", kind="service")

    def __init__(self, signer: PrincipalSigner) -> None:
        self._signer = signer

    def metadata(
        self,
        caller: Caller | None,
        *,
        project_id: str | None = None,
        role: str | None = None,
        scopes: tuple[str, ...] = (),
        lasting: float = 0.0,
    ) -> tuple[tuple[str, str], ...]:
        """gRPC metadata carrying a principal for ``caller`` (anonymous when None).

        ``scopes`` on a person's principal are what the gateway vouches for beyond a project role
        (``platform_admin``, see gateway/routes/audit.py); a key's scopes are the key's own.
        ``lasting``: the token must stay valid this many seconds (a long call's deadline).
        """
        if caller is None:
            principal = Principal.anonymous()
        elif caller.kind in ("api_key", "mcp"):
            principal = Principal(
                subject=caller.user_id,
                kind=caller.kind,
                project_id=caller.project_id,
                role=caller.role,
                scopes=caller.scopes,
            )
        else:
            principal = Principal(subject=caller.user_id, kind="user", project_id=project_id, role=role, scopes=scopes)
        return ((METADATA_KEY, self._signer.mint(principal, lasting=lasting)),)

    def gateway(self) -> tuple[tuple[str, str], ...]:
        """Metadata for the gateway's own calls (key checks, security reports)."""
        return ((METADATA_KEY, self._signer.mint(self.GATEWAY)),)


class AccessCache:
    """Remembers users' project roles for a few seconds; misses ask identity."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._entries: ExpiringCache[tuple[str, str], str] = ExpiringCache(50_000)

    def get(self, user_id: str, project_id: str) -> str | None:
        return self._entries.get((user_id, project_id), time.monotonic())

    def put(self, user_id: str, project_id: str, role: str) -> None:
        self._entries.put((user_id, project_id), role, time.monotonic() + self._ttl)
