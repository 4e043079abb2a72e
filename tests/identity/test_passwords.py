"""Password rules and hashing."""

from __future__ import annotations

import pytest

from services.chassis.errors import InvalidArgument
from services.identity.passwords import Passwords, check_strength, strength_problems


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "Tr0ub4dor&3xyz", "a sturdy passphrase 42", "ĝis-revido-9-amiko"],
)
def test_strong_passwords_pass(password: str) -> None:
    assert strength_problems(password, email="ada@example.com", name="Ada Lovelace") == []


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 10"),
        ("abcdefghij", "mix letters"),
        ("1111111111", "different characters"),
        ("Password123", "most common"),
        ("lovelace-2026!", "your name"),
        ("adalovelace99", "your email"),
    ],
)
def test_weak_passwords_fail_with_a_reason(password: str, reason: str) -> None:
    problems = strength_problems(password, email="adalovelace@example.com", name="Lovelace")
    assert any(reason in p for p in problems), problems


def test_the_error_is_a_weak_password_problem() -> None:
    with pytest.raises(InvalidArgument) as failure:
        check_strength("short", email="a@b.co", name="A")
    assert failure.value.slug == "weak-password"


async def test_hashes_are_argon2id_and_verify() -> None:
    passwords = Passwords(memory_kib=1024, time_cost=1, parallelism=1)
    stored = await passwords.hash("a sturdy passphrase 42")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "a sturdy passphrase 42")
    assert not await passwords.verify(stored, "a sturdy passphrase 43")
    assert not await passwords.verify(None, "anything at all")
