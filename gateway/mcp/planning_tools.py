"""Planning's MCP tools: the granted project's features and tasks, and writing a task.

They answer what the REST routes answer (the same ``feature_out`` / ``task_out`` shapes), for the
grant's one project only. Writing needs the ``write`` scope and a role that may plan; planning
checks both, and a refusal reaches the model as a readable tool error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import work_pb2
from gateway.mcp.calls import call, grant_of
from gateway.mcp.provider import McpAccessToken
from gateway.routes.features import Status as FeatureStatus
from gateway.routes.features import feature_out
from gateway.routes.tasks import Priority, TaskType, task_out
from gateway.routes.tasks import Status as TaskStatus

if TYPE_CHECKING:
    from gateway.mcp.endpoint import McpEndpoint

Limit = Annotated[int, Field(ge=1, le=100, description="How many to return (default 20)")]
Cursor = Annotated[str, Field(max_length=512, description="next_cursor of the previous page, to continue")]
Filter = Annotated[str, Field(max_length=64, description="An id, or 'none' for tasks without one")]


def register(endpoint: McpEndpoint) -> None:
    server = endpoint.server

    def metadata(grant: McpAccessToken) -> tuple[tuple[str, str], ...]:
        return endpoint.state.principals.metadata(grant.caller())

    @server.tool(
        name="list_features",
        description="The project's features, highest RICE priority score first (unscored last), "
        "optionally only those with one status.",
    )
    async def list_features(
        ctx: Context, status: FeatureStatus | None = None, limit: Limit = 20, cursor: Cursor = ""
    ) -> dict[str, Any]:
        grant = grant_of(ctx)
        reply = await call(
            endpoint.state.clients.features.ListFeatures(
                work_pb2.ListFeaturesRequest(
                    project_id=grant.project_id,
                    page=types_pb2.PageRequest(limit=limit, cursor=cursor),
                    status=status or "",
                    sort="priority_score",
                ),
                metadata=metadata(grant),
            )
        )
        return {"items": [feature_out(f) for f in reply.items], "next_cursor": reply.page.next_cursor or None}

    @server.tool(
        name="list_tasks",
        description="The project's tasks, newest first, filtered by status, assignee (a team member id, "
        "or 'none'), sprint, feature or priority.",
    )
    async def list_tasks(
        ctx: Context,
        status: TaskStatus | None = None,
        assignee_id: Filter = "",
        sprint_id: Filter = "",
        feature_id: Filter = "",
        priority: Priority | None = None,
        limit: Limit = 20,
        cursor: Cursor = "",
    ) -> dict[str, Any]:
        grant = grant_of(ctx)
        reply = await call(
            endpoint.state.clients.tasks.ListTasks(
                work_pb2.ListTasksRequest(
                    project_id=grant.project_id,
                    page=types_pb2.PageRequest(limit=limit, cursor=cursor),
                    status=status or "",
                    assignee_id=assignee_id,
                    sprint_id=sprint_id,
                    feature_id=feature_id,
                    priority=priority or "",
                ),
                metadata=metadata(grant),
            )
        )
        return {"items": [task_out(t) for t in reply.items], "next_cursor": reply.page.next_cursor or None}

    @server.tool(name="get_task", description="One task of the project, by its key (e.g. AIR-42) or id.")
    async def get_task(ctx: Context, task: Annotated[str, Field(min_length=1, max_length=64)]) -> dict[str, Any]:
        grant = grant_of(ctx)
        reply = await call(
            endpoint.state.clients.tasks.GetTask(
                work_pb2.TaskRef(project_id=grant.project_id, task_id=task), metadata=metadata(grant)
            )
        )
        return task_out(reply)

    @server.tool(
        name="create_task",
        description="Write a task in the project's backlog (needs the write scope and a role that plans). "
        "It gets a key such as AIR-42.",
    )
    async def create_task(
        ctx: Context,
        title: Annotated[str, Field(min_length=1, max_length=300)],
        description: Annotated[str, Field(max_length=20_000)] = "",
        acceptance_criteria: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)] = [],  # noqa: B006 (a schema default, never mutated)
        type: TaskType = "development",
        priority: Priority = "medium",
        estimated_hours: Annotated[Decimal | None, Field(ge=0, le=1000, decimal_places=2)] = None,
        required_skills: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=30)] = [],  # noqa: B006
        feature_id: Annotated[str, Field(max_length=64)] = "",
    ) -> dict[str, Any]:
        grant = grant_of(ctx)
        reply = await call(
            endpoint.state.clients.tasks.CreateTask(
                work_pb2.CreateTaskRequest(
                    project_id=grant.project_id,
                    title=title,
                    description=description,
                    acceptance_criteria=acceptance_criteria,
                    type=type,
                    priority=priority,
                    estimated_hours="" if estimated_hours is None else str(estimated_hours),
                    required_skills=required_skills,
                    feature_id=feature_id,
                    status="backlog",
                ),
                metadata=metadata(grant),
            )
        )
        return task_out(reply)
