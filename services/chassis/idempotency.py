"""Idempotent mutating calls: the same ``Idempotency-Key`` from the same caller returns the first reply.

The gRPC idempotency interceptor announces the call here; the unit of work stores the reply in
the same transaction as the effect, so an effect and its remembered reply commit together or not
at all. Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.errors import InvalidArgument
from services.chassis.infra_tables import InfraTables

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class IdempotentCall:
    scope: str
    key: str
    method: str
    request_hash: bytes


current_call: ContextVar[IdempotentCall | None] = ContextVar("aira_idempotent_call", default=None)


class IdempotencyRace(Exception):
    """A concurrent call with the same key committed first; its reply wins."""


def request_hash(method: str, request_bytes: bytes) -> bytes:
    """Fingerprint of a call, to tell a retry from a different request reusing a key."""
    return hashlib.sha256(method.encode() + b"\0" + request_bytes).digest()


def validate_key(key: str) -> str:
    """``key`` if it is a usable idempotency key."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidArgument(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters",
            slug="invalid-idempotency-key",
        )
    return key


async def stored_reply(session: AsyncSession, infra: InfraTables, call: IdempotentCall) -> bytes | None:
    """The reply remembered for ``call``; raises when the key was used for a different request."""
    table = infra.idempotency_keys
    row = (
        await session.execute(
            select(table.c.method, table.c.request_hash, table.c.reply).where(
                table.c.scope == call.scope,
                table.c.key == call.key,
                table.c.created_at > func.now() - KEY_LIFETIME,
            )
        )
    ).first()
    if row is None:
        return None
    if row.method != call.method or row.request_hash != call.request_hash:
        raise InvalidArgument(
            "this Idempotency-Key was already used for a different request",
            slug="idempotency-key-reused",
        )
    return row.reply


async def purge_expired(session: AsyncSession, infra: InfraTables) -> int:
    """Forget keys older than their lifetime; returns how many."""
    table = infra.idempotency_keys
    result = await session.execute(delete(table).where(table.c.created_at < func.now() - KEY_LIFETIME))
    return result.rowcount or 0
