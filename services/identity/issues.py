"""The tracker of issues people raise about Aira itself, per project.

Any member may raise one and read them; the reporter and those who manage the project may change it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aira.identity.v1 import events_pb2
from services.chassis.authz import Action, allows
from services.chassis.errors import NotFound, PermissionDenied
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.access import authorize
from services.identity.models import ISSUE_PRIORITIES, ISSUE_STATUSES, ProjectIssue
from services.identity.projects import MAX_TEXT, clean_text, one_of

MAX_TITLE = 200
CLOSED = ("resolved", "closed")


def _event(issue: ProjectIssue, action: str, changes: dict | None = None) -> Event:
    return Event(
        entity_type="issue",
        action=action,
        entity_id=str(issue.id),
        project_id=issue.project_id,
        payload=events_pb2.IssueChanged(
            project_id=str(issue.project_id), issue_id=str(issue.id), status=issue.status, priority=issue.priority
        ),
        changes=changes,
        snapshot={"title": issue.title, "status": issue.status, "priority": issue.priority},
    )


async def create(uow: UnitOfWork, project_id: str, *, title: str, description: str, priority: str) -> ProjectIssue:
    access = await authorize(uow, project_id, Action.READ)
    issue = await repository.add(
        uow,
        ProjectIssue(
            id=uuid7(),
            project_id=access.project_id,
            title=clean_text(title, "title", required=True, limit=MAX_TITLE),
            description=clean_text(description, "description", required=False, limit=MAX_TEXT),
            priority=one_of(priority or "medium", ISSUE_PRIORITIES, "priority"),
            reporter_id=access.user_id,
        ),
    )
    uow.emit(_event(issue, "created"))
    return issue


async def _find(uow: UnitOfWork, project_id: uuid.UUID, issue_id: str) -> ProjectIssue:
    try:
        found = await repository.issue(uow, project_id, uuid.UUID(issue_id))
    except ValueError:
        found = None
    if found is None:
        raise NotFound("no such issue", slug="issue-not-found")
    return found


async def get(uow: UnitOfWork, project_id: str, issue_id: str) -> ProjectIssue:
    access = await authorize(uow, project_id, Action.READ)
    return await _find(uow, access.project_id, issue_id)


async def page(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str, priority: str
) -> tuple[list[ProjectIssue], str]:
    access = await authorize(uow, project_id, Action.READ)
    if status:
        one_of(status, ISSUE_STATUSES, "status")
    if priority:
        one_of(priority, ISSUE_PRIORITIES, "priority")
    limit = page_limit(limit)
    before = cursor_id(decode_cursor(cursor), "before")
    rows = await repository.issues_of(
        uow, access.project_id, limit=limit + 1, before=before, status=status, priority=priority
    )
    items = rows[:limit]
    return items, encode_cursor({"before": str(items[-1].id)}) if len(rows) > limit else ""


async def update(uow: UnitOfWork, project_id: str, issue_id: str, changes: dict[str, str]) -> ProjectIssue:
    access = await authorize(uow, project_id, Action.READ)
    issue = await _find(uow, access.project_id, issue_id)
    if issue.reporter_id != access.user_id and not allows(access.role, Action.MANAGE_PROJECT):
        raise PermissionDenied("only the reporter or a project admin can change an issue", slug="forbidden")
    checks = {
        "title": lambda v: clean_text(v, "title", required=True, limit=MAX_TITLE),
        "description": lambda v: clean_text(v, "description", required=False, limit=MAX_TEXT),
        "status": lambda v: one_of(v, ISSUE_STATUSES, "status"),
        "priority": lambda v: one_of(v, ISSUE_PRIORITIES, "priority"),
    }
    changed = {}
    for field, value in changes.items():
        value = checks[field](value)
        if getattr(issue, field) != value:
            changed[field] = {"from": getattr(issue, field), "to": value}
            setattr(issue, field, value)
    if not changed:
        return issue
    if "status" in changed:
        issue.resolved_at = datetime.now(UTC) if issue.status in CLOSED else None
    issue = await repository.save(uow, issue)
    uow.emit(_event(issue, "updated", changed))
    return issue
