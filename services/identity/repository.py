"""SQL of the identity service for accounts, sessions, keys and projects. Functions flush; the edge commits.

Project reads run on every authenticated request, so they are compiled ``Query`` objects that go
straight to asyncpg; the rest uses the ORM. Soft-deleted projects are invisible to every read.
Passkeys, OIDC and MCP OAuth keep their SQL in their own ``*_repository`` modules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.chassis.sql import Query
from services.chassis.uow import UnitOfWork
from services.identity.models import (
    ApiKey,
    EmailVerification,
    MagicLink,
    PasswordResetOtp,
    Project,
    ProjectBilling,
    ProjectIntegration,
    ProjectInvitation,
    ProjectIssue,
    ProjectMember,
    ProjectSettings,
    RefreshToken,
    SystemConfig,
    User,
    UserAuditEntry,
    UserPreferences,
)

_projects = Project.__table__
_members = ProjectMember.__table__
_live = _projects.c.deleted_at.is_(None)


# --- users ---------------------------------------------------------------------------------


async def user_by_email(uow: UnitOfWork, email: str) -> User | None:
    return (await uow.session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(uow: UnitOfWork, user_id: uuid.UUID) -> User | None:
    return await uow.session.get(User, user_id)


async def users_by_id(uow: UnitOfWork, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = await uow.session.execute(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows.scalars()}


async def add_user(uow: UnitOfWork, *, email: str, name: str, password_hash: str | None) -> User:
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


async def update_user(uow: UnitOfWork, user: User, **values: Any) -> User:
    for key, value in values.items():
        setattr(user, key, value)
    user.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(user)
    return user


# --- sessions ------------------------------------------------------------------------------


async def add_refresh_token(
    uow: UnitOfWork, *, user_id: uuid.UUID, token_hash: str, family_id: uuid.UUID, expires_at: datetime
) -> RefreshToken:
    token = RefreshToken(
        jti=uuid7(), user_id=user_id, token_hash=token_hash, family_id=family_id, expires_at=expires_at
    )
    uow.session.add(token)
    await uow.session.flush()
    return token


async def refresh_token_by_hash(uow: UnitOfWork, token_hash: str) -> RefreshToken | None:
    return (
        await uow.session.execute(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    ).scalar_one_or_none()


async def spend_refresh_token(uow: UnitOfWork, jti: uuid.UUID) -> bool:
    """Mark a live token used; False when it was used or revoked in the meantime."""
    result = await uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=func.now())
    )
    return result.rowcount == 1


async def link_successor(uow: UnitOfWork, jti: uuid.UUID, successor: uuid.UUID) -> None:
    await uow.session.execute(update(RefreshToken).where(RefreshToken.jti == jti).values(replaced_by=successor))


async def session_open(uow: UnitOfWork, family_id: uuid.UUID) -> bool:
    """Whether the session family still has a refresh token that is not revoked and not expired."""
    query = select(RefreshToken.jti).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > func.now()
    )
    return (await uow.session.execute(query.limit(1))).first() is not None


async def revoke_families(uow: UnitOfWork, user_id: uuid.UUID, *, family_id: uuid.UUID | None, reason: str) -> int:
    """Revoke one session family of the user, or all of them when ``family_id`` is None."""
    statement = update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
    if family_id is not None:
        statement = statement.where(RefreshToken.family_id == family_id)
    result = await uow.session.execute(statement.values(revoked_at=func.now(), revoked_reason=reason))
    return result.rowcount or 0


# --- one-time credentials ------------------------------------------------------------------


async def add_email_verification(
    uow: UnitOfWork, *, user_id: uuid.UUID, email: str, token_hash: str, expires_at: datetime
) -> EmailVerification:
    row = EmailVerification(id=uuid7(), user_id=user_id, email=email, token_hash=token_hash, expires_at=expires_at)
    uow.session.add(row)
    await uow.session.flush()
    return row


async def latest_email_verification(uow: UnitOfWork, user_id: uuid.UUID) -> EmailVerification | None:
    return (
        await uow.session.execute(
            select(EmailVerification)
            .where(EmailVerification.user_id == user_id)
            .order_by(EmailVerification.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def email_verification_by_hash(uow: UnitOfWork, token_hash: str) -> EmailVerification | None:
    return (
        await uow.session.execute(select(EmailVerification).where(EmailVerification.token_hash == token_hash))
    ).scalar_one_or_none()


async def consume_email_verification(uow: UnitOfWork, verification_id: uuid.UUID) -> bool:
    result = await uow.session.execute(
        update(EmailVerification)
        .where(
            EmailVerification.id == verification_id,
            EmailVerification.consumed_at.is_(None),
            EmailVerification.expires_at > func.now(),
        )
        .values(consumed_at=func.now())
    )
    return result.rowcount == 1


async def retire_email_verifications(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """Old links stop working once a new one is sent."""
    await uow.session.execute(
        update(EmailVerification)
        .where(EmailVerification.user_id == user_id, EmailVerification.consumed_at.is_(None))
        .values(expires_at=func.now())
    )


async def add_magic_link(
    uow: UnitOfWork, *, user_id: uuid.UUID, token_hash: str, next_path: str, expires_at: datetime, ip: str | None
) -> MagicLink:
    row = MagicLink(
        id=uuid7(), user_id=user_id, token_hash=token_hash, next_path=next_path, expires_at=expires_at, requested_ip=ip
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def magic_link_by_hash(uow: UnitOfWork, token_hash: str) -> MagicLink | None:
    return (await uow.session.execute(select(MagicLink).where(MagicLink.token_hash == token_hash))).scalar_one_or_none()


async def consume_magic_link(uow: UnitOfWork, link_id: uuid.UUID) -> bool:
    """Spend a live link; False when it was spent or expired (single use under concurrency too)."""
    result = await uow.session.execute(
        update(MagicLink)
        .where(MagicLink.id == link_id, MagicLink.consumed_at.is_(None), MagicLink.expires_at > func.now())
        .values(consumed_at=func.now())
    )
    return result.rowcount == 1


async def add_reset_code(uow: UnitOfWork, *, user_id: uuid.UUID, otp_hash: str, expires_at: datetime) -> None:
    await uow.session.execute(
        update(PasswordResetOtp)
        .where(PasswordResetOtp.user_id == user_id, PasswordResetOtp.consumed_at.is_(None))
        .values(consumed_at=func.now())
    )  # a new code replaces any earlier one
    uow.session.add(PasswordResetOtp(id=uuid7(), user_id=user_id, otp_hash=otp_hash, expires_at=expires_at))
    await uow.session.flush()


async def take_reset_attempt(uow: UnitOfWork, user_id: uuid.UUID) -> PasswordResetOtp | None:
    """Count one attempt against the user's live code and return it; None when there is none left.

    The attempt is counted before the code is compared, so guessing costs an attempt whatever
    the guess.
    """
    live = (
        select(PasswordResetOtp.id)
        .where(
            PasswordResetOtp.user_id == user_id,
            PasswordResetOtp.consumed_at.is_(None),
            PasswordResetOtp.locked_at.is_(None),
            PasswordResetOtp.expires_at > func.now(),
            PasswordResetOtp.attempts < PasswordResetOtp.max_attempts,
        )
        .order_by(PasswordResetOtp.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = (
        await uow.session.execute(
            update(PasswordResetOtp)
            .where(PasswordResetOtp.id == live)
            .values(attempts=PasswordResetOtp.attempts + 1)
            .returning(PasswordResetOtp)
        )
    ).scalar_one_or_none()
    return row


async def latest_reset_code(uow: UnitOfWork, user_id: uuid.UUID) -> PasswordResetOtp | None:
    return (
        await uow.session.execute(
            select(PasswordResetOtp)
            .where(PasswordResetOtp.user_id == user_id)
            .order_by(PasswordResetOtp.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def lock_reset_code(uow: UnitOfWork, code_id: uuid.UUID) -> None:
    await uow.session.execute(
        update(PasswordResetOtp).where(PasswordResetOtp.id == code_id).values(locked_at=func.now())
    )


async def consume_reset_code(uow: UnitOfWork, code_id: uuid.UUID) -> bool:
    result = await uow.session.execute(
        update(PasswordResetOtp)
        .where(PasswordResetOtp.id == code_id, PasswordResetOtp.consumed_at.is_(None))
        .values(consumed_at=func.now())
    )
    return result.rowcount == 1


# --- security log and preferences ----------------------------------------------------------


async def audit_entries(
    uow: UnitOfWork, user_id: uuid.UUID, *, limit: int, before: uuid.UUID | None
) -> list[UserAuditEntry]:
    query = (
        select(UserAuditEntry).where(UserAuditEntry.user_id == user_id).order_by(UserAuditEntry.id.desc()).limit(limit)
    )
    if before is not None:
        query = query.where(UserAuditEntry.id < before)
    return list((await uow.session.execute(query)).scalars())


async def preferences(uow: UnitOfWork, user_id: uuid.UUID, project_id: uuid.UUID) -> UserPreferences | None:
    return (
        await uow.session.execute(
            select(UserPreferences).where(UserPreferences.user_id == user_id, UserPreferences.project_id == project_id)
        )
    ).scalar_one_or_none()


async def put_preferences(
    uow: UnitOfWork, user_id: uuid.UUID, project_id: uuid.UUID, values: dict[str, Any]
) -> UserPreferences:
    table = UserPreferences.__table__
    await uow.session.execute(
        pg_insert(table)
        .values(id=uuid7(), user_id=user_id, project_id=project_id, preferences=values)
        .on_conflict_do_update(
            constraint="uq_user_preferences_user_project", set_={"preferences": values, "updated_at": func.now()}
        )
    )
    stored = await preferences(uow, user_id, project_id)
    assert stored is not None
    await uow.session.refresh(stored)
    return stored


async def system_config(uow: UnitOfWork, key: str) -> Any:
    row = await uow.session.get(SystemConfig, key)
    return row.value if row else None


async def put_system_config(uow: UnitOfWork, key: str, value: Any, description: str = "") -> None:
    table = SystemConfig.__table__
    await uow.session.execute(
        pg_insert(table)
        .values(key=key, value=value, description=description)
        .on_conflict_do_update(index_elements=[table.c.key], set_={"value": value, "updated_at": func.now()})
    )


# --- API keys ------------------------------------------------------------------------------


async def add_api_key(uow: UnitOfWork, key: ApiKey) -> ApiKey:
    uow.session.add(key)
    await uow.session.flush()
    await uow.session.refresh(key)
    return key


async def api_keys_of(uow: UnitOfWork, user_id: uuid.UUID, project_id: uuid.UUID | None) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc())
    if project_id is not None:
        query = query.where(ApiKey.project_id == project_id)
    return list((await uow.session.execute(query)).scalars())


async def api_key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey | None:
    return await uow.session.get(ApiKey, key_id)


async def api_key_by_hash(uow: UnitOfWork, key_hash: str) -> ApiKey | None:
    return (await uow.session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))).scalar_one_or_none()


async def touch_api_key(uow: UnitOfWork, key_id: uuid.UUID) -> None:
    """Record use, at most once a minute per key (keys are used on every request)."""
    await uow.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < func.now() - timedelta(minutes=1)),
        )
        .values(last_used_at=func.now())
    )


# --- projects ------------------------------------------------------------------------------


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
    updated_at: datetime
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
        _projects.c.updated_at,
        _members.c.role,
    )
    .join(_members, _members.c.project_id == _projects.c.id)
    .where(_members.c.user_id == bindparam("user_id"), _live)
)
_PROJECT_FOR_MEMBER = Query(_MEMBER_PROJECTS.where(_projects.c.id == bindparam("project_id")))
_NEWEST_PROJECTS = Query(_MEMBER_PROJECTS.order_by(_projects.c.id.desc()).limit(bindparam("limit")))
_OLDER_PROJECTS = Query(
    _MEMBER_PROJECTS.where(_projects.c.id < bindparam("before"))
    .order_by(_projects.c.id.desc())
    .limit(bindparam("limit"))
)
_MEMBER_ROLE = Query(
    select(_members.c.role)
    .join(_projects, _projects.c.id == _members.c.project_id)
    .where(_members.c.project_id == bindparam("project_id"), _members.c.user_id == bindparam("user_id"), _live)
)


async def add_project(uow: UnitOfWork, *, name: str, description: str, vision: str, created_by: uuid.UUID) -> Project:
    project = Project(id=uuid7(), name=name, description=description, vision=vision, created_by=created_by)
    uow.session.add(project)
    await uow.session.flush()
    await uow.session.refresh(project)
    return project


async def live_project(uow: UnitOfWork, project_id: uuid.UUID) -> Project | None:
    return (
        await uow.session.execute(select(Project).where(Project.id == project_id, Project.deleted_at.is_(None)))
    ).scalar_one_or_none()


async def project_names(uow: UnitOfWork, project_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these projects (deleted ones included: a grant may outlive its project's name)."""
    query = select(Project.id, Project.name).where(Project.id.in_(project_ids))
    return {key: value for key, value in (await uow.session.execute(query)).all()}


async def save_project(uow: UnitOfWork, project: Project) -> Project:
    project.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(project)
    return project


async def project_for_member(uow: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectView | None:
    """The project as ``user_id`` sees it, or None when they are not a member (or it is deleted)."""
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


# --- members -------------------------------------------------------------------------------


async def add_member(
    uow: UnitOfWork,
    *,
    project_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    accepted_at: datetime | None,
    invited_at: datetime | None = None,
) -> ProjectMember:
    member = ProjectMember(
        id=uuid7(), project_id=project_id, user_id=user_id, role=role, accepted_at=accepted_at, invited_at=invited_at
    )
    uow.session.add(member)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("already a member of this project", slug="already-member") from exc
    return member


async def members_of(uow: UnitOfWork, project_id: uuid.UUID) -> list[tuple[ProjectMember, User]]:
    rows = await uow.session.execute(
        select(ProjectMember, User)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
        .order_by(ProjectMember.created_at, ProjectMember.id)
    )
    return [(member, user) for member, user in rows.all()]


async def member_for_update(uow: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectMember | None:
    return (
        await uow.session.execute(
            select(ProjectMember)
            .where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def lock_owners(uow: UnitOfWork, project_id: uuid.UUID) -> list[uuid.UUID]:
    """The project's owners, locked, so two changes cannot both remove 'the other' owner."""
    rows = await uow.session.execute(
        select(ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id, ProjectMember.role == "owner")
        .with_for_update()
    )
    return list(rows.scalars())


async def remove_member(uow: UnitOfWork, member: ProjectMember) -> None:
    await uow.session.delete(member)
    await uow.session.flush()


# --- invitations ---------------------------------------------------------------------------


async def add_invitation(uow: UnitOfWork, invitation: ProjectInvitation) -> ProjectInvitation:
    await uow.session.execute(
        update(ProjectInvitation)
        .where(
            ProjectInvitation.project_id == invitation.project_id,
            ProjectInvitation.email == invitation.email,
            ProjectInvitation.status == "pending",
        )
        .values(status="revoked", responded_at=func.now())
    )  # a fresh invitation replaces an earlier one to the same address
    uow.session.add(invitation)
    await uow.session.flush()
    await uow.session.refresh(invitation)
    return invitation


async def invitations_of(uow: UnitOfWork, project_id: uuid.UUID, *, status: str | None) -> list[ProjectInvitation]:
    query = select(ProjectInvitation).where(ProjectInvitation.project_id == project_id)
    if status:
        query = query.where(ProjectInvitation.status == status)
    return list((await uow.session.execute(query.order_by(ProjectInvitation.created_at.desc()))).scalars())


async def invitation(uow: UnitOfWork, project_id: uuid.UUID, invitation_id: uuid.UUID) -> ProjectInvitation | None:
    return (
        await uow.session.execute(
            select(ProjectInvitation)
            .where(ProjectInvitation.project_id == project_id, ProjectInvitation.id == invitation_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def invitation_by_hash(uow: UnitOfWork, token_hash: str, *, lock: bool) -> ProjectInvitation | None:
    query = select(ProjectInvitation).where(ProjectInvitation.token_hash == token_hash)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


# --- settings, billing, integrations, issues -----------------------------------------------


async def add_project_defaults(uow: UnitOfWork, project_id: uuid.UUID, trial_ends_at: datetime) -> None:
    uow.session.add(ProjectSettings(id=uuid7(), project_id=project_id))
    uow.session.add(ProjectBilling(id=uuid7(), project_id=project_id, trial_ends_at=trial_ends_at))
    await uow.session.flush()


async def settings_of(uow: UnitOfWork, project_id: uuid.UUID) -> ProjectSettings:
    return (
        await uow.session.execute(select(ProjectSettings).where(ProjectSettings.project_id == project_id))
    ).scalar_one()


async def billing_of(uow: UnitOfWork, project_id: uuid.UUID) -> ProjectBilling:
    return (
        await uow.session.execute(select(ProjectBilling).where(ProjectBilling.project_id == project_id))
    ).scalar_one()


async def save(uow: UnitOfWork, row: Any) -> Any:
    """Flush changes made to a loaded row, stamp ``updated_at`` when it has one, and reload it."""
    if hasattr(row, "updated_at"):
        row.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(row)
    return row


async def integrations_of(uow: UnitOfWork, project_id: uuid.UUID) -> list[ProjectIntegration]:
    rows = await uow.session.execute(
        select(ProjectIntegration)
        .where(ProjectIntegration.project_id == project_id)
        .order_by(ProjectIntegration.provider)
    )
    return list(rows.scalars())


async def integration(uow: UnitOfWork, project_id: uuid.UUID, provider: str) -> ProjectIntegration | None:
    return (
        await uow.session.execute(
            select(ProjectIntegration).where(
                ProjectIntegration.project_id == project_id, ProjectIntegration.provider == provider
            )
        )
    ).scalar_one_or_none()


async def add(uow: UnitOfWork, row: Any) -> Any:
    """Insert a new row and reload it (server defaults filled in)."""
    uow.session.add(row)
    await uow.session.flush()
    await uow.session.refresh(row)
    return row


async def delete_row(uow: UnitOfWork, row: Any) -> None:
    await uow.session.delete(row)
    await uow.session.flush()


async def issue(uow: UnitOfWork, project_id: uuid.UUID, issue_id: uuid.UUID) -> ProjectIssue | None:
    return (
        await uow.session.execute(
            select(ProjectIssue).where(ProjectIssue.project_id == project_id, ProjectIssue.id == issue_id)
        )
    ).scalar_one_or_none()


async def issues_of(
    uow: UnitOfWork, project_id: uuid.UUID, *, limit: int, before: uuid.UUID | None, status: str, priority: str
) -> list[ProjectIssue]:
    query = (
        select(ProjectIssue).where(ProjectIssue.project_id == project_id).order_by(ProjectIssue.id.desc()).limit(limit)
    )
    if before is not None:
        query = query.where(ProjectIssue.id < before)
    if status:
        query = query.where(ProjectIssue.status == status)
    if priority:
        query = query.where(ProjectIssue.priority == priority)
    return list((await uow.session.execute(query)).scalars())


async def purge_expired_credentials(uow: UnitOfWork) -> None:
    """Drop one-time credentials a day after they stopped working (the security log keeps the story)."""
    for table, column in (
        (EmailVerification, EmailVerification.expires_at),
        (MagicLink, MagicLink.expires_at),
        (PasswordResetOtp, PasswordResetOtp.expires_at),
        (RefreshToken, RefreshToken.expires_at),
    ):
        await uow.session.execute(delete(table).where(column < func.now() - timedelta(days=1)))
