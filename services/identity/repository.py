"""All SQL of the identity service. Functions flush; the edge commits.

Project reads run on every authenticated request, so they are compiled ``Query`` objects that
go straight to asyncpg; writes and account reads use the ORM.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.chassis.sql import Query
from services.chassis.uow import UnitOfWork
from services.identity.models import Project, ProjectMember, RefreshToken, User

_projects = Project.__table__
_members = ProjectMember.__table__


@dataclass(frozen=True)
class ProjectView:
    """A project as one member sees it."""

    id: uuid.UUID
    name: str
    description: str
    vision: str
    onboarding_mode: str
    created_by: uuid.UUID
    created_at: datetime
    role: str


_MEMBER_PROJECTS = (
    select(
        _projects.c.id,
        _projects.c.name,
        _projects.c.description,
        _projects.c.vision,
        _projects.c.onboarding_mode,
        _projects.c.created_by,
        _projects.c.created_at,
        _members.c.role,
    )
    .join(_members, _members.c.project_id == _projects.c.id)
    .where(_members.c.user_id == bindparam("user_id"))
)
_PROJECT_FOR_MEMBER = Query(_MEMBER_PROJECTS.where(_projects.c.id == bindparam("project_id")))
_NEWEST_PROJECTS = Query(_MEMBER_PROJECTS.order_by(_projects.c.id.desc()).limit(bindparam("limit")))
_OLDER_PROJECTS = Query(
    _MEMBER_PROJECTS.where(_projects.c.id < bindparam("before"))
    .order_by(_projects.c.id.desc())
    .limit(bindparam("limit"))
)
_MEMBER_ROLE = Query(
    select(_members.c.role).where(
        _members.c.project_id == bindparam("project_id"), _members.c.user_id == bindparam("user_id")
    )
)


async def user_by_email(uow: UnitOfWork, email: str) -> User | None:
    return (await uow.session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(uow: UnitOfWork, user_id: uuid.UUID) -> User | None:
    return await uow.session.get(User, user_id)


async def add_user(uow: UnitOfWork, *, email: str, name: str, password_hash: str) -> User:
    """Insert a user; Conflict when the email is taken (also under a concurrent sign-up)."""
    user = User(id=uuid7(), email=email, name=name, password_hash=password_hash, status="active")
    uow.session.add(user)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("an account with this email already exists", slug="email-taken") from exc
    await uow.session.refresh(user)
    return user


async def record_login(uow: UnitOfWork, user_id: uuid.UUID, when: datetime) -> None:
    await uow.session.execute(update(User).where(User.id == user_id).values(last_login_at=when))


async def add_refresh_token(
    uow: UnitOfWork, *, user_id: uuid.UUID, token_hash: str, family_id: uuid.UUID, expires_at: datetime
) -> RefreshToken:
    token = RefreshToken(
        jti=uuid7(), user_id=user_id, token_hash=token_hash, family_id=family_id, expires_at=expires_at
    )
    uow.session.add(token)
    await uow.session.flush()
    return token


async def add_project(uow: UnitOfWork, *, name: str, description: str, vision: str, created_by: uuid.UUID) -> Project:
    project = Project(id=uuid7(), name=name, description=description, vision=vision, created_by=created_by)
    uow.session.add(project)
    await uow.session.flush()
    await uow.session.refresh(project)
    return project


async def add_member(
    uow: UnitOfWork, *, project_id: uuid.UUID, user_id: uuid.UUID, role: str, accepted_at: datetime | None
) -> ProjectMember:
    member = ProjectMember(id=uuid7(), project_id=project_id, user_id=user_id, role=role, accepted_at=accepted_at)
    uow.session.add(member)
    await uow.session.flush()
    return member


async def project_for_member(uow: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectView | None:
    """The project as ``user_id`` sees it, or None when they are not a member."""
    row = await uow.fetchrow(_PROJECT_FOR_MEMBER, project_id=project_id, user_id=user_id)
    return ProjectView(**row) if row else None


async def member_role(uow: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    row = await uow.fetchrow(_MEMBER_ROLE, project_id=project_id, user_id=user_id)
    return row["role"] if row else None


async def projects_of_member(
    uow: UnitOfWork, user_id: uuid.UUID, *, limit: int, before: uuid.UUID | None
) -> list[ProjectView]:
    """The user's projects, newest first, after the cursor position ``before``."""
    if before is None:
        rows = await uow.fetch(_NEWEST_PROJECTS, user_id=user_id, limit=limit)
    else:
        rows = await uow.fetch(_OLDER_PROJECTS, user_id=user_id, limit=limit, before=before)
    return [ProjectView(**row) for row in rows]
