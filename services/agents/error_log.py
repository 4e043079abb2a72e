"""The error log: what services reported as ``<service>.error.recorded.v1`` (jobs that died, events no
delivery could handle …), for Aira's operators and never in a project's audit log.

Reading it takes a principal with the scope ``platform_admin``, which only the gateway mints, and
only for a person identity marks ``is_admin``. The scope is agents' own: it is not an API key
scope (``chassis.authz.SCOPES``) and no key can carry it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from google.protobuf.json_format import MessageToDict

from aira.common.v1 import errors_pb2, events_pb2
from services.agents import audit_repository
from services.agents.models import ErrorEntry
from services.chassis.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.chassis.events import unpack
from services.chassis.ids import uuid7
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.principal import Principal
from services.chassis.proto_values import from_timestamp
from services.chassis.uow import UnitOfWork

PLATFORM_ADMIN_SCOPE = "platform_admin"


def require_platform_admin(principal: Principal | None) -> Principal:
    """The principal, if it is a person the gateway vouched for as an Aira administrator."""
    if principal is None or principal.kind == "anonymous":
        raise Unauthenticated("sign in to read the error log")
    if principal.kind != "user" or PLATFORM_ADMIN_SCOPE not in principal.scopes:
        raise PermissionDenied("only Aira administrators may read the error log")
    return principal


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def record(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Add a reported error once, whatever the redeliveries (``source_event_id`` is unique)."""
    try:
        error = unpack(envelope, errors_pb2.ErrorRecorded)
    except ValueError:  # still worth showing: an operator should see that something reported badly
        error = errors_pb2.ErrorRecorded(
            kind="unreadable", message=f"{envelope.type} did not carry an ErrorRecorded payload"
        )
    await audit_repository.add_error(
        uow.session,
        {
            "id": uuid7(),
            "project_id": _uuid_or_none(envelope.project_id),
            "service": envelope.producer or envelope.type.split(".", 1)[0],
            "kind": error.kind or "unknown",
            "message": error.message,
            "reference": error.reference,
            "details": MessageToDict(error.details) if error.HasField("details") else {},
            "source_event_id": uuid.UUID(envelope.event_id),
            "trace_id": envelope.trace_id or None,
            "occurred_at": from_timestamp(envelope.occurred_at),
        },
    )


async def list_errors(
    uow: UnitOfWork, *, limit: int, cursor: str, service: str = "", project_id: str = ""
) -> tuple[list[ErrorEntry], str]:
    """One page of errors, newest first, and the cursor of the next page."""
    limit = page_limit(limit)
    project = None
    if project_id:
        project = _uuid_or_none(project_id)
        if project is None:
            raise InvalidArgument("project_id is not a valid id", slug="validation-failed", field="project_id")
    position = decode_cursor(cursor)
    before = None
    if position is not None:
        try:
            before = (datetime.fromisoformat(str(position.get("at"))), cursor_id(position, "id"))
        except ValueError as exc:
            raise InvalidArgument("cursor is not valid", slug="invalid-cursor") from exc
    rows = await audit_repository.list_errors(
        uow.session, before=before, limit=limit + 1, service=service, project_id=project
    )
    page = rows[:limit]
    next_cursor = (
        encode_cursor({"at": page[-1].occurred_at.isoformat(), "id": str(page[-1].id)}) if len(rows) > limit else ""
    )
    return page, next_cursor
