"""A project's sprints and sprint planning requests (planning), and the progress stream of long runs.

Sprints are numbered 1, 2, … per project and move ``planned → active → completed``; one sprint is
active at a time (409 ``sprint-already-active``) unless the project's settings allow parallel
sprints. Completing carries unfinished tasks to ``carry_over_to``: a planned sprint's id, ``next``
(the default: the next planned sprint, created when there is none) or ``backlog``. Hours are exact
decimals as strings ("12.50"); velocity is the mean completed hours of the last 3 completed sprints.

A sprint plan request answers 202 at once; the plan is solved in the background. Follow it with
``GET …/sprint-plans/{plan_id}/events`` (Server-Sent Events) or poll ``GET …/sprint-plans/{plan_id}``,
then ``POST …/apply``. Rules in full: ``services/planning/sprints.py`` and ``sprint_plans.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import runs_pb2, sprints_pb2
from gateway import sse
from gateway.auth import Caller
from gateway.deps import CallerDep, GatewayState, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["sprints"])

SprintStatus = Literal["planned", "active", "completed"]
RunStatus = Literal["queued", "running", "completed", "failed"]
RequestType = Literal["next_sprint", "features", "backlog"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
Id = Annotated[str, Field(max_length=64)]
When = Annotated[datetime, Field(strict=False, description="ISO 8601 date or date-time (UTC when no zone is given)")]
HoursIn = Annotated[float, Field(strict=False, ge=0, le=10_000, allow_inf_nan=False)]
ProgressAfter = Annotated[
    int, Query(ge=0, le=sse.INT32_MAX, description="Start after this sequence (Last-Event-ID wins)")
]
SSE_DESCRIPTION = (
    "Sends the run's progress steps after `Last-Event-ID` (or `?after=`; from the start when neither "
    "is given), then each new one as it happens, and ends after the final step. `id` is the step's "
    "sequence, `event` is `progress` (the final step: `completed` or `failed`), `data` the step as JSON. "
    "A comment line is sent as a heartbeat. Reconnect with `Last-Event-ID` to carry on where it stopped."
)
SSE_RESPONSES = sse.responses("The run's progress steps")


# --- bodies --------------------------------------------------------------------------------


class SprintIn(StrictBody):
    name: str = Field(default="", max_length=200, description='Defaults to "Sprint N"')
    goal: str = Field(default="", max_length=5_000)
    start_date: When | None = None
    end_date: When | None = None


class SprintPatch(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    goal: str | None = Field(default=None, max_length=5_000)
    start_date: When | None = Field(default=None, description="null clears it; not once the sprint completed")
    end_date: When | None = Field(default=None, description="null clears it; not once the sprint completed")


class CompleteIn(StrictBody):
    carry_over_to: str = Field(
        default="next", max_length=64, description='A planned sprint\'s id, "next" (default) or "backlog"'
    )


class SprintTasksOut(BaseModel):
    total: int
    by_status: dict[str, int]
    committed_hours: str
    completed_hours: str
    unestimated: int = Field(description="Tasks without an estimate (they count 0 hours)")


class SprintOut(BaseModel):
    id: str
    project_id: str
    number: int
    name: str
    goal: str
    status: SprintStatus
    committed_hours: str = Field(description="Exact; frozen when the sprint completes")
    completed_hours: str = Field(description="Exact; frozen when the sprint completes")
    velocity: str | None = Field(description="Set when the sprint completes: mean completed hours of the last 3")
    story_ids: list[str] = Field(description="Features of the sprint's tasks")
    start_date: datetime | None = None
    end_date: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    tasks: SprintTasksOut = Field(description="What the sprint holds now")


class SprintPage(BaseModel):
    items: list[SprintOut]
    next_cursor: str | None


class CompletionOut(BaseModel):
    sprint: SprintOut
    carried_over_task_ids: list[str]
    carried_over_to: SprintOut | None = None
    created_next_sprint: bool


class PlanMemberIn(StrictBody):
    id: Id = Field(description="A team member's id: overrides their roster entry, or adds a member")
    name: str = Field(default="", max_length=200)
    skills: (
        dict[Annotated[str, Field(max_length=100)], Annotated[int, Field(ge=1, le=5)]]
        | list[Annotated[str, Field(max_length=100)]]
        | None
    ) = Field(default=None, description="Skill → level 1–5, or names (level 3 each)")
    capacity_hours_per_sprint: HoursIn | None = Field(
        default=None, description="Required for members not on the roster"
    )
    current_load_hours: HoursIn | None = None


class SprintPlanIn(StrictBody):
    request_type: RequestType = "next_sprint"
    sprint_id: Id | None = Field(default=None, description="A planned sprint; default: a new next sprint on apply")
    feature_ids: list[Id] = Field(default_factory=list, max_length=200, description="With request_type features")
    members: list[PlanMemberIn] = Field(default_factory=list, max_length=500)
    strict_skills: bool = Field(default=False, description="Only members with every required skill take a task")
    time_limit_seconds: float | None = Field(default=None, strict=False, gt=0, le=30, description="Default 5")


class ApplyIn(StrictBody):
    sprint_id: Id | None = Field(default=None, description="Default: the request's sprint, else a new next sprint")


class PlanMemberOut(BaseModel):
    id: str
    name: str
    skills: dict[str, int]
    capacity_hours_per_sprint: float
    current_load_hours: float


class PlannedTaskOut(BaseModel):
    task_id: str
    task_key: str
    title: str
    priority: str
    hours: float
    assignee_id: str
    assignee_name: str
    value: float
    why_in: str
    who_and_why: str
    feature_id: str


class LeftOutTaskOut(BaseModel):
    task_id: str
    task_key: str
    title: str
    priority: str
    hours: float
    reason: str = Field(description="A stable slug, e.g. no-capacity, not-estimated, no-longer-open")
    why_out: str


class MemberLoadOut(BaseModel):
    member_id: str
    name: str
    capacity_hours: float
    current_load_hours: float
    planned_hours: float
    remaining_hours: float
    utilisation: float | None = Field(default=None, description="(load + planned) / capacity; null at 0 capacity")


class PlanOut(BaseModel):
    planned: list[PlannedTaskOut]
    left_out: list[LeftOutTaskOut]
    members: list[MemberLoadOut]
    total_value: float
    planned_hours: float
    available_hours: float
    solver: str
    status: str = Field(description="optimal, feasible or greedy_fallback")
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float
    note: str


class SprintPlanOut(BaseModel):
    id: str
    project_id: str
    request_type: RequestType
    status: RunStatus
    sprint_id: str | None
    feature_ids: list[str]
    strict_skills: bool
    time_limit_seconds: float
    candidate_count: int = Field(description="Open tasks gathered when the request was made")
    members: list[PlanMemberOut] | None = Field(default=None, description="The roster the plan used (not in lists)")
    plan: PlanOut | None = Field(default=None, description="Once completed (not in lists)")
    error: str
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    applied_at: datetime | None = None


class SprintPlanPage(BaseModel):
    items: list[SprintPlanOut]
    next_cursor: str | None


class SkippedOut(BaseModel):
    task_id: str
    reason: str


class ApplicationOut(BaseModel):
    plan: SprintPlanOut
    sprint: SprintOut
    applied_task_ids: list[str]
    skipped: list[SkippedOut]
    created_sprint: bool


# --- translation ---------------------------------------------------------------------------


def sprint_out(message: sprints_pb2.Sprint) -> dict[str, Any]:
    body = from_proto(message)
    body["velocity"] = body.get("velocity") or None
    return body


def plan_out(message: sprints_pb2.SprintPlanRequest, *, full: bool = True) -> dict[str, Any]:
    body = from_proto(message)
    body["sprint_id"] = body.get("sprint_id") or None
    if not full:
        body.pop("members", None)
    if not message.has_plan:
        body.pop("plan", None)
    body.pop("has_plan", None)
    for member in body.get("members") or ():
        member.setdefault("capacity_hours_per_sprint", 0.0)
        member.setdefault("current_load_hours", 0.0)
        member.pop("skill_names", None)
    return body


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ref(project_id: str, sprint_id: str) -> sprints_pb2.SprintRef:
    return sprints_pb2.SprintRef(project_id=project_id, sprint_id=sprint_id)


# --- sprints -------------------------------------------------------------------------------


@router.post(
    "/{project_id}/sprints", status_code=201, response_model=SprintOut, summary="Add the next sprint (numbered)"
)
async def create_sprint(
    project_id: str, body: SprintIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    request = sprints_pb2.CreateSprintRequest(project_id=project_id, name=body.name, goal=body.goal)
    for name in ("start_date", "end_date"):
        if (value := getattr(body, name)) is not None:
            getattr(request, name).FromDatetime(_utc(value))
    reply = await gateway.clients.sprints.CreateSprint(
        request, metadata=await project_metadata(gateway, who, project_id) + idempotency
    )
    response.headers["location"] = f"/v1/projects/{project_id}/sprints/{reply.id}"
    return sprint_out(reply)


@router.get("/{project_id}/sprints", response_model=SprintPage, summary="Sprints, highest number first")
async def list_sprints(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: SprintStatus | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprints.ListSprints(
        sprints_pb2.ListSprintsRequest(
            project_id=project_id, page=types_pb2.PageRequest(limit=limit, cursor=cursor), status=status or ""
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [sprint_out(s) for s in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.get("/{project_id}/sprints/{sprint_id}", response_model=SprintOut, summary="A sprint and what it holds")
async def get_sprint(project_id: str, sprint_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprints.GetSprint(
        _ref(project_id, sprint_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return sprint_out(reply)


@router.patch(
    "/{project_id}/sprints/{sprint_id}",
    response_model=SprintOut,
    summary="Change name, goal or dates (dates only until the sprint completes)",
)
async def update_sprint(project_id: str, sprint_id: str, body: SprintPatch, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    request = sprints_pb2.UpdateSprintRequest(project_id=project_id, sprint_id=sprint_id)
    sent = body.model_fields_set
    for name in ("name", "goal"):
        if name in sent and getattr(body, name) is not None:
            setattr(request, name, getattr(body, name))
    for name in ("start_date", "end_date"):
        if name in sent:
            if (value := getattr(body, name)) is None:
                setattr(request, f"clear_{name}", True)
            else:
                getattr(request, name).FromDatetime(_utc(value))
    reply = await gateway.clients.sprints.UpdateSprint(
        request, metadata=await project_metadata(gateway, who, project_id)
    )
    return sprint_out(reply)


@router.post(
    "/{project_id}/sprints/{sprint_id}/start",
    response_model=SprintOut,
    summary="Start a planned sprint (409 sprint-already-active while another is active)",
)
async def start_sprint(project_id: str, sprint_id: str, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprints.StartSprint(
        _ref(project_id, sprint_id), metadata=await project_metadata(gateway, who, project_id) + idempotency
    )
    return sprint_out(reply)


@router.post(
    "/{project_id}/sprints/{sprint_id}/complete",
    response_model=CompletionOut,
    summary="Complete the active sprint, carrying unfinished tasks over",
)
async def complete_sprint(
    project_id: str,
    sprint_id: str,
    who: CallerDep,
    gateway: State,
    idempotency: IdempotencyDep,
    body: CompleteIn | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprints.CompleteSprint(
        sprints_pb2.CompleteSprintRequest(
            project_id=project_id, sprint_id=sprint_id, carry_over_to=body.carry_over_to if body else ""
        ),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return {
        "sprint": sprint_out(reply.sprint),
        "carried_over_task_ids": list(reply.carried_over_task_ids),
        "carried_over_to": sprint_out(reply.carried_over_to) if reply.HasField("carried_over_to") else None,
        "created_next_sprint": reply.created_next_sprint,
    }


# --- sprint plans --------------------------------------------------------------------------


def _member(member: PlanMemberIn) -> sprints_pb2.PlanMember:
    message = sprints_pb2.PlanMember(id=member.id, name=member.name)
    if isinstance(member.skills, dict):
        message.skills.update(member.skills)
    elif member.skills is not None:
        message.skill_names.extend(member.skills)
    if member.capacity_hours_per_sprint is not None:
        message.capacity_hours_per_sprint = member.capacity_hours_per_sprint
    if member.current_load_hours is not None:
        message.current_load_hours = member.current_load_hours
    return message


@router.post(
    "/{project_id}/sprint-plans",
    status_code=202,
    response_model=SprintPlanOut,
    summary="Ask for a sprint plan; it is solved in the background (follow its events)",
)
async def request_sprint_plan(
    project_id: str, body: SprintPlanIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprint_plans.RequestSprintPlan(
        sprints_pb2.RequestSprintPlanRequest(
            project_id=project_id,
            request_type=body.request_type,
            sprint_id=body.sprint_id or "",
            feature_ids=body.feature_ids,
            members=[_member(m) for m in body.members],
            strict_skills=body.strict_skills,
            time_limit_seconds=body.time_limit_seconds or 0.0,
        ),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    response.headers["location"] = f"/v1/projects/{project_id}/sprint-plans/{reply.id}"
    return plan_out(reply)


@router.get("/{project_id}/sprint-plans", response_model=SprintPlanPage, summary="Sprint plan requests, newest first")
async def list_sprint_plans(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: RunStatus | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprint_plans.ListSprintPlans(
        sprints_pb2.ListSprintPlansRequest(
            project_id=project_id, page=types_pb2.PageRequest(limit=limit, cursor=cursor), status=status or ""
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [plan_out(p, full=False) for p in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.get(
    "/{project_id}/sprint-plans/{plan_id}",
    response_model=SprintPlanOut,
    summary="A sprint plan request with its roster and, once completed, the explained plan",
)
async def get_sprint_plan(project_id: str, plan_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprint_plans.GetSprintPlan(
        sprints_pb2.SprintPlanRef(project_id=project_id, plan_id=plan_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return plan_out(reply)


@router.get(
    "/{project_id}/sprint-plans/{plan_id}/events",
    response_class=StreamingResponse,
    summary="A sprint plan's progress as it happens (Server-Sent Events)",
    description=SSE_DESCRIPTION,
    responses=SSE_RESPONSES,
)
async def sprint_plan_events(
    project_id: str,
    plan_id: str,
    who: CallerDep,
    gateway: State,
    last_event_id: sse.LastEventId = None,
    after: ProgressAfter = 0,
) -> StreamingResponse:
    return await progress_stream(gateway, who, project_id, "sprint_plan", plan_id, last_event_id, after)


@router.post(
    "/{project_id}/sprint-plans/{plan_id}/apply",
    response_model=ApplicationOut,
    summary="Put a completed plan's tasks into its sprint with their assignees (once)",
)
async def apply_sprint_plan(
    project_id: str,
    plan_id: str,
    who: CallerDep,
    gateway: State,
    idempotency: IdempotencyDep,
    body: ApplyIn | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sprint_plans.ApplySprintPlan(
        sprints_pb2.ApplySprintPlanRequest(
            project_id=project_id, plan_id=plan_id, sprint_id=(body.sprint_id or "") if body else ""
        ),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return {
        "plan": plan_out(reply.plan),
        "sprint": sprint_out(reply.sprint),
        "applied_task_ids": list(reply.applied_task_ids),
        "skipped": [from_proto(s) for s in reply.skipped],
        "created_sprint": reply.created_sprint,
    }


# --- progress over Server-Sent Events --------------------------------------------------------


async def progress_stream(
    gateway: GatewayState,
    who: Caller,
    project_id: str,
    run_type: str,
    run_id: str,
    last_event_id: str | None,
    after: int,
) -> StreamingResponse:
    """The SSE response relaying ``Runs.WatchProgress`` of one run; refusals (404, 403) come as
    problems before any byte of the stream."""
    project_id = project_id_of(project_id)
    after = sse.resume_after(last_event_id, after, most=sse.INT32_MAX)
    metadata = await project_metadata(gateway, who, project_id)
    call = gateway.clients.runs.WatchProgress(
        runs_pb2.WatchProgressRequest(project_id=project_id, run_type=run_type, run_id=run_id, after_sequence=after),
        metadata=metadata,
        timeout=gateway.settings.sse_max_seconds,
    )
    return await sse.relay(call, progress_event, heartbeat=gateway.settings.sse_heartbeat_seconds)


def progress_event(step: runs_pb2.RunProgress) -> bytes:
    """One step in SSE framing: its sequence as id, ``progress`` (or the final step) as event name."""
    return sse.frame(step.sequence, step.step if step.final else "progress", from_proto(step))
