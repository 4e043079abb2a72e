"""The signed-in person: profile, password, security log, per-project preferences, connected MCP clients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from google.protobuf.struct_pb2 import Struct
from pydantic import BaseModel

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, mcp_oauth_pb2
from gateway.deps import CallerDep, State, project_id_of
from gateway.schemas import (
    AuditPage,
    ChangePasswordIn,
    PreferencesIn,
    PreferencesOut,
    UpdateMeIn,
    UserOut,
    from_proto,
    page_of,
)

router = APIRouter(prefix="/v1/me", tags=["me"])

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


@router.get("", response_model=UserOut, summary="The signed-in user")
async def me(who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.accounts.GetMe(accounts_pb2.GetMeRequest(), metadata=gateway.principals.metadata(who))
    )


@router.patch("", response_model=UserOut, summary="Change your name")
async def update_me(body: UpdateMeIn, who: CallerDep, gateway: State):
    request = accounts_pb2.UpdateMeRequest()
    if body.name is not None:
        request.name = body.name
    return from_proto(await gateway.clients.accounts.UpdateMe(request, metadata=gateway.principals.metadata(who)))


@router.post("/password", status_code=204, summary="Change your password (every session ends)")
async def change_password(body: ChangePasswordIn, who: CallerDep, gateway: State) -> Response:
    await gateway.clients.accounts.ChangePassword(
        accounts_pb2.ChangePasswordRequest(current_password=body.current_password, new_password=body.new_password),
        metadata=gateway.principals.metadata(who),
    )
    return Response(status_code=204)


@router.get("/audit-log", response_model=AuditPage, summary="Your security log, newest first")
async def audit_log(who: CallerDep, gateway: State, limit: Limit = 50, cursor: Cursor = ""):
    reply = await gateway.clients.accounts.ListAuditLog(
        accounts_pb2.ListAuditLogRequest(page=types_pb2.PageRequest(limit=limit, cursor=cursor)),
        metadata=gateway.principals.metadata(who),
    )
    return page_of(reply)


@router.get("/preferences/{project_id}", response_model=PreferencesOut, summary="Your preferences in a project")
async def get_preferences(project_id: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.accounts.GetPreferences(
        accounts_pb2.GetPreferencesRequest(project_id=project_id_of(project_id)),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.put("/preferences/{project_id}", response_model=PreferencesOut, summary="Replace your preferences in a project")
async def put_preferences(project_id: str, body: PreferencesIn, who: CallerDep, gateway: State):
    values = Struct()
    values.update(body.preferences)
    reply = await gateway.clients.accounts.PutPreferences(
        accounts_pb2.PutPreferencesRequest(project_id=project_id_of(project_id), preferences=values),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


class McpGrantOut(BaseModel):
    grant_id: str
    client_id: str
    client_name: str
    project_id: str
    project_name: str
    scopes: list[str]
    connected_at: datetime
    refreshed_at: datetime
    expires_at: datetime


class McpGrantList(BaseModel):
    items: list[McpGrantOut]


def _when(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@router.get(
    "/mcp-grants",
    response_model=McpGrantList,
    summary="Your connected MCP clients (live grants), the latest refreshed first",
)
async def list_mcp_grants(who: CallerDep, gateway: State):
    reply = await gateway.clients.mcp_oauth.ListGrants(
        mcp_oauth_pb2.ListMcpGrantsRequest(), metadata=gateway.principals.metadata(who)
    )
    return {
        "items": [
            {
                "grant_id": g.grant_id,
                "client_id": g.client_id,
                "client_name": g.client_name,
                "project_id": g.project_id,
                "project_name": g.project_name,
                "scopes": list(g.scopes),
                "connected_at": _when(g.connected_at),
                "refreshed_at": _when(g.refreshed_at),
                "expires_at": _when(g.expires_at),
            }
            for g in reply.items
        ]
    }


@router.delete(
    "/mcp-grants/{grant_id}",
    status_code=204,
    summary="Disconnect an MCP client: every token of the grant stops working",
)
async def revoke_mcp_grant(grant_id: Annotated[str, Path(max_length=64)], who: CallerDep, gateway: State) -> Response:
    await gateway.clients.mcp_oauth.RevokeGrant(
        mcp_oauth_pb2.RevokeMcpGrantRequest(grant_id=grant_id), metadata=gateway.principals.metadata(who)
    )
    return Response(status_code=204)
