"""Internal principal tokens: who is calling, for which project, in which role.

The gateway authenticates people and mints short-lived Ed25519-signed tokens for the calls it
makes; services verify them with the gateway's public key and never trust a bare user id. Tokens
travel in gRPC metadata under ``x-aira-principal`` and are forwarded on onward calls; the request
id travels beside them as ``x-request-id`` (see docs/decisions/0003-principal-tokens.md).
"""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.chassis import keys as keyfiles
from services.chassis.errors import Unauthenticated

METADATA_KEY = "x-aira-principal"
ISSUER = "aira-gateway"
AUDIENCE = "aira-internal"
DEFAULT_TTL_SECONDS = 120
# The longest a token may be asked to last (a long call's deadline).
MAX_LASTING_SECONDS = 900
KINDS = frozenset({"user", "api_key", "mcp", "service", "anonymous"})
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """The verified caller of one request."""

    subject: str
    kind: str
    project_id: str | None = None
    role: str | None = None
    scopes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user behind the call (people, their API keys and MCP grants), else None."""
        if self.kind in ("user", "api_key", "mcp"):
            return uuid.UUID(self.subject)
        return None

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(subject="anonymous", kind="anonymous")


class PrincipalSigner:
    """Mints principal tokens (held by the gateway only).

    A token names who acts, where and in which role, not the request: the request id travels
    beside it as ``x-request-id``. So one token serves every call of a caller for half its
    lifetime, and neither the gateway (signing) nor the services (verifying) pay Ed25519 per call.
    """

    def __init__(self, private_key: Ed25519PrivateKey, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._key = private_key
        self._kid = keyfiles.key_id(private_key.public_key())
        self._ttl = ttl_seconds
        self._minted: OrderedDict[Principal, tuple[str, float]] = OrderedDict()

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> PrincipalSigner:
        return cls(keyfiles.load_private_key(keys_dir, keyfiles.PRINCIPAL_SIGNING))

    def mint(self, principal: Principal, *, lasting: float = 0.0) -> str:
        """A signed token for ``principal`` with at least half of its lifetime left, and at least
        ``lasting`` seconds (at most MAX_LASTING_SECONDS).

        ``lasting`` is for calls that run longer than a token lives (feature generation asks the
        model for minutes): a service forwards its caller's token to the services it calls, so
        the token must outlive the whole call.
        """
        needed = max(self._ttl / 2, min(lasting, MAX_LASTING_SECONDS))
        cached = self._minted.get(principal)
        now = time.time()
        if cached is not None and cached[1] - now > needed:
            return cached[0]
        issued = int(now)
        expires = issued + max(self._ttl, math.ceil(needed) + 1)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": principal.subject,
            "knd": principal.kind,
            "iat": issued,
            "exp": expires,
        }
        if principal.project_id:
            claims["pid"] = principal.project_id
        if principal.role:
            claims["rol"] = principal.role
        if principal.scopes:
            claims["scp"] = list(principal.scopes)
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})
        self._minted[principal] = (token, expires)
        self._minted.move_to_end(principal)
        if len(self._minted) > _CACHE_SIZE:
            self._minted.popitem(last=False)
        return token


class PrincipalVerifier:
    """Checks principal tokens against the trusted gateway public keys."""

    def __init__(self, public_keys: list[Ed25519PublicKey]) -> None:
        self._keys = {keyfiles.key_id(k): k for k in public_keys}
        # Tokens already verified, until they expire (the signer reuses each for minutes).
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> PrincipalVerifier:
        return cls(keyfiles.load_public_keys(keys_dir, keyfiles.PRINCIPAL_SIGNING))

    def verify(self, token: str | None) -> Principal:
        """The principal inside ``token``; raises Unauthenticated when it is missing, forged or old."""
        if not token:
            raise Unauthenticated("missing principal token", slug="missing-principal")
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid)
            if key is None:
                raise Unauthenticated("principal token signed by an unknown key", slug="invalid-principal")
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid principal token: {exc}", slug="invalid-principal") from exc
        kind = claims.get("knd")
        if kind not in KINDS:
            raise Unauthenticated("principal token has an unknown kind", slug="invalid-principal")
        principal = Principal(
            subject=claims["sub"],
            kind=kind,
            project_id=claims.get("pid"),
            role=claims.get("rol"),
            scopes=tuple(claims.get("scp", ())),
        )
        return principal, float(claims["exp"])
