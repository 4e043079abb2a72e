"""Who is calling: access-token verification with identity's published keys, and principals.

Access tokens are checked locally against identity's JWKS (fetched over gRPC, cached, refetched
when an unknown key id appears), so no request pays a round trip to identity for
authentication. Verified tokens are remembered until they expire. For each call to a service the
gateway mints a short-lived principal token naming the user, and for project routes their role,
which it looks up from identity and caches for a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
import jwt
import orjson

from gateway.problems import ApiProblem
from services.chassis.principal import METADATA_KEY, Principal, PrincipalSigner

log = logging.getLogger(__name__)

ISSUER = "aira-identity"
AUDIENCE = "aira"
_MIN_REFETCH_SECONDS = 10.0
_VERIFIED_CACHE_SIZE = 10_000


def unauthorized(detail: str, slug: str = "unauthenticated") -> ApiProblem:
    return ApiProblem(401, slug, detail, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Caller:
    """A person whose access token checked out."""

    user_id: str
    email: str


class AccessTokenVerifier:
    """Verifies access JWTs with the keys identity publishes."""

    def __init__(self, fetch_jwks: Callable[[], Awaitable[str]], refresh_seconds: float = 300.0) -> None:
        self._fetch = fetch_jwks
        self._refresh_seconds = refresh_seconds
        self._keys: dict[str, object] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (age < _MIN_REFETCH_SECONDS or (not force and age < self._refresh_seconds)):
                return
            document = orjson.loads(await self._fetch())
            self._keys = {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in document.get("keys", []) if "kid" in jwk}
            self._fetched_at = time.monotonic()

    async def _key(self, kid: str | None) -> object:
        if not kid:
            raise unauthorized("access token has no key id", "invalid-token")
        try:
            await self._refresh(force=False)
            if kid not in self._keys:
                await self._refresh(force=True)
        except grpc.aio.AioRpcError as exc:
            if not self._keys:
                raise ApiProblem(
                    503, "unavailable", "cannot check tokens right now", headers={"Retry-After": "1"}
                ) from exc
            log.warning("could not refresh signing keys: %s", exc.code().name)
        if kid not in self._keys:
            raise unauthorized("access token signed by an unknown key", "invalid-token")
        return self._keys[kid]

    async def verify(self, token: str) -> Caller:
        """The caller the token names; 401 problem when it is forged, expired or not an access token."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("access token is malformed", "invalid-token") from exc
        key = await self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("access token has expired", "token-expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized(f"access token is not valid: {exc}", "invalid-token") from exc
        if claims.get("typ") != "access":
            raise unauthorized("not an access token", "invalid-token")
        caller = Caller(user_id=str(claims["sub"]), email=str(claims.get("email", "")))
        self._verified[token] = (caller, float(claims["exp"]))
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return caller


class Principals:
    """Mints the principal tokens the gateway sends to services."""

    def __init__(self, signer: PrincipalSigner) -> None:
        self._signer = signer

    def metadata(
        self, caller: Caller | None, *, project_id: str | None = None, role: str | None = None
    ) -> tuple[tuple[str, str], ...]:
        """gRPC metadata carrying a principal for ``caller`` (anonymous when None)."""
        if caller is None:
            principal = Principal.anonymous()
        else:
            principal = Principal(subject=caller.user_id, kind="user", project_id=project_id, role=role)
        return ((METADATA_KEY, self._signer.mint(principal)),)


class AccessCache:
    """Remembers users' project roles for a few seconds; misses ask identity."""

    def __init__(self, ttl_seconds: float, max_entries: int = 50_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def get(self, user_id: str, project_id: str) -> str | None:
        entry = self._entries.get((user_id, project_id))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, user_id: str, project_id: str, role: str) -> None:
        self._entries[(user_id, project_id)] = (role, time.monotonic() + self._ttl)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
