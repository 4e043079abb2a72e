"""The signed-in user, their projects, and each project's audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from aira.agents.v1 import audit_pb2
from aira.common.v1 import types_pb2
from aira.identity.v1 import identity_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import (
    EventPage,
    ProjectIn,
    ProjectOut,
    ProjectPage,
    UserOut,
    event_out,
    project_out,
    user_out,
)

router = APIRouter(prefix="/v1", tags=["projects"])

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


@router.get("/me", response_model=UserOut, summary="The signed-in user")
async def me(who: CallerDep, gateway: State) -> UserOut:
    user = await gateway.clients.identity.GetMe(identity_pb2.GetMeRequest(), metadata=gateway.principals.metadata(who))
    return user_out(user)


@router.post("/projects", status_code=201, response_model=ProjectOut, summary="Create a project you own")
async def create_project(
    body: ProjectIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
) -> ProjectOut:
    project = await gateway.clients.identity.CreateProject(
        identity_pb2.CreateProjectRequest(name=body.name, description=body.description, vision=body.vision),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    response.headers["Location"] = f"/v1/projects/{project.id}"
    return project_out(project)


@router.get("/projects", response_model=ProjectPage, summary="Projects you are a member of, newest first")
async def list_projects(who: CallerDep, gateway: State, limit: Limit = 50, cursor: Cursor = "") -> ProjectPage:
    page = await gateway.clients.identity.ListProjects(
        identity_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=limit, cursor=cursor)),
        metadata=gateway.principals.metadata(who),
    )
    return ProjectPage(items=[project_out(p) for p in page.items], next_cursor=page.page.next_cursor or None)


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="One of your projects")
async def get_project(project_id: str, who: CallerDep, gateway: State) -> ProjectOut:
    project = await gateway.clients.identity.GetProject(
        identity_pb2.GetProjectRequest(project_id=project_id_of(project_id)),
        metadata=gateway.principals.metadata(who),
    )
    return project_out(project)


@router.get(
    "/projects/{project_id}/events",
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
) -> EventPage:
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
    return EventPage(items=[event_out(e) for e in page.items], next_cursor=page.page.next_cursor or None)
