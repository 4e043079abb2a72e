"""SQL of the audit log's ``events`` (its companions' is in ``audit_repository.py``). Functions flush;
the edge commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.agents.models import GLOBAL_SCOPE, AuditEvent, EventSequence
from services.chassis.uow import UnitOfWork


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


async def recorded_among(session: AsyncSession, source_event_ids: list[str]) -> set[str]:
    """Which of ``source_event_ids`` (UUID text) are in the log already, as the same text."""
    table = AuditEvent.__table__
    rows = await session.execute(
        text(
            f"SELECT CAST(source_event_id AS text) FROM {table.schema}.{table.name} "
            "WHERE source_event_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": source_event_ids},
    )
    return set(rows.scalars())


# The columns add_events fills, in the order of its rows (recorded_at takes its default).
EVENT_COLUMNS = (
    "id",
    "project_id",
    "sequence",
    "event_type",
    "entity_type",
    "entity_id",
    "action",
    "changes",
    "snapshot",
    "actor_type",
    "actor_id",
    "occurred_at",
    "source_event_id",
    "producer",
    "trace_id",
    "request_id",
)


async def add_events(uow: UnitOfWork, rows: Sequence[Sequence[Any]]) -> None:
    """Insert audit events by COPY: rows of :data:`EVENT_COLUMNS`, JSON columns as JSON text
    (None is SQL NULL), ids as UUIDs or their text."""
    await uow.copy(AuditEvent.__table__, EVENT_COLUMNS, rows)


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
