"""Secrets at rest: AES-256-GCM with a key id, so keys can rotate without re-encrypting at once.

Keys are derived from the deployment's secret key per purpose and key id
(``aes-gcm:<purpose>:<key id>``). Sealing always uses the current key id
(``AIRA_ENCRYPTION_KEY_ID``); opening uses the id stored with the ciphertext, so data sealed
under an older id stays readable until it is re-sealed.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.chassis.keys import SecretKey

_NONCE_BYTES = 12


class SecretBox:
    """Seals and opens byte strings for one purpose (e.g. ``integration-secrets``)."""

    def __init__(self, secret: SecretKey, purpose: str, current_key_id: str) -> None:
        self._secret = secret
        self._purpose = purpose
        self.current_key_id = current_key_id

    def _cipher(self, key_id: str) -> AESGCM:
        return AESGCM(self._secret.derive(f"aes-gcm:{self._purpose}:{key_id}"))

    def seal(self, plaintext: bytes, associated_data: bytes = b"") -> tuple[str, bytes]:
        """``(key id, nonce + ciphertext)``; ``associated_data`` binds it to its owner (e.g. a row id)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher(self.current_key_id).encrypt(nonce, plaintext, associated_data)
        return self.current_key_id, nonce + sealed

    def open(self, key_id: str, sealed: bytes, associated_data: bytes = b"") -> bytes:
        """The plaintext; ValueError when the data was altered or sealed for something else."""
        try:
            return self._cipher(key_id).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], associated_data)
        except InvalidTag as exc:
            raise ValueError("sealed data failed authentication") from exc
