"""Access tokens (EdDSA JWTs verified by the gateway) and opaque refresh tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.chassis import keys as keyfiles
from services.chassis.ids import uuid7
from services.chassis.keys import SecretKey

ISSUER = "aira-identity"
AUDIENCE = "aira"


@dataclass(frozen=True)
class SecretToken:
    token: str  # given to its holder once (in a reply or an email)
    token_hash: str  # what is stored


def new_secret_token() -> SecretToken:
    """A fresh 256-bit token and its SHA-256 (refresh tokens, email links, invitations)."""
    token = secrets.token_urlsafe(32)
    return SecretToken(token=token, token_hash=hash_token(token))


def hash_token(token: str) -> str:
    """SHA-256 hex of a token; tokens have 256 bits of entropy, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    """A six-digit one-time code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(secret: SecretKey, owner: uuid.UUID, code: str) -> str:
    """HMAC of a six-digit code bound to its owner: a million codes cannot be tried offline."""
    key = secret.derive("one-time-codes")
    return hmac.new(key, f"{owner}:{code}".encode(), hashlib.sha256).hexdigest()


class AccessTokens:
    """Signs access tokens and publishes the keys that verify them."""

    def __init__(self, signing_key: Ed25519PrivateKey, verify_keys: list[Ed25519PublicKey], ttl_seconds: int) -> None:
        self._key = signing_key
        self._kid = keyfiles.key_id(signing_key.public_key())
        self._verify_keys = verify_keys
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_keys_dir(cls, keys_dir: Path, ttl_seconds: int) -> AccessTokens:
        return cls(
            keyfiles.load_private_key(keys_dir, keyfiles.JWT_SIGNING),
            keyfiles.load_public_keys(keys_dir, keyfiles.JWT_SIGNING),
            ttl_seconds,
        )

    def issue(self, user_id: uuid.UUID, email: str, session_id: uuid.UUID | None = None) -> str:
        """A signed access token for ``user_id`` (``sid``: the refresh family it belongs to)."""
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "typ": "access",
            "email": email,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": str(uuid7()),
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})

    def jwks_json(self) -> str:
        """The JWK Set (RFC 7517) of every key that may verify a live access token."""
        return orjson.dumps({"keys": [keyfiles.public_jwk(k) for k in self._verify_keys]}).decode()
