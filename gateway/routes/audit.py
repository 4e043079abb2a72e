"""The audit log (agents): a project's events as a list and as a live SSE stream, its activity feed,
and the error log for Aira's administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from aira.agents.v1 import audit_pb2
from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2
from gateway import sse
from gateway.auth import Caller
from gateway.deps import CallerDep, GatewayState, State, project_id_of, project_metadata
from gateway.problems import ApiProblem
from gateway.schemas import ActivityPage, ErrorPage, EventOut, EventPage, from_proto, page_of

router = APIRouter(tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]

# The scope agents' ListErrors requires (services/agents/error_log.py). Only this gateway mints it,
# for a person identity marks as an Aira administrator; no API key can carry it.
PLATFORM_ADMIN_SCOPE = "platform_admin"


@router.get(
    "/v1/projects/{project_id}/events",
    response_model=EventPage,
    summary="The project's audit log in order (filter by entity type, action, actor)",
)
async def list_events(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    entity_type: Annotated[str, Query(max_length=100)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    actor_id: Annotated[str, Query(max_length=100)] = "",
):
    project_id = project_id_of(project_id)
    page = await gateway.clients.audit_log.ListEvents(
        audit_pb2.ListEventsRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            entity_type=entity_type,
            action=action,
            actor_id=actor_id,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return page_of(page)


@router.get(
    "/v1/projects/{project_id}/events/stream",
    response_class=StreamingResponse,
    summary="The project's audit log as it happens (Server-Sent Events)",
    description=(
        "Sends the events after `Last-Event-ID` (or `?after=`; from the start when neither is given), "
        "then each new one as it is recorded: `id` is the event's sequence, `event` its type and "
        "`data` the event as `GET /events` returns it. A comment line is sent as a heartbeat "
        "(every 15 seconds by default). The stream ends after a while (`sse_max_seconds`); "
        "reconnect with `Last-Event-ID` to carry on exactly where it stopped."
    ),
    responses=sse.responses("An endless stream of events"),
)
async def stream_events(
    project_id: str,
    who: CallerDep,
    gateway: State,
    last_event_id: sse.LastEventId = None,
    after: Annotated[int, Query(ge=0, description="Start after this sequence (Last-Event-ID wins)")] = 0,
) -> StreamingResponse:
    project_id = project_id_of(project_id)
    after = sse.resume_after(last_event_id, after)
    metadata = await project_metadata(gateway, who, project_id)  # 404 for non-members, before any byte
    call = gateway.clients.audit_log.WatchEvents(
        audit_pb2.WatchEventsRequest(project_id=project_id, after_sequence=after),
        metadata=metadata,
        timeout=gateway.settings.sse_max_seconds,
    )
    return await sse.relay(call, sse_event, heartbeat=gateway.settings.sse_heartbeat_seconds)


def sse_event(event: audit_pb2.AuditEvent) -> bytes:
    """One event in SSE framing: its sequence as id, its type as event name, its JSON as data."""
    data = EventOut.model_validate(from_proto(event)).model_dump(mode="json")
    return sse.frame(event.sequence, event.event_type, data)


@router.get(
    "/v1/projects/{project_id}/activity",
    response_model=ActivityPage,
    summary="The project's activity: one sentence per event, newest first",
)
async def list_activity(project_id: str, who: CallerDep, gateway: State, limit: Limit = 50, cursor: Cursor = ""):
    project_id = project_id_of(project_id)
    page = await gateway.clients.audit_log.ListActivity(
        audit_pb2.ListActivityRequest(project_id=project_id, page=types_pb2.PageRequest(limit=limit, cursor=cursor)),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return page_of(page)


async def platform_admin_metadata(gateway: GatewayState, who: Caller) -> tuple[tuple[str, str], ...]:
    """A principal with the ``platform_admin`` scope, if identity says the signed-in person is an
    Aira administrator (``users.is_admin``); 403 for anyone else, and for any API key."""
    refused = ApiProblem(403, "forbidden", "only Aira administrators may do this")
    if who.kind != "user":
        raise refused
    me = await gateway.clients.accounts.GetMe(accounts_pb2.GetMeRequest(), metadata=gateway.principals.metadata(who))
    if not me.is_admin:
        raise refused
    return gateway.principals.metadata(who, scopes=(PLATFORM_ADMIN_SCOPE,))


@router.get(
    "/v1/admin/errors",
    response_model=ErrorPage,
    tags=["admin"],
    summary="Errors services reported, newest first (Aira administrators only)",
)
async def list_errors(
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    service: Annotated[str, Query(max_length=50, description="Only errors of this service")] = "",
    project_id: Annotated[str, Query(max_length=64, description="Only errors about this project")] = "",
):
    page = await gateway.clients.audit_log.ListErrors(
        audit_pb2.ListErrorsRequest(
            page=types_pb2.PageRequest(limit=limit, cursor=cursor), service=service, project_id=project_id
        ),
        metadata=await platform_admin_metadata(gateway, who),
    )
    return page_of(page)
