"""The audit log: every domain event, numbered gap-free per project, readable by its members.

Recording an event also writes its sentence in the project's activity feed (same unit of work, same
sequence) and notifies ``aira_audit`` so open event streams look again once it commits. Events with
entity type ``error`` are not project history: they go to the error log instead. A consumer's
fetched batch is recorded in one go (:func:`record_all`), with the same result as one by one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict

# Payload types the feed can read (decision 0005: contracts only, never another domain's code).
import aira.agents.v1.events_pb2
import aira.planning.v1.events_pb2
import aira.team.v1.events_pb2  # noqa: F401
from aira.common.v1 import events_pb2
from services.agents import activity, audit_repository, error_log, known_people, repository
from services.agents.models import ActivityEntry, AuditEvent
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.events import ERROR_ENTITY
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


def _payload_fields(envelope: events_pb2.EventEnvelope) -> dict[str, Any]:
    """The typed payload as fields when this process imports its contract (agents' own events,
    identity's), else {}."""
    try:
        return MessageToDict(envelope.payload, preserving_proto_field_name=True)
    except Exception:  # a type this process does not import: the feed reads snapshot and changes
        return {}


async def record(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Append ``envelope`` to its project's log and feed, or to the error log (once, whatever the
    redeliveries)."""
    await record_all(uow, [envelope])


async def record_all(uow: UnitOfWork, envelopes: list[events_pb2.EventEnvelope]) -> None:
    """:func:`record` for events fetched together, in their order, with one statement per table."""
    for envelope in envelopes:
        if envelope.entity_type == ERROR_ENTITY:
            await error_log.record(uow, envelope)
    fresh = await _not_recorded(uow, [e for e in envelopes if e.entity_type != ERROR_ENTITY])
    if not fresh:
        return
    projects = [_project_id(e) for e in fresh]
    counts = Counter(projects)
    last = await repository.take_sequences(uow.session, counts)
    numbers = {project: last[project] - count for project, count in counts.items()}
    events = []
    for envelope, project in zip(fresh, projects, strict=True):
        numbers[project] += 1
        events.append(_event_row(envelope, project, numbers[project]))
    await repository.add_events(uow, [[event[c] for c in repository.EVENT_COLUMNS] for event in events])
    feed = await _sentences(uow, fresh, events)
    if feed:  # events of no project (sign-ups) are numbered in their own scope, in no feed
        await audit_repository.add_activity(uow, [[row[c] for c in audit_repository.ACTIVITY_COLUMNS] for row in feed])
        await audit_repository.notify_recorded(uow.session, {row["project_id"] for row in feed})


async def _not_recorded(uow: UnitOfWork, envelopes: list[events_pb2.EventEnvelope]) -> list[events_pb2.EventEnvelope]:
    """``envelopes`` without those already in the log (or repeated in the list)."""
    if not envelopes:
        return []
    seen = await repository.recorded_among(uow.session, [e.event_id for e in envelopes])
    fresh = []
    for envelope in envelopes:
        if envelope.event_id not in seen:
            seen.add(envelope.event_id)
            fresh.append(envelope)
    return fresh


def _event_row(envelope: events_pb2.EventEnvelope, project_id: uuid.UUID | None, sequence: int) -> dict[str, Any]:
    """The ``events`` row of ``envelope``; ids stay text and JSON stays JSON text, as COPY takes them."""
    return {
        "id": uuid7(),
        "project_id": project_id,
        "sequence": sequence,
        "event_type": envelope.type,
        "entity_type": envelope.entity_type,
        "entity_id": envelope.entity_id,
        "action": envelope.action,
        "changes": envelope.changes_json.decode() if envelope.changes_json else None,
        "snapshot": envelope.snapshot_json.decode() if envelope.snapshot_json else None,
        "actor_type": envelope.actor.type or "system",
        "actor_id": envelope.actor.id,
        "occurred_at": from_timestamp(envelope.occurred_at),
        "source_event_id": envelope.event_id,
        "producer": envelope.producer,
        "trace_id": envelope.trace_id or None,
        "request_id": envelope.request_id or None,
    }


def _facts(envelope: events_pb2.EventEnvelope, event: dict[str, Any]) -> activity.Facts:
    return activity.Facts(
        entity_type=event["entity_type"],
        action=event["action"],
        entity_id=event["entity_id"],
        actor_type=event["actor_type"],
        actor_id=event["actor_id"],
        changes=orjson.loads(envelope.changes_json) if envelope.changes_json else {},
        snapshot=orjson.loads(envelope.snapshot_json) if envelope.snapshot_json else {},
        payload=activity.LazyFields(lambda: _payload_fields(envelope)),
    )


async def _sentences(
    uow: UnitOfWork, envelopes: list[events_pb2.EventEnvelope], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of the feed for the events that belong to a project, worded with people's names."""
    facts = [
        _facts(envelope, event) if event["project_id"] else None
        for envelope, event in zip(envelopes, events, strict=True)
    ]
    wanted = set().union(*(activity.mentioned(f) for f in facts if f is not None))
    names = await known_people.names_of(uow, wanted)
    rows = []
    for envelope, event, fact in zip(envelopes, events, facts, strict=True):
        names |= known_people.name_in(envelope)  # a sign-up earlier in the batch, as if one by one
        if fact is None:
            continue
        sentence = activity.describe(fact, names)
        rows.append(
            {
                "id": uuid7(),
                "project_id": event["project_id"],
                "event_id": event["id"],
                "sequence": event["sequence"],
                "actor_type": event["actor_type"],
                "actor_id": event["actor_id"],
                "actor_name": sentence.actor_name,
                "verb": sentence.verb,
                "entity_type": event["entity_type"],
                "entity_id": event["entity_id"],
                "summary": sentence.summary,
                "occurred_at": event["occurred_at"],
            }
        )
    return rows


def parse_project_id(project_id: str) -> uuid.UUID:
    """A project id from a request; a malformed one is simply not found."""
    try:
        return uuid.UUID(project_id)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc


def _position(cursor: str, key: str, default: int | None) -> int | None:
    """The sequence number a cursor holds under ``key`` (``default`` for the first page)."""
    position = decode_cursor(cursor)
    if position is None:
        return default
    value = position.get(key)
    if not isinstance(value, int) or value < 0:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor")
    return value


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
    project = parse_project_id(project_id)
    limit = page_limit(limit)
    rows = await repository.list_events(
        uow.session,
        project,
        after_sequence=_position(cursor, "after", 0) or 0,
        limit=limit + 1,
        entity_type=entity_type,
        action=action,
        actor_id=actor_id,
    )
    page = rows[:limit]
    next_cursor = encode_cursor({"after": page[-1].sequence}) if len(rows) > limit else ""
    return page, next_cursor


async def events_after(uow: UnitOfWork, project_id: uuid.UUID, after_sequence: int, limit: int) -> list[AuditEvent]:
    """Up to ``limit`` of a project's events after ``after_sequence``, in order (for streams)."""
    return await repository.list_events(uow.session, project_id, after_sequence=after_sequence, limit=limit)


async def list_activity(
    uow: UnitOfWork, *, project_id: str, limit: int, cursor: str
) -> tuple[list[ActivityEntry], str]:
    """One page of a project's feed, newest first, and the cursor of the next (older) page."""
    project = parse_project_id(project_id)
    limit = page_limit(limit)
    rows = await audit_repository.list_activity(
        uow.session, project, before_sequence=_position(cursor, "before", None), limit=limit + 1
    )
    page = rows[:limit]
    next_cursor = encode_cursor({"before": page[-1].sequence}) if len(rows) > limit else ""
    return page, next_cursor
