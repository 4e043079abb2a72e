"""Agents' gRPC surface: translate protobuf to domain calls and back, nothing else."""

from __future__ import annotations

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.common.v1 import types_pb2
from services.agents import audit_log
from services.agents.models import AuditEvent
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.proto_values import to_struct, to_timestamp
from services.chassis.uow import UnitOfWorkFactory


def event_message(event: AuditEvent) -> audit_pb2.AuditEvent:
    return audit_pb2.AuditEvent(
        id=str(event.id),
        project_id=str(event.project_id) if event.project_id else "",
        sequence=event.sequence,
        event_type=event.event_type,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        action=event.action,
        changes=to_struct(event.changes),
        snapshot=to_struct(event.snapshot),
        actor=types_pb2.Actor(type=event.actor_type, id=event.actor_id),
        occurred_at=to_timestamp(event.occurred_at),
        recorded_at=to_timestamp(event.recorded_at),
        source_event_id=str(event.source_event_id),
    )


class AuditLogServicer(audit_pb2_grpc.AuditLogServicer):
    def __init__(self, reader: UnitOfWorkFactory) -> None:
        self._reader = reader

    async def ListEvents(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        async with self._reader() as uow:
            page, next_cursor = await audit_log.list_events(
                uow,
                project_id=request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                entity_type=request.entity_type,
                action=request.action,
                actor_id=request.actor_id,
            )
        return audit_pb2.ListEventsResponse(
            items=[event_message(e) for e in page], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )
