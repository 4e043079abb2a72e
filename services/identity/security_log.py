"""The security log (``user_audit_log``): sign-ins, failures, lockouts, credential changes.

An entry for something that succeeded is written in the same unit of work as the change. An
entry for something refused is written in a transaction of its own, because the refusal rolls
back everything else and the record of it must survive.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from services.chassis import context
from services.chassis.events import jsonable
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.identity.models import UserAuditEntry

MAX_USER_AGENT = 512


def _client_ip() -> str | None:
    raw = context.client_ip.get()
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def entry(event_type: str, user_id: uuid.UUID | None, details: dict[str, Any]) -> UserAuditEntry:
    """A log entry stamped with the caller's IP and user agent."""
    agent = context.user_agent.get()
    return UserAuditEntry(
        id=uuid7(),
        user_id=user_id,
        event_type=event_type,
        ip=_client_ip(),
        user_agent=agent[:MAX_USER_AGENT] if agent else None,
        details=jsonable(details),
    )


class SecurityLog:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def add(self, uow: UnitOfWork, event_type: str, user_id: uuid.UUID | None, **details: Any) -> None:
        """Record alongside the change in ``uow`` (kept only if it commits)."""
        uow.session.add(entry(event_type, user_id, details))

    async def record_now(self, event_type: str, user_id: uuid.UUID | None, **details: Any) -> None:
        """Record in a transaction of its own (kept whatever happens to the caller's)."""
        async with self._uow() as uow:
            uow.session.add(entry(event_type, user_id, details))
            await uow.commit()
