"""Domain events: the Event a domain raises, its wire envelope, streams and the NATS connection.

Subjects are ``<domain>.<entity>.<past_tense>.v1``; each domain has one JetStream stream named
after it in capitals (``IDENTITY`` holds ``identity.>``). Producers and consumers both call
:func:`ensure_stream`, so start-up order does not matter.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import nats
import orjson
from google.protobuf import any_pb2
from google.protobuf.message import Message
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import BadRequestError

from aira.common.v1 import errors_pb2, events_pb2, types_pb2
from services.chassis import context
from services.chassis.ids import uuid7
from services.chassis.proto_values import to_struct, to_timestamp
from services.chassis.settings import Settings

log = logging.getLogger(__name__)

HEADER_MSG_ID = "Nats-Msg-Id"
HEADER_EVENT_TYPE = "Aira-Event-Type"
HEADER_PROJECT_ID = "Aira-Project-Id"
HEADER_TRACEPARENT = "traceparent"


@dataclass(frozen=True)
class Event:
    """A fact a domain raises inside a unit of work; written to the outbox on commit."""

    entity_type: str
    action: str
    entity_id: str
    payload: Message
    project_id: uuid.UUID | str | None = None
    snapshot: Mapping[str, Any] | None = None
    changes: Mapping[str, Any] | None = None
    actor: types_pb2.Actor | None = None
    event_id: uuid.UUID = field(default_factory=uuid7)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


ERROR_ENTITY = "error"


def error_event(
    kind: str,
    message: str,
    *,
    reference: str = "",
    project_id: uuid.UUID | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Event:
    """``<service>.error.recorded.v1``: a failure operators should see (agents keeps the error log)."""
    return Event(
        entity_type=ERROR_ENTITY,
        action="recorded",
        entity_id=reference or kind,
        project_id=project_id,
        payload=errors_pb2.ErrorRecorded(
            kind=kind, message=message[:4000], reference=reference, details=to_struct(jsonable(details or {}))
        ),
    )


def subject_for(domain: str, entity_type: str, action: str) -> str:
    """The bus subject of an event."""
    return f"{domain}.{entity_type}.{action}.v1"


def stream_name(domain: str) -> str:
    """The JetStream stream that holds a domain's events."""
    return domain.upper()


def jsonable(value: Any) -> Any:
    """``value`` with UUIDs, times, decimals and enums turned into JSON-friendly values."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def actor_from_context() -> types_pb2.Actor:
    """The actor of the current call, from its principal."""
    principal = context.principal.get()
    if principal is None:
        return types_pb2.Actor(type="system", id="")
    return types_pb2.Actor(type=principal.kind, id=principal.subject)


def to_envelope(event: Event, *, domain: str, producer: str) -> events_pb2.EventEnvelope:
    """The wire form of ``event``, stamped with the ambient trace and request ids."""
    payload = any_pb2.Any()
    payload.Pack(event.payload)
    envelope = events_pb2.EventEnvelope(
        event_id=str(event.event_id),
        type=subject_for(domain, event.entity_type, event.action),
        occurred_at=to_timestamp(event.occurred_at),
        project_id=str(event.project_id) if event.project_id else "",
        actor=event.actor or actor_from_context(),
        entity_type=event.entity_type,
        entity_id=str(event.entity_id),
        action=event.action,
        payload=payload,
        trace_id=context.trace_id.get() or "",
        span_id=context.span_id.get() or "",
        request_id=context.request_id.get() or "",
        producer=producer,
    )
    if event.changes is not None:
        envelope.changes_json = orjson.dumps(jsonable(event.changes))
    if event.snapshot is not None:
        envelope.snapshot_json = orjson.dumps(jsonable(event.snapshot))
    return envelope


def headers_for(envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    """NATS headers of an event: dedup id, type, project and trace context."""
    headers = {HEADER_MSG_ID: envelope.event_id, HEADER_EVENT_TYPE: envelope.type}
    if envelope.project_id:
        headers[HEADER_PROJECT_ID] = envelope.project_id
    if envelope.trace_id:
        headers[HEADER_TRACEPARENT] = context.traceparent(envelope.trace_id, envelope.span_id or None)
    return headers


def stream_config(domain: str, settings: Settings) -> js_api.StreamConfig:
    """The one definition of a domain's stream."""
    return js_api.StreamConfig(
        name=stream_name(domain),
        subjects=[f"{domain}.>"],
        retention=js_api.RetentionPolicy.LIMITS,
        storage=js_api.StorageType.FILE,
        max_age=settings.stream_max_age_days * 86400.0,
        duplicate_window=600.0,  # publishes retried within 10 minutes are dropped by id
        num_replicas=settings.stream_replicas,
    )


async def ensure_stream(js: JetStreamContext, domain: str, settings: Settings) -> None:
    """Create or update the domain's stream to match :func:`stream_config`."""
    config = stream_config(domain, settings)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


async def connect_nats(url: str, *, name: str, attempts: int = 60) -> NatsClient:
    """A NATS connection that reconnects forever; waits for the server at start-up."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc)

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    delay = 0.2
    for attempt in range(1, attempts + 1):
        try:
            return await nats.connect(
                url,
                name=name,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                error_cb=on_error,
                disconnected_cb=on_disconnect,
                reconnected_cb=on_reconnect,
            )
        except Exception as exc:  # any failure to reach the server is retried
            if attempt == attempts:
                raise
            log.info("waiting for nats at %s (%s)", url, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def decode_envelope(data: bytes) -> events_pb2.EventEnvelope:
    """Parse an event from the bus; raises ValueError on garbage."""
    envelope = events_pb2.EventEnvelope()
    try:
        envelope.ParseFromString(data)
    except Exception as exc:  # protobuf raises DecodeError, a subclass of Exception
        raise ValueError(f"not an EventEnvelope: {exc}") from exc
    if not envelope.event_id or not envelope.type:
        raise ValueError("EventEnvelope without event_id or type")
    uuid.UUID(envelope.event_id)  # consumers store it as a uuid; a malformed one is garbage too
    return envelope


def unpack(envelope: events_pb2.EventEnvelope, message_type: type[Message]) -> Message:
    """The typed payload of ``envelope``; raises ValueError when it holds another type."""
    message = message_type()
    if not envelope.payload.Unpack(message):
        raise ValueError(f"{envelope.type} does not carry {message_type.DESCRIPTOR.full_name}")
    return message
