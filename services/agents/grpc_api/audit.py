"""Agents' gRPC surface: translate protobuf to domain calls and back, nothing else."""

from __future__ import annotations

import contextlib

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.common.v1 import types_pb2
from services.agents import audit_log, error_log
from services.agents.event_watch import EventWatch
from services.agents.models import ActivityEntry, AuditEvent, ErrorEntry
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import InvalidArgument
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


def activity_message(entry: ActivityEntry) -> audit_pb2.ActivityEntry:
    return audit_pb2.ActivityEntry(
        id=str(entry.id),
        sequence=entry.sequence,
        actor=types_pb2.Actor(type=entry.actor_type, id=entry.actor_id),
        actor_name=entry.actor_name,
        verb=entry.verb,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        summary=entry.summary,
        occurred_at=to_timestamp(entry.occurred_at),
    )


def error_message(error: ErrorEntry) -> audit_pb2.ErrorEntry:
    return audit_pb2.ErrorEntry(
        id=str(error.id),
        project_id=str(error.project_id) if error.project_id else "",
        service=error.service,
        kind=error.kind,
        message=error.message,
        reference=error.reference,
        details=to_struct(error.details),
        trace_id=error.trace_id or "",
        occurred_at=to_timestamp(error.occurred_at),
    )


class AuditLogServicer(audit_pb2_grpc.AuditLogServicer):
    def __init__(self, reader: UnitOfWorkFactory, watch: EventWatch) -> None:
        self._reader = reader
        self._watch = watch

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

    async def WatchEvents(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        if request.after_sequence < 0:
            raise InvalidArgument("after_sequence must not be negative", slug="validation-failed")
        project_id = audit_log.parse_project_id(request.project_id)
        # Headers now, before any event: the caller knows the stream was accepted (the gateway
        # answers 200 and starts its SSE response only then).
        await ctx.send_initial_metadata(())
        async with contextlib.aclosing(self._watch.follow(project_id, request.after_sequence)) as events:
            async for event in events:
                yield event_message(event)

    async def ListActivity(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        async with self._reader() as uow:
            page, next_cursor = await audit_log.list_activity(
                uow, project_id=request.project_id, limit=request.page.limit, cursor=request.page.cursor
            )
        return audit_pb2.ListActivityResponse(
            items=[activity_message(e) for e in page], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def ListErrors(self, request, ctx):
        error_log.require_platform_admin(context.principal.get())
        async with self._reader() as uow:
            page, next_cursor = await error_log.list_errors(
                uow,
                limit=request.page.limit,
                cursor=request.page.cursor,
                service=request.service,
                project_id=request.project_id,
            )
        return audit_pb2.ListErrorsResponse(
            items=[error_message(e) for e in page], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )
