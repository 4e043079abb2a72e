"""A software WebAuthn authenticator (and the browser around it) for tests.

One EC P-256 key pair = one credential. ``create`` answers navigator.credentials.create() options
with a "none" attestation; ``get`` answers navigator.credentials.get() options with an ES256
assertion. Both return the JSON a browser's ``PublicKeyCredential.toJSON()`` gives. The signature
counter is a plain attribute, so a test can rewind it (a cloned authenticator) or keep it at zero
(an authenticator without a counter, ``counting=False``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01  # user present
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backed up
FLAG_AT = 0x40  # attested credential data included
AAGUID = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _options(options_json: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(options_json) if isinstance(options_json, str) else options_json


class NoCredential(Exception):
    """The browser would say NotAllowedError: none of the allowed credentials is here."""


class SoftAuthenticator:
    def __init__(self, *, counting: bool = True, synced: bool = False) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.user_handle: bytes | None = None
        self.rp_id: str | None = None
        self.sign_count = 0
        self.counting = counting
        self.synced = synced

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _flags(self, extra: int = 0) -> int:
        return FLAG_UP | extra | ((FLAG_BE | FLAG_BS) if self.synced else 0)

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}, separators=(",", ":")
        ).encode()

    def create(self, options_json: str | dict[str, Any], origin: str, *, rp_id: str | None = None) -> dict[str, Any]:
        """The new credential for creation options (``rp_id`` overrides the one the options name)."""
        options = _options(options_json)
        self.rp_id = rp_id or options["rp"]["id"]
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([self._flags(FLAG_AT)])
            + struct.pack(">I", self.sign_count)
            + AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(self, options_json: str | dict[str, Any], origin: str, *, rp_id: str | None = None) -> dict[str, Any]:
        """An assertion for request options; NoCredential when the options allow other credentials only."""
        options = _options(options_json)
        allowed = [unb64url(c["id"]) for c in options.get("allowCredentials", [])]
        if allowed and self.credential_id not in allowed:
            raise NoCredential("none of the allowed credentials is on this authenticator")
        if self.counting:
            self.sign_count += 1
        rp = rp_id or options.get("rpId") or self.rp_id
        assert rp is not None
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = hashlib.sha256(rp.encode()).digest() + bytes([self._flags()]) + struct.pack(">I", self.sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle) if self.user_handle is not None else None,
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }
