"""All SQL of the agents service. Functions flush; the edge commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.agents.models import GLOBAL_SCOPE, AuditEvent, EventSequence


async def next_sequence(session: AsyncSession, project_id: uuid.UUID | None) -> int:
    """Take the next number of the project's sequence.

    The counter row stays locked until the transaction ends, so concurrent writers for one
    project queue up, and a rollback gives the number back: the sequence has no gaps.
    """
    table = EventSequence.__table__
    statement = (
        pg_insert(table)
        .values(project_id=project_id or GLOBAL_SCOPE, last_sequence=1)
        .on_conflict_do_update(index_elements=[table.c.project_id], set_={"last_sequence": table.c.last_sequence + 1})
        .returning(table.c.last_sequence)
    )
    return (await session.execute(statement)).scalar_one()


async def event_recorded(session: AsyncSession, source_event_id: uuid.UUID) -> bool:
    return (
        await session.execute(select(AuditEvent.id).where(AuditEvent.source_event_id == source_event_id))
    ).first() is not None


async def add_event(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
    await session.flush()


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
