"""A project's tasks (planning) and the pull requests linked to them.

Every task has a key (``AIR-42``) that never changes; ``/tasks/{task_id}`` takes the id or the
key. Status: ``backlog → todo → in_progress → review → done``, one step forward or back; ``done``
is final but a planner may reopen it to ``todo`` (409 ``illegal-status-transition`` otherwise).
Planners (owner, admin, product manager) change everything; members change status and progress
and take (``assignee_id: "me"``) or drop a task themselves. ``estimated_hours`` is exact: send a
number or a decimal string (at most two decimals, 0–1000); it comes back as a string ("12.50").
Rules in full: ``services/planning/tasks.py``, ``services/planning/pull_requests.py`` and the
planning README.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import work_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["tasks"])

TaskType = Literal["development", "design", "testing", "documentation", "research", "ops"]
Status = Literal["backlog", "todo", "in_progress", "review", "done"]
Priority = Literal["low", "medium", "high", "critical"]
Complexity = Literal["low", "medium", "high"]
Provider = Literal["github", "gitlab", "bitbucket"]
PrState = Literal["open", "closed", "merged"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
Hours = Annotated[Decimal, Field(strict=False, ge=0, le=1000, decimal_places=2, allow_inf_nan=False)]
Items = Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)]
Skills = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=30)]
Id = Annotated[str, Field(max_length=64)]
IdFilter = Annotated[str, Query(max_length=64, description="An id, or 'none' for tasks without one")]
NULLABLE = ("feature_id", "sprint_id", "assignee_id", "due_date", "estimated_hours")


class TaskIn(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    proposed_solutions: Items = Field(default_factory=list)
    acceptance_criteria: Items = Field(default_factory=list)
    required_skills: Skills = Field(default_factory=list, description="Stored lowercase")
    type: TaskType = "development"
    priority: Priority = "medium"
    complexity: Complexity = "medium"
    status: Literal["backlog", "todo"] = "backlog"
    estimated_hours: Hours | None = None
    progress: int = Field(default=0, ge=0, le=100)
    due_date: date | None = Field(default=None, strict=False)
    feature_id: Id | None = None
    sprint_id: Id | None = Field(default=None, description="A sprint of the project that is not completed")
    assignee_id: Id | None = Field(default=None, description="A team member's id, or 'me'")


class TaskPatch(StrictBody):
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    proposed_solutions: Items | None = Field(default=None, description="Replaces every item")
    acceptance_criteria: Items | None = Field(default=None, description="Replaces every item")
    required_skills: Skills | None = Field(default=None, description="Replaces every skill")
    type: TaskType | None = None
    priority: Priority | None = None
    complexity: Complexity | None = None
    status: Status | None = None
    estimated_hours: Hours | None = Field(default=None, description="null clears it")
    progress: int | None = Field(default=None, ge=0, le=100)
    due_date: date | None = Field(default=None, strict=False, description="null clears it")
    feature_id: Id | None = Field(default=None, description="null takes the task off its feature")
    sprint_id: Id | None = Field(default=None, description="null takes the task out of its sprint")
    assignee_id: Id | None = Field(default=None, description="A team member's id, 'me', or null to unassign")


class PullRequestIn(StrictBody):
    provider: Provider
    repo_full_name: str = Field(min_length=3, max_length=300, description="owner/name")
    pr_number: int = Field(ge=1, le=2**31 - 1)
    pr_url: str = Field(default="", max_length=2000)
    pr_state: PrState = "open"
    title: str = Field(default="", max_length=500)
    branch: str = Field(default="", max_length=300)


class TaskOut(BaseModel):
    id: str
    project_id: str
    number: int
    key: str = Field(description="Project-unique, e.g. AIR-42")
    feature_id: str | None
    sprint_id: str | None
    assignee_id: str | None
    title: str
    description: str
    proposed_solutions: list[str]
    acceptance_criteria: list[str]
    required_skills: list[str]
    type: TaskType
    status: Status
    priority: Priority
    complexity: Complexity
    estimated_hours: str | None = Field(description='Exact decimal hours, e.g. "12.50"')
    progress: int
    due_date: date | None
    origin: Literal["manual", "breakdown", "import"]
    pull_request_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class PullRequestOut(BaseModel):
    id: str
    project_id: str
    task_id: str
    task_key: str
    provider: Provider
    repo_full_name: str
    pr_number: int
    pr_state: PrState
    pr_url: str
    title: str
    branch: str
    link_method: Literal["branch", "body", "manual"]
    merged_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class PullRequestList(BaseModel):
    items: list[PullRequestOut]


def task_out(message: work_pb2.Task) -> dict[str, Any]:
    body = from_proto(message)
    for name in NULLABLE:
        body[name] = body.get(name) or None
    body.setdefault("completed_at", None)
    return body


def pull_request_out(message: work_pb2.PullRequestLink) -> dict[str, Any]:
    body = from_proto(message)
    body.setdefault("merged_at", None)
    return body


def _ref(project_id: str, task_id: str) -> work_pb2.TaskRef:
    return work_pb2.TaskRef(project_id=project_id, task_id=task_id)


def _wire(name: str, value: Any) -> Any:
    """A body value as the contract carries it (hours and dates as text, null as "")."""
    if value is None:
        return ""
    if isinstance(value, (Decimal, date)):
        return str(value)
    return value


@router.post("/{project_id}/tasks", status_code=201, response_model=TaskOut, summary="Write a task (it gets a key)")
async def create_task(
    project_id: str, body: TaskIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    fields = {name: _wire(name, value) for name, value in body.model_dump().items()}
    reply = await gateway.clients.tasks.CreateTask(
        work_pb2.CreateTaskRequest(project_id=project_id, **fields),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    response.headers["location"] = f"/v1/projects/{project_id}/tasks/{reply.id}"
    return task_out(reply)


@router.get("/{project_id}/tasks", response_model=TaskPage, summary="Tasks, newest first or by key, filtered")
async def list_tasks(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: Status | None = None,
    assignee_id: IdFilter = "",
    sprint_id: IdFilter = "",
    feature_id: IdFilter = "",
    type: TaskType | None = None,
    priority: Priority | None = None,
    key: Annotated[str, Query(max_length=40, description="Exactly this key, any case")] = "",
    sort: Literal["created", "key"] = "created",
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.tasks.ListTasks(
        work_pb2.ListTasksRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            status=status or "",
            assignee_id=assignee_id,
            sprint_id=sprint_id,
            feature_id=feature_id,
            type=type or "",
            priority=priority or "",
            key=key,
            sort=sort,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [task_out(t) for t in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.get("/{project_id}/tasks/{task_id}", response_model=TaskOut, summary="One task, by id or key (AIR-42)")
async def get_task(project_id: str, task_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.tasks.GetTask(
        _ref(project_id, task_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return task_out(reply)


@router.patch(
    "/{project_id}/tasks/{task_id}",
    response_model=TaskOut,
    summary="Change a task (members: status, progress, taking or dropping it themselves)",
)
async def update_task(project_id: str, task_id: str, body: TaskPatch, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    request = work_pb2.UpdateTaskRequest(project_id=project_id, task_id=task_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if name in ("proposed_solutions", "acceptance_criteria", "required_skills"):
            if value is not None:
                getattr(request, name).extend(value)
                setattr(request, f"replace_{name}", True)
        elif value is not None or name in NULLABLE:
            setattr(request, name, _wire(name, value))
    reply = await gateway.clients.tasks.UpdateTask(request, metadata=await project_metadata(gateway, who, project_id))
    return task_out(reply)


@router.delete("/{project_id}/tasks/{task_id}", status_code=204, summary="Delete a task and its pull request links")
async def delete_task(project_id: str, task_id: str, who: CallerDep, gateway: State) -> Response:
    project_id = project_id_of(project_id)
    await gateway.clients.tasks.DeleteTask(
        _ref(project_id, task_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return Response(status_code=204)


@router.get(
    "/{project_id}/tasks/{task_id}/pull-requests",
    response_model=PullRequestList,
    summary="Pull requests linked to a task, oldest link first",
)
async def list_pull_requests(project_id: str, task_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.pull_requests.ListPullRequests(
        _ref(project_id, task_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return {"items": [pull_request_out(p) for p in reply.items]}


@router.post(
    "/{project_id}/tasks/{task_id}/pull-requests",
    status_code=201,
    response_model=PullRequestOut,
    summary="Link a pull request by hand (merged, with PR automation on, completes the task)",
)
async def link_pull_request(
    project_id: str,
    task_id: str,
    body: PullRequestIn,
    who: CallerDep,
    gateway: State,
    idempotency: IdempotencyDep,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.pull_requests.LinkPullRequest(
        work_pb2.LinkPullRequestRequest(project_id=project_id, task_id=task_id, **body.model_dump()),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return pull_request_out(reply)


@router.delete(
    "/{project_id}/tasks/{task_id}/pull-requests/{link_id}",
    status_code=204,
    summary="Remove a pull request link (the task keeps its status)",
)
async def unlink_pull_request(project_id: str, task_id: str, link_id: str, who: CallerDep, gateway: State) -> Response:
    project_id = project_id_of(project_id)
    await gateway.clients.pull_requests.UnlinkPullRequest(
        work_pb2.UnlinkPullRequestRequest(project_id=project_id, task_id=task_id, link_id=link_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return Response(status_code=204)
