"""All SQL of the identity service. Functions flush; the edge commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.identity.models import Project, ProjectMember, RefreshToken, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def add_user(session: AsyncSession, *, email: str, name: str, password_hash: str) -> User:
    """Insert a user; Conflict when the email is taken (also under a concurrent sign-up)."""
    user = User(id=uuid7(), email=email, name=name, password_hash=password_hash, status="active")
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("an account with this email already exists", slug="email-taken") from exc
    await session.refresh(user)
    return user


async def record_login(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    await session.execute(update(User).where(User.id == user_id).values(last_login_at=when))


async def add_refresh_token(
    session: AsyncSession, *, user_id: uuid.UUID, token_hash: str, family_id: uuid.UUID, expires_at: datetime
) -> RefreshToken:
    token = RefreshToken(jti=uuid7(), user_id=user_id, token_hash=token_hash, family_id=family_id, expires_at=expires_at)
    session.add(token)
    await session.flush()
    return token


async def add_project(
    session: AsyncSession, *, name: str, description: str, vision: str, created_by: uuid.UUID
) -> Project:
    project = Project(id=uuid7(), name=name, description=description, vision=vision, created_by=created_by)
    session.add(project)
    await session.flush()
    await session.refresh(project)
    return project


async def add_member(
    session: AsyncSession, *, project_id: uuid.UUID, user_id: uuid.UUID, role: str, accepted_at: datetime | None
) -> ProjectMember:
    member = ProjectMember(id=uuid7(), project_id=project_id, user_id=user_id, role=role, accepted_at=accepted_at)
    session.add(member)
    await session.flush()
    return member


async def project_with_role(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Project, str] | None:
    """The project and the user's role in it, or None when the user is not a member."""
    row = (
        await session.execute(
            select(Project, ProjectMember.role)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(Project.id == project_id, ProjectMember.user_id == user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def member_role(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    return (
        await session.execute(
            select(ProjectMember.role).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
        )
    ).scalar_one_or_none()


async def projects_of_member(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, before: uuid.UUID | None
) -> list[tuple[Project, str]]:
    """The user's projects, newest first, starting after the cursor position ``before``."""
    query = (
        select(Project, ProjectMember.role)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user_id)
        .order_by(Project.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Project.id < before)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
