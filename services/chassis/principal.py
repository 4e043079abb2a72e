"""Internal principal tokens: who is calling, for which project, in which role.

The gateway authenticates people and mints a short-lived Ed25519-signed token for every call it
makes; services verify it with the gateway's public key and never trust a bare user id. Tokens
travel in gRPC metadata under ``x-aira-principal`` and are forwarded on onward calls.
"""

from __future__ import annotations

import time
import uuid
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
KINDS = frozenset({"user", "api_key", "service", "anonymous"})


@dataclass(frozen=True)
class Principal:
    """The verified caller of one request."""

    subject: str
    kind: str
    project_id: str | None = None
    role: str | None = None
    scopes: tuple[str, ...] = field(default_factory=tuple)
    request_id: str | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user behind the call (people and their API keys), else None."""
        if self.kind in ("user", "api_key"):
            return uuid.UUID(self.subject)
        return None

    @classmethod
    def anonymous(cls, request_id: str | None = None) -> "Principal":
        return cls(subject="anonymous", kind="anonymous", request_id=request_id)


class PrincipalSigner:
    """Mints principal tokens (held by the gateway only)."""

    def __init__(self, private_key: Ed25519PrivateKey, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._key = private_key
        self._kid = keyfiles.key_id(private_key.public_key())
        self._ttl = ttl_seconds

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> "PrincipalSigner":
        return cls(keyfiles.load_private_key(keys_dir, keyfiles.PRINCIPAL_SIGNING))

    def mint(self, principal: Principal) -> str:
        """A signed token for ``principal`` that expires in a couple of minutes."""
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": principal.subject,
            "knd": principal.kind,
            "iat": now,
            "exp": now + self._ttl,
        }
        if principal.project_id:
            claims["pid"] = principal.project_id
        if principal.role:
            claims["rol"] = principal.role
        if principal.scopes:
            claims["scp"] = list(principal.scopes)
        if principal.request_id:
            claims["rid"] = principal.request_id
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})


class PrincipalVerifier:
    """Checks principal tokens against the trusted gateway public keys."""

    def __init__(self, public_keys: list[Ed25519PublicKey]) -> None:
        self._keys = {keyfiles.key_id(k): k for k in public_keys}

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> "PrincipalVerifier":
        return cls(keyfiles.load_public_keys(keys_dir, keyfiles.PRINCIPAL_SIGNING))

    def verify(self, token: str | None) -> Principal:
        """The principal inside ``token``; raises Unauthenticated when it is missing, forged or old."""
        if not token:
            raise Unauthenticated("missing principal token", slug="missing-principal")
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
        return Principal(
            subject=claims["sub"],
            kind=kind,
            project_id=claims.get("pid"),
            role=claims.get("rol"),
            scopes=tuple(claims.get("scp", ())),
            request_id=claims.get("rid"),
        )
