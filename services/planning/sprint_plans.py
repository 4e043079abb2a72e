"""Sprint planning requests: "plan the next sprint" as an explained plan, solved in the background.

**Request** (``plan``): validated and gathered while the caller's request is in hand — the
candidate tasks and the roster are stored in the request's ``parameters``, so the background job
calls no other service and the plan stays explainable after the roster changes (decision 0010).

- Candidates are open tasks (not done) that are in no sprint or in a planned one: ``next_sprint``
  takes all of them, ``features`` those of the named features, ``backlog`` only those in no
  sprint. At most MAX_CANDIDATES, the most important first (priority, feature score, number).
- The roster is team's (``Roster.ListMembers`` with the caller's principal); team answering
  UNIMPLEMENTED or UNAVAILABLE counts as no roster. Inline ``members`` override the roster entry
  with the same id field by field, or add members of their own (then with a capacity). Member
  ids are team member ids (UUIDs), since applying a plan assigns tasks to them. No member at all
  is 422 ``no-team-members``; no candidate task is 422 ``no-candidate-tasks``.
- Skills are compared case-insensitively (lowercased on both sides).

**Job** (``planning.sprint_plan``): steps ``collecting`` (which candidates are still open now;
the others are left out as ``no-longer-open``, tasks without an estimate as ``not-estimated``),
``solving`` (:func:`sprint_planner.plan_sprint` in a worker thread, within the request's time
limit), ``explaining``, and a final ``completed`` or ``failed`` written with the result. A
planner error fails the request (``planning.sprint_plan.failed.v1``); the job itself succeeds.

**Apply** (``plan``): the plan's tasks go into the target sprint — the one named, else the
request's, else a new next sprint — with their assignees; tasks in the backlog become ``todo``
(others keep their status); a task that is no longer open (done, deleted, or in an active or
completed sprint meanwhile) is skipped and reported. Hours are recounted. Once only (409
``plan-already-applied``), and only a completed plan (409 ``plan-not-completed``).

Events: ``planning.sprint_plan.<requested|completed|failed|applied>.v1`` (SprintPlanChanged).
Functions here only flush; the edge (gRPC handler, job) commits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.jobs import Job, enqueue
from services.chassis.pagination import cursor_time, decode_cursor, page_limit, time_cursor
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.planning import projects, run_progress, sprint_planner, sprints, tasks
from services.planning import sprint_repository as repository
from services.planning.insights import parse_id
from services.planning.models import PLAN_REQUEST_TYPES, RUN_STATUSES, SprintPlanningRequest
from services.planning.projects import AskIdentity
from services.planning.sprints import SprintView
from services.planning.tasks import hours_text, project_uuid

log = logging.getLogger(__name__)

JOB_KIND = "planning.sprint_plan"
JOB_ATTEMPTS = 3
DEFAULT_TIME_LIMIT = 5.0
MAX_TIME_LIMIT = 30.0
MAX_CANDIDATES = 5_000
MAX_FEATURES = 200
MAX_MEMBERS = 500
MAX_SKILLS = 100
MAX_SKILL = 100
MAX_HOURS = 10_000.0
MAX_NAME = 200

# A roster as team returns it (aira.team.v1.TeamMember messages), for the caller's project.
RosterLookup = Callable[[uuid.UUID], Awaitable[Sequence[Any]]]


@dataclass(frozen=True)
class MemberInput:
    """An inline member as requested: only the fields given override the roster."""

    id: str
    name: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    skill_names: Sequence[str] = ()
    capacity_hours_per_sprint: float | None = None
    current_load_hours: float | None = None


@dataclass(frozen=True)
class PlanInput:
    request_type: str
    sprint_id: str = ""
    feature_ids: Sequence[str] = ()
    members: Sequence[MemberInput] = ()
    strict_skills: bool = False
    time_limit_seconds: float = 0.0


@dataclass
class Application:
    """An applied plan: the request, the sprint and what moved."""

    request: SprintPlanningRequest
    sprint: SprintView
    applied: list[uuid.UUID]
    skipped: list[tuple[uuid.UUID, str]]
    created_sprint: bool


# --- events ----------------------------------------------------------------------------------


def _snapshot(request: SprintPlanningRequest) -> dict[str, Any]:
    parameters = request.parameters or {}
    return {
        "request_type": request.request_type,
        "status": request.status,
        "sprint_id": request.sprint_id,
        "candidate_count": len(parameters.get("tasks", [])),
        "member_count": len(parameters.get("members", [])),
        "error": request.error,
    }


def _changed(request: SprintPlanningRequest, action: str, changes: dict[str, Any] | None = None) -> Event:
    """``planning.sprint_plan.<action>.v1`` carrying SprintPlanChanged."""
    return Event(
        entity_type="sprint_plan",
        action=action,
        entity_id=str(request.id),
        project_id=request.project_id,
        payload=events_pb2.SprintPlanChanged(
            project_id=str(request.project_id),
            request_id=str(request.id),
            status=request.status,
            sprint_id=str(request.sprint_id) if request.sprint_id else "",
        ),
        changes=changes,
        snapshot=_snapshot(request),
    )


# --- validating a request --------------------------------------------------------------------


def _hours(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and 0 <= value <= MAX_HOURS):
        raise InvalidArgument(f"{what} must be between 0 and {MAX_HOURS:g}", slug="invalid-member", field="members")
    return float(value)


def _skills(member: MemberInput) -> dict[str, int] | None:
    """The member's skills as {lowercased skill: level}; None when the request gave none."""
    if not member.skills and not member.skill_names:
        return None
    levels: dict[str, int] = {}
    for raw, level in member.skills.items():
        name = tasks.skill_name(raw)
        if not name or len(name) > MAX_SKILL or not isinstance(level, int) or not 1 <= level <= 5:
            raise InvalidArgument(
                f"member {member.id}: skills map a name to a level from 1 to 5", slug="invalid-member", field="members"
            )
        levels[name] = level
    for raw in member.skill_names:
        name = tasks.skill_name(raw)
        if not name or len(name) > MAX_SKILL:
            raise InvalidArgument(f"member {member.id}: a skill name is empty or too long", slug="invalid-member")
        levels.setdefault(name, sprint_planner.LISTED_SKILL_LEVEL)
    if len(levels) > MAX_SKILLS:
        raise InvalidArgument(f"member {member.id}: at most {MAX_SKILLS} skills", slug="invalid-member")
    return levels


def _member_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise InvalidArgument(
            "member ids are team member ids (UUIDs)", slug="invalid-member-id", field="members"
        ) from exc


def _time_limit(value: float) -> float:
    if value == 0:
        return DEFAULT_TIME_LIMIT
    if not (math.isfinite(value) and 0 < value <= MAX_TIME_LIMIT):
        raise InvalidArgument(
            f"time_limit_seconds must be more than 0 and at most {MAX_TIME_LIMIT:g}",
            slug="invalid-time-limit",
            field="time_limit_seconds",
        )
    return float(value)


def _feature_ids(given: PlanInput) -> list[uuid.UUID]:
    if given.request_type != "features":
        if given.feature_ids:
            raise InvalidArgument("feature_ids go with request_type features", field="feature_ids")
        return []
    if not given.feature_ids:
        raise InvalidArgument("name the features to plan", slug="features-required", field="feature_ids")
    if len(given.feature_ids) > MAX_FEATURES:
        raise InvalidArgument(f"at most {MAX_FEATURES} features", field="feature_ids")
    ids: list[uuid.UUID] = []
    for value in given.feature_ids:
        try:
            feature = uuid.UUID(value)
        except ValueError as exc:
            raise InvalidArgument(
                "feature_ids must be feature ids", slug="unknown-feature", field="feature_ids"
            ) from exc
        if feature not in ids:
            ids.append(feature)
    return ids


# --- gathering -------------------------------------------------------------------------------


async def roster_or_none(lookup: RosterLookup, project: uuid.UUID) -> list[Any] | None:
    """Team's roster of the project; None when team has none to give (not implemented, down)."""
    try:
        return list(await lookup(project))
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE):
            log.info("no roster from team (%s); inline members only", exc.code().name)
            return None
        raise Unavailable(
            f"the team service could not list the roster: {exc.code().name}", slug="team-unavailable"
        ) from exc


def normalise_members(inline: Sequence[MemberInput]) -> list[dict[str, Any]]:
    """Inline members checked and normalised; a field not given is None (the roster's value stays)."""
    if len(inline) > MAX_MEMBERS:
        raise InvalidArgument(f"at most {MAX_MEMBERS} members", field="members")
    normalised: list[dict[str, Any]] = []
    seen: set[str] = set()
    for given in inline:
        member_id = _member_id(given.id)
        if member_id in seen:
            raise InvalidArgument(f"member {member_id} appears twice", slug="duplicate-member-id", field="members")
        seen.add(member_id)
        normalised.append(
            {
                "id": member_id,
                "name": " ".join(given.name.split())[:MAX_NAME] or None,
                "skills": _skills(given),
                "capacity_hours_per_sprint": _hours(given.capacity_hours_per_sprint, "capacity_hours_per_sprint"),
                "current_load_hours": _hours(given.current_load_hours, "current_load_hours"),
            }
        )
    return normalised


def merge_members(roster: Sequence[Any] | None, inline: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The members the planner gets: the roster, each overridden field by field by the inline
    member with its id, then inline members of their own (who must say their capacity)."""
    members: dict[str, dict[str, Any]] = {}
    for entry in roster or ():
        members[str(entry.id)] = {
            "id": str(entry.id),
            "name": entry.name,
            "skills": {tasks.skill_name(k): int(v) for k, v in entry.skills.items() if 1 <= v <= 5},
            "capacity_hours_per_sprint": float(entry.capacity_hours_per_sprint),
            "current_load_hours": float(entry.current_load_hours),
        }
    for given in inline:
        member = members.get(given["id"])
        if member is None:
            if given["capacity_hours_per_sprint"] is None:
                raise InvalidArgument(
                    f"member {given['id']} is not on the team's roster: give capacity_hours_per_sprint",
                    slug="invalid-member",
                    field="members",
                )
            member = members[given["id"]] = {
                "id": given["id"],
                "name": given["id"],
                "skills": {},
                "capacity_hours_per_sprint": 0.0,
                "current_load_hours": 0.0,
            }
        member.update({k: v for k, v in given.items() if v is not None})
    return list(members.values())


def _task_snapshot(task: Any, score: float | None) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "key": task.key,
        "title": task.title,
        "priority": task.priority,
        "estimated_hours": hours_text(task.estimated_hours) or None,
        "required_skills": [tasks.skill_name(str(s)) for s in task.required_skills or [] if str(s).strip()],
        "priority_score": score if score is not None and math.isfinite(score) else None,
        "assignee_id": str(task.assignee_id) if task.assignee_id else None,
        "feature_id": str(task.feature_id) if task.feature_id else None,
    }


async def request_plan(
    uow: UnitOfWork, project_id: str, given: PlanInput, roster: RosterLookup
) -> SprintPlanningRequest:
    """Record a planning request with its candidates and roster, and queue its job (plan);
    ``planning.sprint_plan.requested.v1``."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    if given.request_type not in PLAN_REQUEST_TYPES:
        raise InvalidArgument(
            f"request_type must be one of {', '.join(PLAN_REQUEST_TYPES)}", slug="invalid-request-type"
        )
    feature_ids = _feature_ids(given)
    time_limit = _time_limit(given.time_limit_seconds)
    inline = normalise_members(given.members)
    # Ask team before any transaction opens: no lock waits on another service.
    members = merge_members(await roster_or_none(roster, project), inline)
    if not members:
        raise InvalidArgument(
            "the team has no members to plan with: add them to the team, or pass members",
            slug="no-team-members",
        )
    sprint_id = None
    if given.sprint_id:
        sprint = await sprints.load(uow, project, given.sprint_id)
        if sprint.status != "planned":
            raise FailedPrecondition(
                f"plans are made for planned sprints; this one is {sprint.status}", slug="sprint-not-planned"
            )
        sprint_id = sprint.id
    if feature_ids:
        known = await repository.existing_feature_ids(uow, project, feature_ids)
        if missing := [str(f) for f in feature_ids if f not in known]:
            raise InvalidArgument(f"no such feature: {', '.join(missing)}", slug="unknown-feature", field="feature_ids")
    candidates = await repository.candidate_tasks(
        uow, project, backlog_only=given.request_type == "backlog", feature_ids=feature_ids, limit=MAX_CANDIDATES + 1
    )
    if not candidates:
        raise InvalidArgument("there is no open task to plan", slug="no-candidate-tasks")
    request = await repository.add_plan_request(
        uow,
        SprintPlanningRequest(
            id=uuid7(),
            project_id=project,
            request_type=given.request_type,
            status="queued",
            sprint_id=sprint_id,
            parameters={
                "feature_ids": [str(f) for f in feature_ids],
                "strict_skills": given.strict_skills,
                "time_limit_seconds": time_limit,
                "members": members,
                "tasks": [_task_snapshot(task, score) for task, score in candidates[:MAX_CANDIDATES]],
                "truncated": len(candidates) > MAX_CANDIDATES,
            },
            created_by=principal.subject,
        ),
    )
    await enqueue(
        uow.session,
        uow.infra,
        JOB_KIND,
        {"project_id": str(project), "request_id": str(request.id)},
        idempotency_key=f"{JOB_KIND}:{request.id}",
        max_attempts=JOB_ATTEMPTS,
    )
    uow.emit(_changed(request, "requested"))
    return request


# --- reading ---------------------------------------------------------------------------------


async def load(uow: UnitOfWork, project: uuid.UUID, plan_id: str, *, lock: bool = False) -> SprintPlanningRequest:
    found = await repository.plan_request_of(
        uow, project, parse_id(plan_id, "sprint plan", missing="sprint-plan-not-found"), lock=lock
    )
    if found is None:
        raise NotFound("no such sprint plan", slug="sprint-plan-not-found")
    return found


async def get_plan(uow: UnitOfWork, project_id: str, plan_id: str) -> SprintPlanningRequest:
    """One planning request of the project with its plan (read)."""
    require(context.principal.get(), project_id, Action.READ)
    return await load(uow, project_uuid(project_id), plan_id)


async def list_plans(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str = ""
) -> tuple[list[SprintPlanningRequest], str]:
    """One page of the project's planning requests, newest first, and the next cursor (read)."""
    require(context.principal.get(), project_id, Action.READ)
    limit = page_limit(limit)
    if status and status not in RUN_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(RUN_STATUSES)}", field="status")
    rows = await repository.page_plan_requests(
        uow, project_uuid(project_id), limit=limit + 1, after=cursor_time(decode_cursor(cursor)), status=status
    )
    page = rows[:limit]
    next_cursor = ""
    if len(rows) > limit:
        next_cursor = time_cursor(page[-1].created_at, page[-1].id)
    return page, next_cursor


# --- the job ---------------------------------------------------------------------------------


def _planner_inputs(
    tasks: Sequence[Mapping[str, Any]], members: Sequence[Mapping[str, Any]], still_open: set[str]
) -> tuple[list[sprint_planner.Task], list[sprint_planner.Member], list[dict[str, Any]]]:
    """The planner's tasks and members, and the tasks left out before solving (with why)."""
    member_ids = {m["id"] for m in members}
    planner_members = [
        sprint_planner.Member(
            id=m["id"],
            name=m["name"],
            skills=dict(m.get("skills") or {}),
            capacity_hours=float(m["capacity_hours_per_sprint"]),
            current_load_hours=float(m.get("current_load_hours") or 0.0),
        )
        for m in members
    ]
    planner_tasks: list[sprint_planner.Task] = []
    left_out: list[dict[str, Any]] = []
    for task in tasks:
        hours = Decimal(task["estimated_hours"]) if task.get("estimated_hours") else Decimal(0)
        if task["id"] not in still_open:
            left_out.append(
                _left_out(
                    task, float(hours), "no-longer-open", "It was done or put into an active sprint after the request."
                )
            )
        elif hours <= 0:
            left_out.append(
                _left_out(
                    task, 0.0, "not-estimated", "It has no estimate, so it cannot be fitted into anyone's capacity."
                )
            )
        else:
            planner_tasks.append(
                sprint_planner.Task(
                    id=task["id"],
                    title=task["title"],
                    priority=task["priority"],
                    estimated_hours=float(hours),
                    required_skills=tuple(task.get("required_skills") or ()),
                    priority_score=task.get("priority_score"),
                    assignee_id=task["assignee_id"] if task.get("assignee_id") in member_ids else None,
                    feature_id=task.get("feature_id"),
                )
            )
    return planner_tasks, planner_members, left_out


def _left_out(task: Mapping[str, Any], hours: float, reason: str, why: str) -> dict[str, Any]:
    return {
        "task_id": task["id"],
        "task_key": task.get("key", ""),
        "title": task["title"],
        "priority": task["priority"],
        "hours": hours,
        "reason": reason,
        "why_out": why,
    }


def plan_document(
    plan: sprint_planner.SprintPlan, tasks: Sequence[Mapping[str, Any]], left_out_before: list[dict[str, Any]]
) -> dict[str, Any]:
    """The plan as stored (the JSON form of the contract's SprintPlan), with task keys and features."""
    by_id = {t["id"]: t for t in tasks}
    document = {k: v for k, v in dataclasses.asdict(plan).items() if v is not None}
    for entry in document["planned"]:
        task = by_id.get(entry["task_id"], {})
        entry["task_key"] = task.get("key", "")
        entry["feature_id"] = task.get("feature_id") or ""
    for entry in document["left_out"]:
        entry["task_key"] = by_id.get(entry["task_id"], {}).get("key", "")
    document["left_out"] = [*document["left_out"], *left_out_before]
    document["members"] = [{k: v for k, v in m.items() if v is not None} for m in document["members"]]
    return document


async def run_plan_job(uow: UnitOfWork, job: Job, *, progress: UnitOfWorkFactory) -> None:
    """Solve a queued planning request (the ``planning.sprint_plan`` job). On its last attempt a
    job that breaks fails the request rather than leaving it running forever."""
    project = uuid.UUID(job.payload["project_id"])
    request_id = uuid.UUID(job.payload["request_id"])
    await run_progress.fail_on_last_attempt(
        uow,
        job,
        _solve(uow, project, request_id, progress),
        fail=lambda error: _finish(uow, project, request_id, None, error),
        name=f"sprint plan {request_id}",
    )


async def _solve(uow: UnitOfWork, project: uuid.UUID, request_id: uuid.UUID, progress: UnitOfWorkFactory) -> None:
    step = {"project_id": project, "run_id": request_id}
    async with progress() as work:
        request = await repository.plan_request_of(work, project, request_id)
        if request is None or request.status in ("completed", "failed"):
            return
        parameters = request.parameters
        tasks, members = parameters.get("tasks", []), parameters.get("members", [])
        await repository.mark_running(work, request_id)
        await run_progress.record(
            work,
            **step,
            step="collecting",
            done=0,
            total=len(tasks),
            message=f"checking {len(tasks)} candidate tasks against the board; {len(members)} members",
        )
        open_now = await repository.candidate_tasks(
            work,
            project,
            backlog_only=request.request_type == "backlog",
            task_ids=[uuid.UUID(t["id"]) for t in tasks],
            limit=len(tasks) + 1,
        )
        await work.commit()
    planner_tasks, planner_members, left_out = _planner_inputs(tasks, members, {str(t.id) for t, _ in open_now})
    time_limit = float(parameters.get("time_limit_seconds") or DEFAULT_TIME_LIMIT)
    await run_progress.record_now(
        progress,
        **step,
        step="solving",
        done=0,
        total=len(planner_tasks),
        message=(
            f"choosing among {len(planner_tasks)} tasks for {len(planner_members)} members (at most {time_limit:g} s)"
        ),
    )
    try:
        plan = await asyncio.to_thread(
            sprint_planner.plan_sprint,
            planner_tasks,
            planner_members,
            time_limit_seconds=time_limit,
            strict_skills=bool(parameters.get("strict_skills")),
        )
    except Exception as exc:  # the planner refused or broke: the request fails, the job is done
        log.warning("sprint plan %s failed: %s", request_id, exc)
        await _finish(uow, project, request_id, None, f"{type(exc).__name__}: {exc}")
        return
    await run_progress.record_now(
        progress,
        **step,
        step="explaining",
        done=len(plan.planned),
        total=len(planner_tasks),
        message=f"{len(plan.planned)} tasks chosen by {plan.solver} ({plan.status}); explaining each choice",
    )
    await _finish(uow, project, request_id, plan_document(plan, tasks, left_out), "")


async def _finish(
    uow: UnitOfWork, project: uuid.UUID, request_id: uuid.UUID, plan: dict[str, Any] | None, error: str
) -> None:
    """Store the plan (or the error) with the final step, in the job's transaction."""
    request = await repository.plan_request_of(uow, project, request_id, lock=True)
    if request is None or request.status in ("completed", "failed"):
        return
    now = datetime.now(UTC)
    request.status = "completed" if plan is not None else "failed"
    request.plan = plan
    request.error = error[:4000]
    request.finished_at = now
    request.started_at = request.started_at or now
    await uow.session.flush()
    if plan is not None:
        message = (
            f"{len(plan['planned'])} tasks planned, {plan['planned_hours']:g} of {plan['available_hours']:g} "
            f"hours; {len(plan['left_out'])} left out"
        )
    else:
        message = error
    await run_progress.record(
        uow, project_id=project, run_id=request_id, step=request.status, done=1, total=1, message=message, final=True
    )
    uow.emit(_changed(request, request.status, {"status": {"from": "running", "to": request.status}}))


# --- applying --------------------------------------------------------------------------------


async def apply_plan(
    uow: UnitOfWork, project_id: str, plan_id: str, ask: AskIdentity | None, *, sprint_id: str = ""
) -> Application:
    """Put a completed plan's tasks into its sprint with their assignees (plan), once;
    ``planning.sprint_plan.applied.v1``.

    Locks in the order every planning writer uses — profile, then sprints by id, then tasks."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    await projects.profile(uow, project, ask, lock=True)
    request = await load(uow, project, plan_id, lock=True)
    if request.applied_at is not None:
        raise FailedPrecondition("this plan was applied already", slug="plan-already-applied")
    if request.status != "completed" or request.plan is None:
        raise FailedPrecondition(
            f"only a completed plan can be applied; this one is {request.status}", slug="plan-not-completed"
        )
    target_ref = sprint_id or (str(request.sprint_id) if request.sprint_id else "")
    target_id = (await sprints.load(uow, project, target_ref)).id if target_ref else None
    planned = {uuid.UUID(entry["task_id"]): entry for entry in request.plan.get("planned", [])}
    placed = await repository.tasks_by_ids(uow, project, list(planned))
    statuses = await tasks.lock_sprints(uow, [target_id, *(t.sprint_id for t in placed)])
    if target_id is not None:
        if statuses.get(target_id) == "completed":
            raise FailedPrecondition("a plan cannot go into a completed sprint", slug="sprint-completed")
        target, created = await sprints.load(uow, project, target_ref), False
    else:
        target, created = await sprints.new_sprint(uow, project, ask, created_by=principal.subject), True
    held = {task.id: task for task in await repository.tasks_by_ids(uow, project, list(planned), lock=True)}
    applied: list[uuid.UUID] = []
    skipped: list[tuple[uuid.UUID, str]] = []
    left: set[uuid.UUID] = set()
    now = datetime.now(UTC)
    for task_id, entry in planned.items():
        task = held.get(task_id)
        elsewhere = task is not None and task.sprint_id not in (None, target.id)
        # A sprint not locked above took the task meanwhile: it counts as no longer open.
        if task is None or task.status == "done" or (elsewhere and statuses.get(task.sprint_id) != "planned"):
            skipped.append((task_id, "no-longer-open"))
            continue
        if elsewhere:
            left.add(task.sprint_id)
        previous = task.status
        values = {
            "sprint_id": target.id,
            "assignee_id": uuid.UUID(entry["assignee_id"]),
            "status": "todo" if previous == "backlog" else previous,
        }
        changes = {
            name: {"from": getattr(task, name), "to": v} for name, v in values.items() if getattr(task, name) != v
        }
        for name, value in values.items():
            setattr(task, name, value)
        applied.append(task_id)
        if changes:
            task.updated_at = now
            action = "status_changed" if "status" in changes else "updated"
            uow.emit(tasks.task_event(task, action, changes, previous_status=previous))
    await uow.session.flush()
    for sprint in [target, *[await sprints.load(uow, project, str(s)) for s in sorted(left)]]:
        sprint_changes = await sprints.refresh(uow, sprint)
        if sprint_changes:
            sprint = await repository.save_sprint(uow, sprint)
            uow.emit(sprints.sprint_event(sprint, "updated", sprint_changes))
    request.applied_at = now
    request.sprint_id = target.id
    await uow.session.flush()
    uow.emit(_changed(request, "applied", {"sprint_id": {"from": None, "to": target.id}, "applied_task_ids": applied}))
    return Application(request, await sprints.view(uow, target), applied, skipped, created)


async def on_plan_job_dead(uow: UnitOfWork, job: Job, error: str) -> None:
    """A planning job out of attempts (e.g. its worker died every time) fails its request, so the
    request and its progress stream end instead of staying ``running``."""
    await _finish(uow, uuid.UUID(job.payload["project_id"]), uuid.UUID(job.payload["request_id"]), None, error)
