"""SQL of the audit log's ``events`` (its companions' is in ``audit_repository.py``). Functions flush;
the edge commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.agents.models import GLOBAL_SCOPE, AuditEvent, EventSequence


async def take_sequences(session: AsyncSession, counts: Mapping[uuid.UUID | None, int]) -> dict[uuid.UUID | None, int]:
    """Take ``counts[project]`` numbers of each project's sequence; the last number taken, per project.

    The counter rows stay locked until the transaction ends, so concurrent writers for one project
    queue up, and a rollback gives the numbers back: the sequence has no gaps. Rows are taken in
    project id order, so writers of several projects at once cannot deadlock each other.
    """
    table = EventSequence.__table__
    scopes = sorted((project or GLOBAL_SCOPE, count) for project, count in counts.items())
    statement = pg_insert(table).values([{"project_id": scope, "last_sequence": count} for scope, count in scopes])
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.project_id],
        set_={"last_sequence": table.c.last_sequence + statement.excluded.last_sequence},
    ).returning(table.c.project_id, table.c.last_sequence)
    last = {project: number for project, number in await session.execute(statement)}
    return {project: last[project or GLOBAL_SCOPE] for project in counts}


async def recorded_among(session: AsyncSession, source_event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``source_event_ids`` are in the log already."""
    rows = await session.execute(
        select(AuditEvent.source_event_id).where(AuditEvent.source_event_id.in_(source_event_ids))
    )
    return set(rows.scalars())


# Absent changes or snapshot are SQL NULL, not the JSON value null.
_ADD_EVENTS = insert(AuditEvent.__table__).values(
    changes=bindparam("changes", type_=JSONB(none_as_null=True)),
    snapshot=bindparam("snapshot", type_=JSONB(none_as_null=True)),
)


async def add_events(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert audit events (one statement)."""
    await session.execute(_ADD_EVENTS, rows)


async def list_events(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    after_sequence: int,
    limit: int,
    entity_type: str = "",
    action: str = "",
    actor_id: str = "",
) -> list[AuditEvent]:
    """Events of a project in sequence order after ``after_sequence``, optionally filtered."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.project_id == project_id, AuditEvent.sequence > after_sequence)
        .order_by(AuditEvent.sequence)
        .limit(limit)
    )
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    return list((await session.execute(query)).scalars())
