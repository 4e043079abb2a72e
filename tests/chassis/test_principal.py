"""Principal tokens: reused for half their life, minted to last through a long call when asked."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.chassis.errors import Unauthenticated
from services.chassis.principal import (
    DEFAULT_TTL_SECONDS,
    MAX_LASTING_SECONDS,
    Principal,
    PrincipalSigner,
    PrincipalVerifier,
)

ADA = Principal(subject="ada", kind="user", project_id="p1", role="product_manager")


def expiry(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["exp"]


def test_a_token_is_reused_while_half_its_life_remains() -> None:
    signer = PrincipalSigner(Ed25519PrivateKey.generate())
    first = signer.mint(ADA)
    assert signer.mint(ADA) == first
    assert expiry(first) - time.time() == pytest.approx(DEFAULT_TTL_SECONDS, abs=2)


def test_a_long_call_gets_a_token_that_outlives_it_and_is_verified() -> None:
    key = Ed25519PrivateKey.generate()
    signer, verifier = PrincipalSigner(key), PrincipalVerifier([key.public_key()])
    short = signer.mint(ADA)
    long = signer.mint(ADA, lasting=600)
    assert long != short and expiry(long) - time.time() >= 600
    assert verifier.verify(long) == ADA
    assert signer.mint(ADA) == long  # the longer token serves short calls too
    assert signer.mint(ADA, lasting=300) == long
    capped = signer.mint(ADA, lasting=10 * MAX_LASTING_SECONDS)
    assert expiry(capped) - time.time() <= MAX_LASTING_SECONDS + 2


def test_a_token_from_an_unknown_key_is_refused() -> None:
    verifier = PrincipalVerifier([Ed25519PrivateKey.generate().public_key()])
    with pytest.raises(Unauthenticated):
        verifier.verify(PrincipalSigner(Ed25519PrivateKey.generate()).mint(ADA, lasting=600))
