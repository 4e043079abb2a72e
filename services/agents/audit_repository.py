"""SQL of the audit log's companions: the activity feed, the names it uses, the error log, and the
NOTIFY that wakes event streams. Functions flush; the edge commits. (The ``events`` table's own
statements are in ``repository.py``.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.agents.models import ActivityEntry, ErrorEntry, KnownPerson
from services.chassis.uow import UnitOfWork

# Woken with the project id as payload whenever a unit of work records one of its events.
AUDIT_CHANNEL = "aira_audit"


async def names_of(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, str]:
    """The names agents knows for ``user_ids`` (ids it does not know are left out)."""
    ids = [uuid.UUID(i) for i in user_ids]
    if not ids:
        return {}
    rows = await session.execute(select(KnownPerson.user_id, KnownPerson.name).where(KnownPerson.user_id.in_(ids)))
    return {str(user_id): name for user_id, name in rows}


async def remember_name(session: AsyncSession, user_id: uuid.UUID, name: str) -> None:
    """Learn or update a person's name."""
    table = KnownPerson.__table__
    await session.execute(
        pg_insert(table)
        .values(user_id=user_id, name=name)
        .on_conflict_do_update(index_elements=[table.c.user_id], set_={"name": name, "updated_at": func.now()})
    )


# The columns add_activity fills, in the order of its rows (created_at takes its default).
ACTIVITY_COLUMNS = (
    "id",
    "project_id",
    "event_id",
    "sequence",
    "actor_type",
    "actor_id",
    "actor_name",
    "verb",
    "entity_type",
    "entity_id",
    "summary",
    "occurred_at",
)


async def add_activity(uow: UnitOfWork, rows: Sequence[Sequence[Any]]) -> None:
    """Insert sentences of the feed by COPY, rows of :data:`ACTIVITY_COLUMNS` (their events are in)."""
    await uow.copy(ActivityEntry.__table__, ACTIVITY_COLUMNS, rows)


async def notify_recorded(session: AsyncSession, project_ids: Iterable[uuid.UUID]) -> None:
    """Tell these projects' event streams to look again; PostgreSQL delivers it on commit, or never."""
    await session.execute(
        text("SELECT pg_notify(:channel, project) FROM unnest(CAST(:projects AS text[])) AS project"),
        {"channel": AUDIT_CHANNEL, "projects": sorted(str(p) for p in project_ids)},
    )


async def list_activity(
    session: AsyncSession, project_id: uuid.UUID, *, before_sequence: int | None, limit: int
) -> list[ActivityEntry]:
    """A project's feed, newest first, below ``before_sequence`` when given."""
    query = select(ActivityEntry).where(ActivityEntry.project_id == project_id)
    if before_sequence is not None:
        query = query.where(ActivityEntry.sequence < before_sequence)
    return list((await session.execute(query.order_by(ActivityEntry.sequence.desc()).limit(limit))).scalars())


async def add_error(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert an error unless its source event is already in the log."""
    table = ErrorEntry.__table__
    await session.execute(
        pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=[table.c.source_event_id])
    )


async def list_errors(
    session: AsyncSession,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    service: str = "",
    project_id: uuid.UUID | None = None,
) -> list[ErrorEntry]:
    """Errors newest first, below the (occurred_at, id) position ``before`` when given."""
    query = select(ErrorEntry)
    if before is not None:
        query = query.where(tuple_(ErrorEntry.occurred_at, ErrorEntry.id) < tuple_(*before))
    if service:
        query = query.where(ErrorEntry.service == service)
    if project_id is not None:
        query = query.where(ErrorEntry.project_id == project_id)
    query = query.order_by(ErrorEntry.occurred_at.desc(), ErrorEntry.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
