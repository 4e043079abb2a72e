"""The audit log: every domain event, numbered gap-free per project, readable by its members."""

from __future__ import annotations

import uuid

from google.protobuf.json_format import MessageToDict

from aira.common.v1 import events_pb2
from services.agents import repository
from services.agents.models import AuditEvent
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.ids import uuid7
from services.chassis.pagination import decode_cursor, encode_cursor, page_limit
from services.chassis.proto_values import from_timestamp
from services.chassis.uow import UnitOfWork


def _project_id(envelope: events_pb2.EventEnvelope) -> uuid.UUID | None:
    if not envelope.project_id:
        return None
    try:
        return uuid.UUID(envelope.project_id)
    except ValueError as exc:
        raise ValueError(f"event {envelope.event_id} has a malformed project id") from exc


async def record(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Append ``envelope`` to its project's log (once, whatever the redeliveries)."""
    source_event_id = uuid.UUID(envelope.event_id)
    if await repository.event_recorded(uow.session, source_event_id):
        return
    project_id = _project_id(envelope)
    await repository.add_event(
        uow.session,
        AuditEvent(
            id=uuid7(),
            project_id=project_id,
            sequence=await repository.next_sequence(uow.session, project_id),
            event_type=envelope.type,
            entity_type=envelope.entity_type,
            entity_id=envelope.entity_id,
            action=envelope.action,
            changes=MessageToDict(envelope.changes) if envelope.HasField("changes") else None,
            snapshot=MessageToDict(envelope.snapshot) if envelope.HasField("snapshot") else None,
            actor_type=envelope.actor.type or "system",
            actor_id=envelope.actor.id,
            occurred_at=from_timestamp(envelope.occurred_at),
            source_event_id=source_event_id,
            producer=envelope.producer,
            trace_id=envelope.trace_id or None,
            request_id=envelope.request_id or None,
        ),
    )


async def list_events(
    uow: UnitOfWork,
    *,
    project_id: str,
    limit: int,
    cursor: str,
    entity_type: str = "",
    action: str = "",
    actor_id: str = "",
) -> tuple[list[AuditEvent], str]:
    """One page of a project's events in order, and the cursor of the next page."""
    try:
        project = uuid.UUID(project_id)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc
    limit = page_limit(limit)
    position = decode_cursor(cursor) or {"after": 0}
    after = position.get("after")
    if not isinstance(after, int) or after < 0:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor")
    rows = await repository.list_events(
        uow.session,
        project,
        after_sequence=after,
        limit=limit + 1,
        entity_type=entity_type,
        action=action,
        actor_id=actor_id,
    )
    page = rows[:limit]
    next_cursor = encode_cursor({"after": page[-1].sequence}) if len(rows) > limit else ""
    return page, next_cursor
