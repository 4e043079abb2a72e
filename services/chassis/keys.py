"""Key material on disk: Ed25519 signing keys and one secret key for derived secrets.

Layout of the keys folder (``Settings.keys_path``; a Kubernetes Secret mounted there in production):

- ``jwt-signing.pem`` / ``.pub.pem``: identity signs access tokens; the gateway verifies them.
- ``principal-signing.pem`` / ``.pub.pem``: the gateway signs internal principal tokens; services
  verify them with the public half only.
- ``secret.key``: 32 random bytes; secrets derived from it by HMAC (database role passwords,
  encryption keys) so nothing else needs storing.
- ``<name>-retired/*.pub.pem``: old public keys still accepted while tokens they signed live.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

JWT_SIGNING = "jwt-signing"
PRINCIPAL_SIGNING = "principal-signing"
SECRET_KEY_FILE = "secret.key"


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def ensure_keys(keys_dir: Path) -> None:
    """Create any missing key file (idempotent; never overwrites)."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in (JWT_SIGNING, PRINCIPAL_SIGNING):
        private_path = keys_dir / f"{name}.pem"
        if not private_path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:
                _write_private(private_path, pem)
            except FileExistsError:  # another process won the race
                pass
        public_path = keys_dir / f"{name}.pub.pem"
        if not public_path.exists():
            public = load_private_key(keys_dir, name).public_key()
            public_path.write_bytes(
                public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            )
    secret_path = keys_dir / SECRET_KEY_FILE
    if not secret_path.exists():
        try:
            _write_private(secret_path, base64.b64encode(secrets.token_bytes(32)))
        except FileExistsError:
            pass


def load_private_key(keys_dir: Path, name: str) -> Ed25519PrivateKey:
    """The Ed25519 private key ``<name>.pem``."""
    key = serialization.load_pem_private_key((keys_dir / f"{name}.pem").read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{name}.pem is not an Ed25519 key")
    return key


def load_public_keys(keys_dir: Path, name: str) -> list[Ed25519PublicKey]:
    """The current public key ``<name>.pub.pem`` followed by retired ones still trusted."""
    paths = [keys_dir / f"{name}.pub.pem", *sorted((keys_dir / f"{name}-retired").glob("*.pub.pem"))]
    keys = []
    for path in paths:
        if path.exists():
            key = serialization.load_pem_public_key(path.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{path} is not an Ed25519 public key")
            keys.append(key)
    if not keys:
        raise FileNotFoundError(f"no {name} public key in {keys_dir}")
    return keys


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK of an Ed25519 public key, with its RFC 7638 thumbprint as ``kid``."""
    x = b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    thumbprint = b64url(hashlib.sha256(orjson.dumps({"crv": "Ed25519", "kty": "OKP", "x": x})).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "use": "sig", "alg": "EdDSA"}


def key_id(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint that names ``key``."""
    return public_jwk(key)["kid"]


@dataclass(frozen=True)
class SecretKey:
    """The deployment's secret key; derives purpose-bound secrets so each can be rotated apart."""

    material: bytes

    @classmethod
    def load(cls, keys_dir: Path) -> SecretKey:
        return cls(base64.b64decode((keys_dir / SECRET_KEY_FILE).read_bytes().strip()))

    def derive(self, purpose: str) -> bytes:
        """32 bytes bound to ``purpose``."""
        return hmac.new(self.material, purpose.encode(), hashlib.sha256).digest()
