"""SQL of sprints and sprint planning requests, and the task queries they need. Functions flush;
the edge commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, or_, select, tuple_

from services.chassis.uow import UnitOfWork
from services.planning.models import TASK_STATUSES, Feature, Sprint, SprintPlanningRequest, Task

ZERO = Decimal("0.00")


@dataclass
class TaskSummary:
    """What a sprint holds now: tasks by status and their hours (exact)."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TASK_STATUSES, 0))
    committed_hours: Decimal = ZERO
    completed_hours: Decimal = ZERO
    unestimated: int = 0


# --- sprints ---------------------------------------------------------------------------------


async def sprint_of(
    uow: UnitOfWork, project_id: uuid.UUID, sprint_id: uuid.UUID, *, lock: bool = False
) -> Sprint | None:
    """The project's sprint, locked until commit when asked."""
    query = select(Sprint).where(Sprint.id == sprint_id, Sprint.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def add_sprint(uow: UnitOfWork, sprint: Sprint) -> Sprint:
    """Insert the sprint and read back its defaults."""
    uow.session.add(sprint)
    await uow.session.flush()
    await uow.session.refresh(sprint)
    return sprint


async def save_sprint(uow: UnitOfWork, sprint: Sprint) -> Sprint:
    """Flush changes to the sprint (updated_at = now) and read it back."""
    sprint.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(sprint)
    return sprint


async def page_sprints(
    uow: UnitOfWork, project_id: uuid.UUID, *, limit: int, before_number: int | None, status: str
) -> list[Sprint]:
    """Up to ``limit`` sprints, highest number first, below ``before_number``."""
    query = select(Sprint).where(Sprint.project_id == project_id).order_by(Sprint.number.desc()).limit(limit)
    if before_number is not None:
        query = query.where(Sprint.number < before_number)
    if status:
        query = query.where(Sprint.status == status)
    return list((await uow.session.execute(query)).scalars())


async def active_sprints(uow: UnitOfWork, project_id: uuid.UUID) -> list[Sprint]:
    """The project's active sprints, by number."""
    query = select(Sprint).where(Sprint.project_id == project_id, Sprint.status == "active").order_by(Sprint.number)
    return list((await uow.session.execute(query)).scalars())


async def next_planned_sprint(uow: UnitOfWork, project_id: uuid.UUID, after_number: int) -> Sprint | None:
    """The planned sprint with the lowest number above ``after_number``."""
    query = (
        select(Sprint)
        .where(Sprint.project_id == project_id, Sprint.status == "planned", Sprint.number > after_number)
        .order_by(Sprint.number)
        .limit(1)
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def completed_hours_of_recent(uow: UnitOfWork, project_id: uuid.UUID, count: int) -> list[Decimal]:
    """Completed hours of the project's ``count`` most recently completed sprints, newest first."""
    query = (
        select(Sprint.completed_hours)
        .where(Sprint.project_id == project_id, Sprint.status == "completed")
        .order_by(Sprint.completed_at.desc(), Sprint.number.desc())
        .limit(count)
    )
    return list((await uow.session.execute(query)).scalars())


async def task_summaries(uow: UnitOfWork, sprint_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, TaskSummary]:
    """Each sprint's tasks by status and their hours, in one query."""
    summaries = {sprint_id: TaskSummary() for sprint_id in sprint_ids}
    if not sprint_ids:
        return summaries
    hours = func.coalesce(func.sum(Task.estimated_hours), 0)
    query = (
        select(
            Task.sprint_id,
            Task.status,
            func.count(),
            hours,
            func.count(case((Task.estimated_hours.is_(None), 1))),
        )
        .where(Task.sprint_id.in_(list(sprint_ids)))
        .group_by(Task.sprint_id, Task.status)
    )
    for sprint_id, status, count, total_hours, unestimated in (await uow.session.execute(query)).all():
        summary = summaries[sprint_id]
        summary.total += count
        summary.by_status[status] = count
        summary.committed_hours += Decimal(total_hours)
        if status == "done":
            summary.completed_hours += Decimal(total_hours)
        summary.unestimated += unestimated
    for summary in summaries.values():
        summary.committed_hours = summary.committed_hours.quantize(ZERO)
        summary.completed_hours = summary.completed_hours.quantize(ZERO)
    return summaries


# --- tasks -----------------------------------------------------------------------------------


async def tasks_of_sprint(uow: UnitOfWork, sprint_id: uuid.UUID, *, lock: bool = False) -> list[Task]:
    """The sprint's tasks by number, locked until commit when asked."""
    query = select(Task).where(Task.sprint_id == sprint_id).order_by(Task.number)
    if lock:
        query = query.with_for_update(of=Task)
    return list((await uow.session.execute(query.execution_options(populate_existing=True))).scalars())


async def tasks_by_ids(
    uow: UnitOfWork, project_id: uuid.UUID, task_ids: Sequence[uuid.UUID], *, lock: bool = False
) -> list[Task]:
    """The project's tasks among ``task_ids`` by number, locked until commit when asked."""
    if not task_ids:
        return []
    query = (
        select(Task)
        .where(Task.project_id == project_id, Task.id.in_(list(task_ids)))
        .order_by(Task.number)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Task)
    return list((await uow.session.execute(query)).scalars())


PRIORITY_RANK = case(
    (Task.priority == "critical", 4), (Task.priority == "high", 3), (Task.priority == "medium", 2), else_=1
)


async def candidate_tasks(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    backlog_only: bool,
    feature_ids: Sequence[uuid.UUID] = (),
    task_ids: Sequence[uuid.UUID] = (),
    limit: int,
) -> list[tuple[Task, float | None]]:
    """Open tasks (not done) in no sprint or, unless ``backlog_only``, in a planned one — of
    ``feature_ids`` and among ``task_ids`` when given — with their feature's priority score; the
    most important first (priority, score, number)."""
    planned = select(Sprint.id).where(Sprint.project_id == project_id, Sprint.status == "planned")
    placement = Task.sprint_id.is_(None) if backlog_only else or_(Task.sprint_id.is_(None), Task.sprint_id.in_(planned))
    query = (
        select(Task, Feature.priority_score)
        .outerjoin(Feature, Feature.id == Task.feature_id)
        .where(Task.project_id == project_id, Task.status != "done", placement)
        .order_by(PRIORITY_RANK.desc(), Feature.priority_score.desc().nulls_last(), Task.number)
        .limit(limit)
    )
    if feature_ids:
        query = query.where(Task.feature_id.in_(list(feature_ids)))
    if task_ids:
        query = query.where(Task.id.in_(list(task_ids)))
    return [(task, score) for task, score in (await uow.session.execute(query)).all()]


async def existing_feature_ids(
    uow: UnitOfWork, project_id: uuid.UUID, feature_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``feature_ids`` are features of the project."""
    if not feature_ids:
        return set()
    query = select(Feature.id).where(Feature.project_id == project_id, Feature.id.in_(list(feature_ids)))
    return set((await uow.session.execute(query)).scalars())


# --- sprint planning requests ----------------------------------------------------------------


async def plan_request_of(
    uow: UnitOfWork, project_id: uuid.UUID, request_id: uuid.UUID, *, lock: bool = False
) -> SprintPlanningRequest | None:
    """The project's sprint planning request, locked until commit when asked."""
    query = select(SprintPlanningRequest).where(
        SprintPlanningRequest.id == request_id, SprintPlanningRequest.project_id == project_id
    )
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def add_plan_request(uow: UnitOfWork, request: SprintPlanningRequest) -> SprintPlanningRequest:
    uow.session.add(request)
    await uow.session.flush()
    await uow.session.refresh(request)
    return request


async def page_plan_requests(
    uow: UnitOfWork, project_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None, status: str
) -> list[SprintPlanningRequest]:
    """Up to ``limit`` requests, newest first (created_at, then id), after the cursor position."""
    query = (
        select(SprintPlanningRequest)
        .where(SprintPlanningRequest.project_id == project_id)
        .order_by(SprintPlanningRequest.created_at.desc(), SprintPlanningRequest.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(SprintPlanningRequest.created_at, SprintPlanningRequest.id) < tuple_(*after))
    if status:
        query = query.where(SprintPlanningRequest.status == status)
    return list((await uow.session.execute(query)).scalars())


async def mark_running(uow: UnitOfWork, request_id: uuid.UUID) -> None:
    """queued → running (started now); a request already past queued is left alone."""
    table = SprintPlanningRequest.__table__
    await uow.session.execute(
        table.update()
        .where(table.c.id == request_id, table.c.status == "queued")
        .values(status="running", started_at=func.now())
    )
