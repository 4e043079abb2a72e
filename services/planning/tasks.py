"""Tasks: the work, each with a project-unique key (``AIR-42``) that pull requests name.

Rules (see the README's "Tasks" section for the reasons):

- **Keys** come from the project profile's counter (:func:`projects.next_task_key`), gap-free and
  never reused; ``GetTask`` and the REST path take an id or a key (any case).
- **Status** moves ``backlog → todo → in_progress → review → done`` one step forward, or one step
  back (``todo → backlog``, ``in_progress → todo``, ``review → in_progress``). ``done`` is final,
  except that a planner (plan) may reopen it to ``todo``. Anything else is 409
  ``illegal-status-transition``. Entering ``done`` sets ``completed_at`` and progress 100;
  reopening clears ``completed_at``. A merged pull request completes a task from any status
  (:mod:`pull_requests`), but only with the project's PR automation on.
- **Who**: ``read`` to read; ``plan`` to create, delete and change anything; members
  (``work_on_tasks``) may change status and progress, take a task (assignee ``me`` or their own
  team member id) and drop a task that is theirs — nothing else (403).
- **Assignees** are team members. When the team service answers with a roster, the id must be on
  it (422 ``unknown-assignee``); when it has none for the project (empty, or the service does not
  serve rosters yet) any id is accepted. ``me`` is the roster member whose user is the caller, or,
  without a roster, the caller's own user id.
- **Sprint and feature** must be the project's (404 ``sprint-not-found`` / ``feature-not-found``);
  a completed sprint takes no tasks (409 ``sprint-completed``). A sprint's committed and completed
  hours are recounted (:mod:`sprint_hours`) in the same unit of work whenever a task enters or
  leaves it, its hours change or it becomes (or stops being) done — except for completed sprints,
  whose hours stay as they were at completion.
- **Hours** are exact decimals: 0 to 1000 with at most two decimals.

Locks are taken in the order profile → sprint → task → feature, the order sprints use too, so
concurrent task edits, sprint starts and completions queue instead of deadlocking.

Every change emits ``planning.task.<created|updated|status_changed|deleted>.v1`` (TaskChanged);
a call that changes nothing emits nothing. Functions here only flush; the edge commits.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import decode_cursor, encode_cursor, page_limit
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.planning import projects, sprint_hours
from services.planning import task_repository as repository
from services.planning.insights import clean_text, one_of, parse_id
from services.planning.models import COMPLEXITIES, PRIORITIES, TASK_STATUSES, TASK_TYPES, Sprint, Task
from services.planning.projects import AskIdentity
from services.planning.task_repository import NONE, TaskFilters

MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_ITEMS = 50
MAX_ITEM = 2_000
MAX_SKILLS = 30
MAX_SKILL = 100
MAX_HOURS = Decimal(1000)
CENT = Decimal("0.01")
ME = "me"
KEY = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9})-([1-9][0-9]{0,8})")
INITIAL_STATUSES = ("backlog", "todo")
FORWARD = {"backlog": "todo", "todo": "in_progress", "in_progress": "review", "review": "done"}
BACK = {"todo": "backlog", "in_progress": "todo", "review": "in_progress"}
REOPEN = ("done", "todo")
# What a member without the plan action may change.
MEMBER_FIELDS = frozenset({"status", "progress", "assignee_id"})


@dataclass(frozen=True)
class RosterMember:
    """A team member as assignee validation needs it."""

    id: str
    user_id: str = ""


Roster = Callable[[uuid.UUID], Awaitable[list[RosterMember] | None]]
"""The project's team roster; None when the team service serves no roster (not yet deployed)."""


@dataclass
class TaskView:
    """A task and how many pull requests are linked to it."""

    task: Task
    pull_request_count: int = 0


# --- validation ------------------------------------------------------------------------------


def project_uuid(project_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(project_id)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc


def normalise_key(value: str) -> str | None:
    """``value`` as a task key (upper case), or None when it is not shaped like one."""
    value = value.strip()
    return value.upper() if KEY.fullmatch(value) else None


def parse_hours(value: str) -> Decimal | None:
    """Exact hours from text: "" for none, else 0 to 1000 with at most two decimals."""
    value = value.strip()
    if not value:
        return None
    try:
        hours = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidArgument("estimated_hours must be a decimal number", field="estimated_hours") from exc
    if not hours.is_finite() or not 0 <= hours <= MAX_HOURS:
        raise InvalidArgument(f"estimated_hours must be between 0 and {MAX_HOURS}", field="estimated_hours")
    if hours != hours.quantize(CENT):
        raise InvalidArgument("estimated_hours has at most two decimals", field="estimated_hours")
    return hours.quantize(CENT)


def hours_text(value: Decimal | None) -> str:
    """Exact hours as text with two decimals ("12.50"); "" for none."""
    return "" if value is None else str(Decimal(value).quantize(CENT))


def parse_due_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidArgument("due_date must be a date, YYYY-MM-DD", field="due_date") from exc


def _progress(value: int) -> int:
    if not 0 <= value <= 100:
        raise InvalidArgument("progress must be between 0 and 100", field="progress")
    return value


def _items(values: Iterable[str], field_name: str) -> list[str]:
    """Trimmed, non-empty list items."""
    items = [clean_text(v, field_name, limit=MAX_ITEM, required=True) for v in values]
    if len(items) > MAX_ITEMS:
        raise InvalidArgument(f"{field_name} has at most {MAX_ITEMS} items", field=field_name)
    return items


def skill_name(value: str) -> str:
    """How planning compares skills: NFC, single spaces, lower case (as team stores its roster's)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).lower()


def _skills(values: Iterable[str]) -> list[str]:
    """Skill names (see :func:`skill_name`), duplicates dropped (first kept)."""
    skills: list[str] = []
    for raw in values:
        skill = skill_name(clean_text(raw, "required_skills", limit=MAX_SKILL, required=True))
        if skill not in skills:
            skills.append(skill)
    if len(skills) > MAX_SKILLS:
        raise InvalidArgument(f"required_skills has at most {MAX_SKILLS} items", field="required_skills")
    return skills


def _reference(value: str, what: str) -> uuid.UUID:
    return parse_id(value, what, missing=f"{what}-not-found")


def _filter_id(value: str, field_name: str) -> uuid.UUID | str | None:
    if not value:
        return None
    if value.lower() == NONE:
        return NONE
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field_name} must be an id or 'none'", field=field_name) from exc


def _may(principal: Principal, project_id: str, action: Action) -> bool:
    try:
        require(principal, project_id, action)
    except PermissionDenied:
        return False
    return True


# --- assignees -------------------------------------------------------------------------------


async def _assignee(principal: Principal, project: uuid.UUID, value: str, roster: Roster) -> uuid.UUID | None:
    """The team member ``value`` names (an id, or ``me``); None to unassign."""
    value = value.strip()
    if not value:
        return None
    members = await roster(project)
    if value.lower() == ME:
        if members:
            for member in members:
                if member.user_id and member.user_id == principal.subject:
                    return uuid.UUID(member.id)
            raise InvalidArgument("you are not on the project's team roster", slug="not-on-roster", field="assignee_id")
        if principal.user_id is None:
            raise InvalidArgument("only a person can be 'me'", slug="invalid-assignee", field="assignee_id")
        return principal.user_id
    try:
        member_id = uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument("assignee_id must be a team member's id or 'me'", field="assignee_id") from exc
    if members and str(member_id) not in {m.id for m in members}:
        raise InvalidArgument("no such member on the project's team", slug="unknown-assignee", field="assignee_id")
    return member_id


async def _own_member_id(principal: Principal, project: uuid.UUID, roster: Roster) -> uuid.UUID | None:
    """The caller's own team member id (``me``), or None when they have none."""
    try:
        return await _assignee(principal, project, ME, roster)
    except InvalidArgument:
        return None


# --- events ----------------------------------------------------------------------------------


def snapshot(task: Task) -> dict[str, Any]:
    return {
        "key": task.key,
        "title": task.title,
        "status": task.status,
        "type": task.type,
        "priority": task.priority,
        "complexity": task.complexity,
        "estimated_hours": hours_text(task.estimated_hours),
        "progress": task.progress,
        "assignee_id": task.assignee_id,
        "sprint_id": task.sprint_id,
        "feature_id": task.feature_id,
        "due_date": task.due_date,
        "origin": task.origin,
        "completed_at": task.completed_at,
    }


def task_event(task: Task, action: str, changes: dict[str, Any] | None = None, *, previous_status: str = "") -> Event:
    """``planning.task.<action>.v1`` carrying TaskChanged."""
    return Event(
        entity_type="task",
        action=action,
        entity_id=str(task.id),
        project_id=task.project_id,
        payload=events_pb2.TaskChanged(
            project_id=str(task.project_id),
            task_id=str(task.id),
            key=task.key,
            status=task.status,
            previous_status=previous_status,
            assignee_id=str(task.assignee_id or ""),
            sprint_id=str(task.sprint_id or ""),
            feature_id=str(task.feature_id or ""),
            estimated_hours=hours_text(task.estimated_hours),
            type=task.type,
        ),
        changes=changes,
        snapshot=snapshot(task),
    )


def _shown(name: str, value: Any) -> Any:
    return hours_text(value) if name == "estimated_hours" else value


def _apply(task: Task, values: dict[str, Any]) -> dict[str, Any]:
    """Set the values that differ; their changes as ``{field: {from, to}}``."""
    changes = {}
    for name, value in values.items():
        before = getattr(task, name)
        if before != value:
            changes[name] = {"from": _shown(name, before), "to": _shown(name, value)}
            setattr(task, name, value)
    return changes


# --- locks and sprints -----------------------------------------------------------------------


async def lock_sprints(uow: UnitOfWork, sprint_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Lock the sprints (id order) before their tasks; each one's status."""
    ids = sorted({s for s in sprint_ids if s is not None})
    if not ids:
        return {}
    rows = await uow.session.execute(
        select(Sprint.id, Sprint.status).where(Sprint.id.in_(ids)).order_by(Sprint.id).with_for_update()
    )
    return {sprint_id: status for sprint_id, status in rows}


async def recount_open(uow: UnitOfWork, statuses: dict[uuid.UUID, str]) -> None:
    """Recount the hours of those sprints that are not completed."""
    await sprint_hours.recount_all(uow, [s for s, status in statuses.items() if status != "completed"])


async def _sprint_for_task(uow: UnitOfWork, project: uuid.UUID, value: str) -> uuid.UUID | None:
    """The sprint a task may join (the project's, not completed), locked; None for none."""
    if not value:
        return None
    sprint = await repository.sprint_of(uow, project, _reference(value, "sprint"))
    if sprint is None:
        raise NotFound("no such sprint in this project", slug="sprint-not-found", field="sprint_id")
    if sprint.status == "completed":
        raise FailedPrecondition("a completed sprint takes no more tasks", slug="sprint-completed")
    return sprint.id


async def _feature_for_task(uow: UnitOfWork, project: uuid.UUID, value: str) -> uuid.UUID | None:
    if not value:
        return None
    feature_id = _reference(value, "feature")
    if not await repository.feature_in_project(uow, project, feature_id):
        raise NotFound("no such feature in this project", slug="feature-not-found", field="feature_id")
    return feature_id


# --- status ----------------------------------------------------------------------------------


def check_transition(current: str, target: str, *, may_plan: bool) -> None:
    """Whether a task may move from ``current`` to ``target`` (see the module's rules)."""
    if target in (FORWARD.get(current), BACK.get(current)):
        return
    if (current, target) == REOPEN:
        if not may_plan:
            raise PermissionDenied("only a planner may reopen a done task")
        return
    raise FailedPrecondition(
        f"a task cannot move from {current} to {target}",
        slug="illegal-status-transition",
        current=current,
        allowed=[s for s in (FORWARD.get(current), BACK.get(current)) if s] + (["todo"] if current == "done" else []),
    )


def status_values(task: Task, target: str, *, completed_at: datetime | None = None) -> dict[str, Any]:
    """What else changes with the status: completion time and progress."""
    values: dict[str, Any] = {"status": target}
    if target == "done" and task.status != "done":
        values["completed_at"] = completed_at or datetime.now(UTC)
        values["progress"] = 100
    elif target != "done" and task.status == "done":
        values["completed_at"] = None
    return values


# --- reading ---------------------------------------------------------------------------------


async def views(uow: UnitOfWork, tasks: list[Task]) -> list[TaskView]:
    counts = await repository.pull_request_counts(uow, [t.id for t in tasks])
    return [TaskView(t, counts.get(t.id, 0)) for t in tasks]


async def find(uow: UnitOfWork, project: uuid.UUID, task_ref: str, *, lock: bool = False) -> Task:
    """The project's task by id or key; 404 ``task-not-found``."""
    task = None
    try:
        task_id: uuid.UUID | None = uuid.UUID(task_ref)
    except ValueError:
        task_id = None
    if task_id is not None:
        task = await repository.task_of(uow, project, task_id=task_id, lock=lock)
    elif key := normalise_key(task_ref):
        task = await repository.task_of(uow, project, key=key, lock=lock)
    if task is None:
        raise NotFound("no such task", slug="task-not-found")
    return task


async def get_task(uow: UnitOfWork, project_id: str, task_ref: str) -> TaskView:
    """One task of the project, by id or key (read)."""
    require(context.principal.get(), project_id, Action.READ)
    return (await views(uow, [await find(uow, project_uuid(project_id), task_ref)]))[0]


async def list_tasks(
    uow: UnitOfWork,
    project_id: str,
    *,
    limit: int,
    cursor: str,
    status: str = "",
    assignee_id: str = "",
    sprint_id: str = "",
    feature_id: str = "",
    type: str = "",
    priority: str = "",
    key: str = "",
    sort: str = "",
) -> tuple[list[TaskView], str]:
    """One page of the project's tasks (newest first, or by key with ``sort=key``) and the next
    page's cursor."""
    require(context.principal.get(), project_id, Action.READ)
    project = project_uuid(project_id)
    limit = page_limit(limit)
    sort = one_of(sort or "created", ("created", "key"), "sort")
    filters = TaskFilters(
        status=one_of(status, TASK_STATUSES, "status") if status else "",
        assignee_id=_filter_id(assignee_id, "assignee_id"),
        sprint_id=_filter_id(sprint_id, "sprint_id"),
        feature_id=_filter_id(feature_id, "feature_id"),
        type=one_of(type, TASK_TYPES, "type") if type else "",
        priority=one_of(priority, PRIORITIES, "priority") if priority else "",
        key=key.strip().upper(),
    )
    position = decode_cursor(cursor)
    after = None
    if position is not None:
        if position.get("s") != sort or not isinstance(position.get("n"), int):
            raise InvalidArgument("cursor is not valid for this list", slug="invalid-cursor")
        after = position["n"]
    found = await repository.page(uow, project, filters, limit=limit + 1, after=after, ascending=sort == "key")
    page = found[:limit]
    next_cursor = encode_cursor({"s": sort, "n": page[-1].number}) if len(found) > limit else ""
    return await views(uow, page), next_cursor


# --- writing ---------------------------------------------------------------------------------


async def insert_task(
    uow: UnitOfWork, project: uuid.UUID, principal: Principal, ask: AskIdentity | None, **values: Any
) -> Task:
    """A new task with the project's next key; ``planning.task.created.v1``. The values must be
    valid (the callers check them)."""
    number, key = await projects.next_task_key(uow, project, ask)
    task = Task(id=uuid7(), project_id=project, number=number, key=key, created_by=principal.subject, **values)
    await repository.add_task(uow, task)
    uow.emit(task_event(task, "created"))
    return task


async def create_task(
    uow: UnitOfWork,
    project_id: str,
    *,
    roster: Roster,
    ask: AskIdentity | None,
    title: str,
    description: str = "",
    proposed_solutions: Iterable[str] = (),
    acceptance_criteria: Iterable[str] = (),
    required_skills: Iterable[str] = (),
    type: str = "",
    priority: str = "",
    complexity: str = "",
    status: str = "",
    estimated_hours: str = "",
    progress: int = 0,
    due_date: str = "",
    feature_id: str = "",
    sprint_id: str = "",
    assignee_id: str = "",
) -> TaskView:
    """A task written by a planner (plan), with the project's next key."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    values: dict[str, Any] = {
        "title": clean_text(title, "title", limit=MAX_TITLE, required=True),
        "description": clean_text(description, "description", limit=MAX_DESCRIPTION, required=False),
        "proposed_solutions": _items(proposed_solutions, "proposed_solutions"),
        "acceptance_criteria": _items(acceptance_criteria, "acceptance_criteria"),
        "required_skills": _skills(required_skills),
        "type": one_of(type or "development", TASK_TYPES, "type"),
        "priority": one_of(priority or "medium", PRIORITIES, "priority"),
        "complexity": one_of(complexity or "medium", COMPLEXITIES, "complexity"),
        "status": one_of(status or "backlog", INITIAL_STATUSES, "status"),
        "estimated_hours": parse_hours(estimated_hours),
        "progress": _progress(progress),
        "due_date": parse_due_date(due_date),
        "origin": "manual",
    }
    values["assignee_id"] = await _assignee(principal, project, assignee_id, roster)  # before any lock
    await projects.profile(uow, project, ask, lock=True)  # profile → sprint → task → feature
    values["sprint_id"] = await _sprint_for_task(uow, project, sprint_id)
    values["feature_id"] = await _feature_for_task(uow, project, feature_id)
    task = await insert_task(uow, project, principal, ask, **values)
    if task.sprint_id is not None:
        await sprint_hours.recount(uow, task.sprint_id)
    return TaskView(task)


async def update_task(uow: UnitOfWork, project_id: str, task_ref: str, *, roster: Roster, **given: Any) -> TaskView:
    """Change what was given (see the module's rules for who may change what); events for what
    changed."""
    principal = require(context.principal.get(), project_id, Action.WORK_ON_TASKS)
    project = project_uuid(project_id)
    may_plan = _may(principal, project_id, Action.PLAN)
    if not may_plan and (beyond := sorted(set(given) - MEMBER_FIELDS)):
        raise PermissionDenied(f"your role may change only status, progress and assignee, not {', '.join(beyond)}")
    values: dict[str, Any] = {}
    for name in ("title", "description"):
        if name in given:
            limit = MAX_TITLE if name == "title" else MAX_DESCRIPTION
            values[name] = clean_text(given[name], name, limit=limit, required=name == "title")
    for name in ("proposed_solutions", "acceptance_criteria"):
        if name in given:
            values[name] = _items(given[name], name)
    if "required_skills" in given:
        values["required_skills"] = _skills(given["required_skills"])
    for name, allowed in (("type", TASK_TYPES), ("priority", PRIORITIES), ("complexity", COMPLEXITIES)):
        if name in given:
            values[name] = one_of(given[name], allowed, name)
    if "estimated_hours" in given:
        values["estimated_hours"] = parse_hours(given["estimated_hours"])
    if "progress" in given:
        values["progress"] = _progress(given["progress"])
    if "due_date" in given:
        values["due_date"] = parse_due_date(given["due_date"])
    status = one_of(given["status"], TASK_STATUSES, "status") if "status" in given else None
    own: uuid.UUID | None = None
    if "assignee_id" in given:
        values["assignee_id"] = await _assignee(principal, project, given["assignee_id"], roster)
        if not may_plan:
            own = await _own_member_id(principal, project, roster)

    # Lock order: sprints (the task's and the new one), then the task.
    seen = await find(uow, project, task_ref)
    new_sprint = _reference(given["sprint_id"], "sprint") if given.get("sprint_id") else None
    statuses = await lock_sprints(uow, [seen.sprint_id, new_sprint])
    task = await find(uow, project, str(seen.id), lock=True)
    if task.sprint_id != seen.sprint_id:  # moved meanwhile: take its new sprint too
        statuses |= await lock_sprints(uow, [task.sprint_id])

    if "assignee_id" in given and not may_plan:
        target = values["assignee_id"]
        if target is not None and target != own:
            raise PermissionDenied("your role may assign a task only to yourself")
        if target is None and task.assignee_id is not None and task.assignee_id != own:
            raise PermissionDenied("your role may unassign only yourself")
    if "feature_id" in given:
        values["feature_id"] = await _feature_for_task(uow, project, given["feature_id"])
    if "sprint_id" in given:
        values["sprint_id"] = await _sprint_for_task(uow, project, given["sprint_id"])

    old_sprint = task.sprint_id
    changes = _apply(task, values)
    status_changes: dict[str, Any] = {}
    previous = task.status
    if status is not None and status != task.status:
        check_transition(task.status, status, may_plan=may_plan)
        status_changes = _apply(task, status_values(task, status))
    if changes or status_changes:
        await repository.save_task(uow, task)
        if changes:
            uow.emit(task_event(task, "updated", changes))
        if status_changes:
            uow.emit(task_event(task, "status_changed", status_changes, previous_status=previous))
        touched = {old_sprint, task.sprint_id} - {None}
        await recount_open(uow, {s: statuses.get(s, "completed") for s in touched})
    return (await views(uow, [task]))[0]


async def complete(uow: UnitOfWork, task: Task, completed_at: datetime | None) -> bool:
    """Mark a locked task done from any status (a merged pull request, with PR automation on);
    ``planning.task.status_changed.v1``. False when it was done already. The caller recounts
    the task's sprint."""
    if task.status == "done":
        return False
    previous = task.status
    changes = _apply(task, status_values(task, "done", completed_at=completed_at))
    await repository.save_task(uow, task)
    uow.emit(task_event(task, "status_changed", changes, previous_status=previous))
    return True


async def delete_task(uow: UnitOfWork, project_id: str, task_ref: str) -> Task:
    """Delete a task and its pull request links (plan); ``planning.task.deleted.v1``."""
    require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    seen = await find(uow, project, task_ref)
    statuses = await lock_sprints(uow, [seen.sprint_id])
    task = await find(uow, project, str(seen.id), lock=True)
    statuses |= await lock_sprints(uow, [task.sprint_id])
    event = task_event(task, "deleted")
    await repository.delete_task(uow, task)
    uow.emit(event)
    if task.sprint_id is not None:
        await recount_open(uow, {task.sprint_id: statuses.get(task.sprint_id, "completed")})
    return task
