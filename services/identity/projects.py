"""Projects: creating them (the creator becomes owner) and reading them as a member."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

from aira.identity.v1 import events_pb2
from services.chassis.authz import Role
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.pagination import decode_cursor, encode_cursor, page_limit
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.repository import ProjectView

MAX_NAME = 200
MAX_TEXT = 10_000


def _text(value: str, field: str, *, required: bool, limit: int) -> str:
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise InvalidArgument(f"{field} must not be empty", slug="validation-failed", field=field)
    if len(cleaned) > limit:
        raise InvalidArgument(f"{field} must be at most {limit} characters", slug="validation-failed", field=field)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in cleaned):
        raise InvalidArgument(f"{field} must not contain control characters", slug="validation-failed", field=field)
    return cleaned


async def create_project(
    uow: UnitOfWork, *, user_id: uuid.UUID, name: str, description: str, vision: str
) -> ProjectView:
    """Create a project owned by ``user_id``."""
    project = await repository.add_project(
        uow,
        name=_text(name, "name", required=True, limit=MAX_NAME),
        description=_text(description, "description", required=False, limit=MAX_TEXT),
        vision=_text(vision, "vision", required=False, limit=MAX_TEXT),
        created_by=user_id,
    )
    member = await repository.add_member(
        uow, project_id=project.id, user_id=user_id, role=Role.OWNER, accepted_at=datetime.now(UTC)
    )
    snapshot = {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "vision": project.vision,
        "onboarding_mode": project.onboarding_mode,
        "created_by": project.created_by,
    }
    uow.emit(
        Event(
            entity_type="project",
            action="created",
            entity_id=str(project.id),
            project_id=project.id,
            payload=events_pb2.ProjectCreated(project_id=str(project.id), name=project.name, created_by=str(user_id)),
            snapshot=snapshot,
        )
    )
    uow.emit(
        Event(
            entity_type="member",
            action="added",
            entity_id=str(member.id),
            project_id=project.id,
            payload=events_pb2.MemberAdded(project_id=str(project.id), user_id=str(user_id), role=member.role),
            snapshot={"user_id": user_id, "role": member.role},
        )
    )
    return ProjectView(
        id=project.id,
        name=project.name,
        description=project.description,
        vision=project.vision,
        onboarding_mode=project.onboarding_mode,
        created_by=project.created_by,
        created_at=project.created_at,
        role=member.role,
    )


def _project_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc


async def get_project(uow: UnitOfWork, *, user_id: uuid.UUID, project_id: str) -> ProjectView:
    """The project if ``user_id`` is a member; NotFound otherwise (existence is not revealed)."""
    found = await repository.project_for_member(uow, _project_id(project_id), user_id)
    if found is None:
        raise NotFound("project not found", slug="project-not-found")
    return found


async def resolve_role(uow: UnitOfWork, *, user_id: uuid.UUID, project_id: str) -> str:
    """The role of ``user_id`` in the project; NotFound when not a member."""
    role = await repository.member_role(uow, _project_id(project_id), user_id)
    if role is None:
        raise NotFound("project not found", slug="project-not-found")
    return role


async def list_projects(
    uow: UnitOfWork, *, user_id: uuid.UUID, limit: int, cursor: str
) -> tuple[list[ProjectView], str]:
    """One page of the user's projects (newest first) and the cursor of the next page."""
    limit = page_limit(limit)
    position = decode_cursor(cursor)
    before = None
    if position is not None:
        try:
            before = uuid.UUID(str(position.get("before")))
        except ValueError as exc:
            raise InvalidArgument("cursor is not valid", slug="invalid-cursor") from exc
    rows = await repository.projects_of_member(uow, user_id, limit=limit + 1, before=before)
    page = rows[:limit]
    next_cursor = encode_cursor({"before": str(page[-1].id)}) if len(rows) > limit else ""
    return page, next_cursor
