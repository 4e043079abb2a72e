"""SQL of planning's tasks and the pull requests linked to them. Functions flush; the edge
commits. Lists page by keyset on the task number (numbers grow with creation under the
project's counter lock, so "newest first" is "highest number first")."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.chassis.uow import UnitOfWork
from services.planning.models import Feature, ProjectProfile, Sprint, Task, TaskPullRequest

NONE = "none"  # a filter value: tasks without one


@dataclass(frozen=True)
class TaskFilters:
    status: str = ""
    assignee_id: uuid.UUID | str | None = None  # NONE for unassigned
    sprint_id: uuid.UUID | str | None = None
    feature_id: uuid.UUID | str | None = None
    type: str = ""
    priority: str = ""
    key: str = ""


# --- tasks -----------------------------------------------------------------------------------


async def add_task(uow: UnitOfWork, task: Task) -> Task:
    """Insert the task and read back its defaults."""
    uow.session.add(task)
    await uow.session.flush()
    await uow.session.refresh(task)
    return task


async def task_of(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    task_id: uuid.UUID | None = None,
    key: str | None = None,
    lock: bool = False,
) -> Task | None:
    """The project's task by id or by key, locked until commit when asked."""
    query = select(Task).where(Task.project_id == project_id)
    query = query.where(Task.id == task_id) if task_id is not None else query.where(Task.key == key)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def tasks_by_keys(uow: UnitOfWork, project_id: uuid.UUID, keys: Collection[str]) -> list[Task]:
    """The project's tasks among ``keys`` (not locked), by id."""
    if not keys:
        return []
    query = select(Task).where(Task.project_id == project_id, Task.key.in_(list(keys))).order_by(Task.id)
    return list((await uow.session.execute(query)).scalars())


async def tasks_by_ids(uow: UnitOfWork, task_ids: Collection[uuid.UUID], *, lock: bool = False) -> list[Task]:
    """Tasks by id in id order (the lock order), locked until commit when asked."""
    if not task_ids:
        return []
    query = select(Task).where(Task.id.in_(list(task_ids))).order_by(Task.id)
    if lock:
        query = query.with_for_update()
    return list((await uow.session.execute(query.execution_options(populate_existing=True))).scalars())


async def save_task(uow: UnitOfWork, task: Task) -> Task:
    """Flush changes to the task (updated_at = now) and read it back."""
    task.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(task, ["updated_at"])
    return task


async def delete_task(uow: UnitOfWork, task: Task) -> None:
    await uow.session.delete(task)
    await uow.session.flush()


def _matches(column, value):
    return column.is_(None) if value == NONE else column == value


async def page(
    uow: UnitOfWork, project_id: uuid.UUID, filters: TaskFilters, *, limit: int, after: int | None, ascending: bool
) -> list[Task]:
    """Up to ``limit`` tasks by number (descending unless ``ascending``), after ``after``."""
    query = select(Task).where(Task.project_id == project_id)
    if filters.status:
        query = query.where(Task.status == filters.status)
    if filters.type:
        query = query.where(Task.type == filters.type)
    if filters.priority:
        query = query.where(Task.priority == filters.priority)
    if filters.key:
        query = query.where(Task.key == filters.key)
    for column, value in (
        (Task.assignee_id, filters.assignee_id),
        (Task.sprint_id, filters.sprint_id),
        (Task.feature_id, filters.feature_id),
    ):
        if value is not None:
            query = query.where(_matches(column, value))
    if ascending:
        query = query.order_by(Task.number)
        if after is not None:
            query = query.where(Task.number > after)
    else:
        query = query.order_by(Task.number.desc())
        if after is not None:
            query = query.where(Task.number < after)
    return list((await uow.session.execute(query.limit(limit))).scalars())


async def tasks_of_feature(uow: UnitOfWork, feature_id: uuid.UUID) -> list[Task]:
    """The feature's tasks, by number."""
    query = select(Task).where(Task.feature_id == feature_id).order_by(Task.number)
    return list((await uow.session.execute(query)).scalars())


# --- what tasks refer to ---------------------------------------------------------------------


async def sprint_of(uow: UnitOfWork, project_id: uuid.UUID, sprint_id: uuid.UUID) -> Sprint | None:
    """The project's sprint, share-locked so it cannot complete or go while a task joins it."""
    query = (
        select(Sprint)
        .where(Sprint.id == sprint_id, Sprint.project_id == project_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def feature_in_project(uow: UnitOfWork, project_id: uuid.UUID, feature_id: uuid.UUID) -> bool:
    """Whether the project has the feature; share-locked so it cannot go while a task joins it."""
    found = await uow.session.scalar(
        select(Feature.id).where(Feature.id == feature_id, Feature.project_id == project_id).with_for_update(read=True)
    )
    return found is not None


async def existing_profile(uow: UnitOfWork, project_id: uuid.UUID) -> ProjectProfile | None:
    """The project's profile if planning has one (never created here: a project without one has
    no tasks)."""
    query = select(ProjectProfile).where(ProjectProfile.project_id == project_id)
    return (await uow.session.execute(query)).scalar_one_or_none()


# --- pull requests ---------------------------------------------------------------------------


async def pull_request_counts(uow: UnitOfWork, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not task_ids:
        return {}
    rows = await uow.session.execute(
        select(TaskPullRequest.task_id, func.count())
        .where(TaskPullRequest.task_id.in_(list(task_ids)))
        .group_by(TaskPullRequest.task_id)
    )
    return {task_id: count for task_id, count in rows}


async def links_of_task(uow: UnitOfWork, task_id: uuid.UUID) -> list[TaskPullRequest]:
    """The task's pull requests, oldest link first."""
    query = (
        select(TaskPullRequest)
        .where(TaskPullRequest.task_id == task_id)
        .order_by(TaskPullRequest.created_at, TaskPullRequest.id)
    )
    return list((await uow.session.execute(query)).scalars())


async def link_of(uow: UnitOfWork, task_id: uuid.UUID, link_id: uuid.UUID) -> TaskPullRequest | None:
    query = select(TaskPullRequest).where(TaskPullRequest.id == link_id, TaskPullRequest.task_id == task_id)
    return (await uow.session.execute(query)).scalar_one_or_none()


async def links_of_pull_request(
    uow: UnitOfWork, project_id: uuid.UUID, provider: str, repo_full_name: str, pr_number: int, *, lock: bool = False
) -> list[TaskPullRequest]:
    """Every link of one pull request in the project, by id, locked until commit when asked."""
    query = (
        select(TaskPullRequest)
        .where(
            TaskPullRequest.project_id == project_id,
            TaskPullRequest.provider == provider,
            TaskPullRequest.repo_full_name == repo_full_name,
            TaskPullRequest.pr_number == pr_number,
        )
        .order_by(TaskPullRequest.id)
    )
    if lock:
        query = query.with_for_update()
    return list((await uow.session.execute(query.execution_options(populate_existing=True))).scalars())


async def add_link(uow: UnitOfWork, values: dict) -> TaskPullRequest | None:
    """Insert a link; None when the task already has this pull request (perhaps a moment ago)."""
    query = (
        pg_insert(TaskPullRequest)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_task_prs_task_pr")
        .returning(TaskPullRequest)
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def save_link(uow: UnitOfWork, link: TaskPullRequest) -> TaskPullRequest:
    link.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(link, ["updated_at"])
    return link


async def delete_link(uow: UnitOfWork, link: TaskPullRequest) -> None:
    await uow.session.delete(link)
    await uow.session.flush()
