"""SQL of the team roster. Functions flush; the edge commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from services.chassis.uow import UnitOfWork
from services.team.models import TeamMember

UNIQUE_USER = "uq_team_members_project_user"


async def member_of(
    uow: UnitOfWork, project_id: uuid.UUID, member_id: uuid.UUID, *, lock: bool = False
) -> TeamMember | None:
    """The project's member (removed or not), locked for update when asked."""
    query = select(TeamMember).where(TeamMember.id == member_id, TeamMember.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def members(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    member_ids: Sequence[uuid.UUID] | None = None,
    include_removed: bool = False,
    member_type: str = "",
    skill: str = "",
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[TeamMember]:
    """The project's members in the order they joined (UUIDv7 ids), filtered."""
    query = select(TeamMember).where(TeamMember.project_id == project_id).order_by(TeamMember.id)
    if member_ids is not None:
        query = query.where(TeamMember.id.in_(member_ids))
    if not include_removed:
        query = query.where(TeamMember.removed_at.is_(None))
    if member_type:
        query = query.where(TeamMember.member_type == member_type)
    if skill:
        query = query.where(TeamMember.skills.has_key(skill))
    if after is not None:
        query = query.where(TeamMember.id > after)
    if limit is not None:
        query = query.limit(limit)
    return list((await uow.session.execute(query)).scalars())


async def lock_roster(uow: UnitOfWork, project_id: uuid.UUID) -> None:
    """Serialise changes to the size of one project's roster until the transaction ends."""
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('team.roster:' || :project, 0))"),
        {"project": str(project_id)},
    )


async def current_count(uow: UnitOfWork, project_id: uuid.UUID) -> int:
    """How many members are on the project's roster now."""
    query = select(func.count()).where(TeamMember.project_id == project_id, TeamMember.removed_at.is_(None))
    return (await uow.session.execute(query)).scalar_one()


async def add_member(uow: UnitOfWork, member: TeamMember) -> bool:
    """Insert ``member``; False (nothing written) when their user is on the roster already."""
    uow.session.add(member)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        if member in uow.session:
            uow.session.expunge(member)
        if UNIQUE_USER in str(exc.orig):
            return False
        raise
    await uow.session.refresh(member, ["created_at", "updated_at"])
    return True


async def save(uow: UnitOfWork, member: TeamMember) -> TeamMember:
    """Write ``member``'s changes, stamping ``updated_at``."""
    member.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(member, ["updated_at", "removed_at"])
    return member
