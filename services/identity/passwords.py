"""Passwords: argon2id hashing off the event loop, and the strength rules for new passwords."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.chassis.errors import InvalidArgument

MIN_LENGTH = 10
MAX_LENGTH = 256
# The most common passwords that satisfy the length rule (from public breach corpora).
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "1q2w3e4r5t",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "password123",
        "password12",
        "password1!",
        "passw0rd123",
        "iloveyou123",
        "qwerty1234",
        "qwerty123456",
        "abc1234567",
        "aa12345678",
        "a123456789",
        "asdfghjkl1",
        "zaq12wsxcde",
        "football123",
        "baseball123",
        "welcome123",
        "letmein123",
        "princess123",
        "sunshine123",
        "superman123",
        "trustno1234",
        "monkey12345",
        "dragon12345",
        "master12345",
        "changeme123",
        "administrator",
        "qazwsxedcrfv",
        "0987654321",
        "1111111111",
        "0000000000",
        "password1234",
    }
)


class Passwords:
    """Hashes and verifies passwords with argon2id at the configured cost."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
        # Verified when the email is unknown, so both paths cost the same (no user enumeration by timing).
        self._dummy_hash = self._hasher.hash("not a real password, only for timing")

    async def hash(self, password: str) -> str:
        """An argon2id hash of ``password``, computed in a worker thread."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash`` (constant-time inside argon2)."""

        def check() -> bool:
            try:
                return self._hasher.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(stored_hash)


def strength_problems(password: str, *, email: str, name: str) -> list[str]:
    """Why ``password`` is too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"use at most {MAX_LENGTH} characters")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 2 and len(password) < 16:
        problems.append("mix letters with digits or symbols, or use 16 characters or more")
    if len(set(password)) < 5:
        problems.append("use more different characters")
    lowered = password.lower()
    if lowered in COMMON:
        problems.append("this password is one of the most common ones")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("do not use your email address in your password")
    if len(name) >= 4 and name.lower().replace(" ", "") in lowered.replace(" ", ""):
        problems.append("do not use your name in your password")
    return problems


def check_strength(password: str, *, email: str, name: str) -> None:
    """Raise ``weak-password`` when ``password`` breaks a strength rule."""
    if problems := strength_problems(password, email=email, name=name):
        raise InvalidArgument("password is too weak: " + "; ".join(problems), slug="weak-password", problems=problems)
