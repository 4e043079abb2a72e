"""Sprints: numbered time boxes moving ``planned → active → completed``.

- **Numbers** are 1, 2, … per project without gaps (the project profile's counter, locked until
  commit); a sprint without a name is "Sprint N".
- **One active sprint** per project unless the project allows parallel sprints. Starting takes the
  project profile ``FOR UPDATE`` first, so two concurrent starts queue and the second sees the
  first's active sprint (409 ``sprint-already-active``). Only planned sprints start.
- **Hours** are exact decimals. ``committed_hours`` is the sum of the estimated hours of the
  sprint's tasks and ``completed_hours`` that of its done tasks (:mod:`sprint_hours`), recounted
  whenever tasks enter or leave the sprint here; both are frozen when the sprint completes, so
  committed-vs-completed stays as it was at the end even after unfinished tasks move on.
- **Completing** carries every task not done over to ``carry_over_to``: a planned sprint's id,
  ``next`` (the default: the project's next planned sprint by number, created when there is none
  and there is something to carry) or ``backlog`` (no sprint). Tasks keep their status — work in
  progress stays in progress. ``velocity`` is the mean of the completed hours of the project's
  last ``VELOCITY_WINDOW`` (3) completed sprints, this one included, rounded half up to the cent.
- **Edits**: name and goal at any time; dates only until the sprint completes.
- Every change emits ``planning.sprint.<created|updated|started|completed>.v1`` (SprintChanged);
  tasks moved by a sprint emit ``planning.task.updated.v1`` (TaskChanged).

Who: ``read`` to read, ``plan`` to write. Functions here only flush; the edge commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import decode_cursor, encode_cursor, page_limit
from services.chassis.uow import UnitOfWork
from services.planning import projects, sprint_hours, tasks
from services.planning import sprint_repository as repository
from services.planning.insights import clean_text, parse_id
from services.planning.models import SPRINT_STATUSES, Sprint
from services.planning.projects import AskIdentity
from services.planning.sprint_repository import TaskSummary
from services.planning.tasks import hours_text, project_uuid

MAX_NAME = 200
MAX_GOAL = 5_000
VELOCITY_WINDOW = 3
CENT = Decimal("0.01")
NEXT = "next"
BACKLOG = "backlog"


@dataclass
class SprintView:
    """A sprint and what it holds now."""

    sprint: Sprint
    tasks: TaskSummary = field(default_factory=TaskSummary)


@dataclass
class Completion:
    """A completed sprint, the tasks it carried over and where they went."""

    sprint: SprintView
    carried_over: list[uuid.UUID]
    target: SprintView | None
    created_next: bool


# --- small rules -----------------------------------------------------------------------------


def _dates(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidArgument("end_date must be after start_date", slug="invalid-sprint-dates", field="end_date")


def velocity_of(completed_hours: list[Decimal]) -> Decimal | None:
    """The mean of ``completed_hours`` rounded half up to the cent (None for none)."""
    if not completed_hours:
        return None
    return (sum(completed_hours, Decimal(0)) / len(completed_hours)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- events ----------------------------------------------------------------------------------


def snapshot(sprint: Sprint) -> dict[str, Any]:
    return {
        "number": sprint.number,
        "name": sprint.name,
        "goal": sprint.goal,
        "status": sprint.status,
        "committed_hours": hours_text(sprint.committed_hours),
        "completed_hours": hours_text(sprint.completed_hours),
        "velocity": hours_text(sprint.velocity),
        "story_ids": list(sprint.story_ids or []),
        "start_date": sprint.start_date,
        "end_date": sprint.end_date,
    }


def sprint_event(
    sprint: Sprint,
    action: str,
    changes: dict[str, Any] | None = None,
    *,
    carried_over: list[uuid.UUID] = (),  # type: ignore[assignment]
    carried_to: uuid.UUID | None = None,
) -> Event:
    """``planning.sprint.<action>.v1`` carrying SprintChanged."""
    return Event(
        entity_type="sprint",
        action=action,
        entity_id=str(sprint.id),
        project_id=sprint.project_id,
        payload=events_pb2.SprintChanged(
            project_id=str(sprint.project_id),
            sprint_id=str(sprint.id),
            number=sprint.number,
            status=sprint.status,
            committed_hours=hours_text(sprint.committed_hours),
            completed_hours=hours_text(sprint.completed_hours),
            velocity=hours_text(sprint.velocity),
            carried_over_task_ids=[str(t) for t in carried_over],
            carried_over_to_sprint_id=str(carried_to) if carried_to else "",
        ),
        changes=changes,
        snapshot=snapshot(sprint),
    )


# --- reading ---------------------------------------------------------------------------------


async def load(uow: UnitOfWork, project: uuid.UUID, sprint_id: str, *, lock: bool = False) -> Sprint:
    """The project's sprint, or NotFound."""
    found = await repository.sprint_of(
        uow, project, parse_id(sprint_id, "sprint", missing="sprint-not-found"), lock=lock
    )
    if found is None:
        raise NotFound("no such sprint", slug="sprint-not-found")
    return found


async def view(uow: UnitOfWork, sprint: Sprint) -> SprintView:
    """The sprint with what it holds now."""
    return SprintView(sprint, (await repository.task_summaries(uow, [sprint.id]))[sprint.id])


async def get_sprint(uow: UnitOfWork, project_id: str, sprint_id: str) -> SprintView:
    """One sprint of the project with its tasks' summary (read)."""
    require(context.principal.get(), project_id, Action.READ)
    return await view(uow, await load(uow, project_uuid(project_id), sprint_id))


async def list_sprints(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str = ""
) -> tuple[list[SprintView], str]:
    """One page of the project's sprints, highest number first, and the next page's cursor (read)."""
    require(context.principal.get(), project_id, Action.READ)
    project = project_uuid(project_id)
    limit = page_limit(limit)
    if status and status not in SPRINT_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(SPRINT_STATUSES)}", field="status")
    position = decode_cursor(cursor)
    before = None
    if position is not None:
        before = position.get("before")
        if not isinstance(before, int) or isinstance(before, bool):
            raise InvalidArgument("cursor is not valid", slug="invalid-cursor")
    rows = await repository.page_sprints(uow, project, limit=limit + 1, before_number=before, status=status)
    page = rows[:limit]
    summaries = await repository.task_summaries(uow, [s.id for s in page])
    next_cursor = encode_cursor({"before": page[-1].number}) if len(rows) > limit else ""
    return [SprintView(s, summaries[s.id]) for s in page], next_cursor


# --- writing ---------------------------------------------------------------------------------


async def new_sprint(
    uow: UnitOfWork,
    project: uuid.UUID,
    ask: AskIdentity | None,
    *,
    created_by: str,
    name: str = "",
    goal: str = "",
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> Sprint:
    """Add the project's next planned sprint; ``planning.sprint.created.v1``."""
    number = await projects.next_sprint_number(uow, project, ask)
    sprint = await repository.add_sprint(
        uow,
        Sprint(
            id=uuid7(),
            project_id=project,
            number=number,
            name=name or f"Sprint {number}",
            goal=goal,
            status="planned",
            start_date=start_date,
            end_date=end_date,
            created_by=created_by,
        ),
    )
    uow.emit(sprint_event(sprint, "created"))
    return sprint


async def create_sprint(
    uow: UnitOfWork,
    project_id: str,
    ask: AskIdentity | None,
    *,
    name: str = "",
    goal: str = "",
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> SprintView:
    """A new planned sprint numbered after the project's last one (plan)."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    name = clean_text(name, "name", limit=MAX_NAME, required=False)
    goal = clean_text(goal, "goal", limit=MAX_GOAL, required=False)
    _dates(start_date, end_date)
    sprint = await new_sprint(
        uow,
        project_uuid(project_id),
        ask,
        created_by=principal.subject,
        name=name,
        goal=goal,
        start_date=start_date,
        end_date=end_date,
    )
    return SprintView(sprint)


_UNSET: Any = object()


async def update_sprint(
    uow: UnitOfWork,
    project_id: str,
    sprint_id: str,
    *,
    name: str | None = None,
    goal: str | None = None,
    start_date: datetime | None = _UNSET,
    end_date: datetime | None = _UNSET,
) -> SprintView:
    """Change name and goal, or dates while the sprint is not completed (plan);
    ``planning.sprint.updated.v1`` when anything changed."""
    require(context.principal.get(), project_id, Action.PLAN)
    sprint = await load(uow, project_uuid(project_id), sprint_id, lock=True)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_text(name, "name", limit=MAX_NAME, required=True)
    if goal is not None:
        values["goal"] = clean_text(goal, "goal", limit=MAX_GOAL, required=False)
    for field_name, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not _UNSET:
            if sprint.status == "completed" and value != getattr(sprint, field_name):
                raise FailedPrecondition("a completed sprint's dates cannot change", slug="sprint-completed")
            values[field_name] = value
    _dates(values.get("start_date", sprint.start_date), values.get("end_date", sprint.end_date))
    changes = {k: {"from": getattr(sprint, k), "to": v} for k, v in values.items() if getattr(sprint, k) != v}
    if changes:
        for name_, change in changes.items():
            setattr(sprint, name_, change["to"])
        sprint = await repository.save_sprint(uow, sprint)
        uow.emit(sprint_event(sprint, "updated", changes))
    return await view(uow, sprint)


async def refresh(uow: UnitOfWork, sprint: Sprint) -> dict[str, Any]:
    """Recount the sprint's hours and stories from its tasks now; what changed."""
    before = {
        "committed_hours": hours_text(sprint.committed_hours),
        "completed_hours": hours_text(sprint.completed_hours),
        "story_ids": list(sprint.story_ids or []),
    }
    await sprint_hours.recount(uow, sprint.id)
    await uow.session.refresh(sprint)
    after = {
        "committed_hours": hours_text(sprint.committed_hours),
        "completed_hours": hours_text(sprint.completed_hours),
        "story_ids": list(sprint.story_ids or []),
    }
    return {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}


async def start_sprint(uow: UnitOfWork, project_id: str, sprint_id: str, ask: AskIdentity | None) -> SprintView:
    """planned → active (plan): 409 ``sprint-already-active`` while another sprint is active,
    unless the project allows parallel sprints; ``planning.sprint.started.v1``."""
    require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    # The profile row serialises starts per project: a concurrent start waits here.
    profile = await projects.profile(uow, project, ask, lock=True)
    sprint = await load(uow, project, sprint_id, lock=True)
    if sprint.status != "planned":
        raise FailedPrecondition(f"only planned sprints start; this one is {sprint.status}", slug="sprint-not-planned")
    if not profile.allow_parallel_sprints:
        active = await repository.active_sprints(uow, project)
        if active:
            raise FailedPrecondition(
                f"sprint {active[0].number} is active; complete it first (or allow parallel sprints)",
                slug="sprint-already-active",
                active_sprint_id=str(active[0].id),
            )
    changes = await refresh(uow, sprint)  # what it commits to as it starts
    now = datetime.now(UTC)
    changes["status"] = {"from": "planned", "to": "active"}
    sprint.status = "active"
    sprint.started_at = now
    if sprint.start_date is None and (sprint.end_date is None or sprint.end_date > now):
        sprint.start_date = now
        changes["start_date"] = {"from": None, "to": now}
    sprint = await repository.save_sprint(uow, sprint)
    uow.emit(sprint_event(sprint, "started", changes))
    return await view(uow, sprint)


async def _carry_over_target(uow: UnitOfWork, sprint: Sprint, carry_over_to: str) -> uuid.UUID | str:
    """Where unfinished tasks go: a sprint's id, ``next`` (no planned sprint follows: create one)
    or ``backlog``. Nothing is locked yet."""
    choice = carry_over_to.strip() or NEXT
    if choice == BACKLOG:
        return BACKLOG
    if choice == NEXT:
        following = await repository.next_planned_sprint(uow, sprint.project_id, sprint.number)
        return following.id if following is not None else NEXT
    try:
        target_id = uuid.UUID(choice)
    except ValueError as exc:
        raise InvalidArgument(
            'carry_over_to must be a sprint id, "next" or "backlog"', slug="invalid-carry-over", field="carry_over_to"
        ) from exc
    if target_id == sprint.id:
        raise InvalidArgument("a sprint cannot carry tasks over to itself", slug="invalid-carry-over")
    if await repository.sprint_of(uow, sprint.project_id, target_id) is None:
        raise InvalidArgument("carry_over_to names no sprint of this project", slug="invalid-carry-over")
    return target_id


async def complete_sprint(
    uow: UnitOfWork, project_id: str, sprint_id: str, ask: AskIdentity | None, *, carry_over_to: str = ""
) -> Completion:
    """active → completed (plan): freeze the hours, compute velocity, carry unfinished tasks over;
    ``planning.sprint.completed.v1`` (and the target sprint's created/updated).

    Locks in the order every planning writer uses — profile, then sprints by id, then tasks — so
    a concurrent task edit or sprint start queues instead of deadlocking."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    await projects.profile(uow, project, ask, lock=True)
    sprint = await load(uow, project, sprint_id)
    choice = await _carry_over_target(uow, sprint, carry_over_to)
    target_id = choice if isinstance(choice, uuid.UUID) else None
    statuses = await tasks.lock_sprints(uow, [sprint.id, target_id])
    sprint = await load(uow, project, sprint_id)  # as it is now that it is locked
    if sprint.status != "active":
        raise FailedPrecondition(
            f"only an active sprint can be completed; this one is {sprint.status}", slug="sprint-not-active"
        )
    if target_id is not None and statuses.get(target_id) != "planned":
        raise FailedPrecondition(
            f"tasks carry over to a planned sprint; that one is {statuses.get(target_id)}",
            slug="carry-over-sprint-not-planned",
        )
    held = await repository.tasks_of_sprint(uow, sprint.id, lock=True)
    unfinished = [t for t in held if t.status != "done"]
    target = await repository.sprint_of(uow, project, target_id) if target_id and unfinished else None
    created = choice == NEXT and bool(unfinished)
    if created:
        target = await new_sprint(uow, project, ask, created_by=principal.subject)
    # Hours and stories as the sprint ends, before anything leaves it.
    changes = await refresh(uow, sprint)
    now = datetime.now(UTC)
    changes["status"] = {"from": "active", "to": "completed"}
    sprint.status = "completed"
    sprint.completed_at = now
    if sprint.end_date is None and (sprint.start_date is None or sprint.start_date < now):
        sprint.end_date = now
        changes["end_date"] = {"from": None, "to": now}
    await uow.session.flush()
    recent = await repository.completed_hours_of_recent(uow, project, VELOCITY_WINDOW)
    sprint.velocity = velocity_of(recent)
    changes["velocity"] = {"from": None, "to": hours_text(sprint.velocity)}
    for task in unfinished:
        task.sprint_id = target.id if target is not None else None
        task.updated_at = now
    await uow.session.flush()
    for task in unfinished:
        moved = {"sprint_id": {"from": sprint.id, "to": task.sprint_id}}
        uow.emit(tasks.task_event(task, "updated", moved, previous_status=task.status))
    sprint = await repository.save_sprint(uow, sprint)
    carried = [t.id for t in unfinished]
    uow.emit(sprint_event(sprint, "completed", changes, carried_over=carried, carried_to=target.id if target else None))
    target_view = None
    if target is not None:
        target_changes = await refresh(uow, target)
        if target_changes:
            target = await repository.save_sprint(uow, target)
            uow.emit(sprint_event(target, "updated", target_changes))
        target_view = await view(uow, target)
    return Completion(await view(uow, sprint), carried, target_view, created)
