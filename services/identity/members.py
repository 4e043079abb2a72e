"""Who is in a project: members and their roles, ownership transfer, and invitations by email.

Rules: only an owner makes owners or changes an owner; a project always keeps at least one owner
(the last one can neither leave, be removed nor be demoted); anyone may leave. Invitations are
emailed with a single-use token valid for 7 days, and only the invited address may accept them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aira.identity.v1 import events_pb2
from services.chassis.authz import Action, Role
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity import accounts, repository
from services.identity.access import Access, authorize, caller
from services.identity.emails import Emails
from services.identity.models import ROLES, ProjectInvitation, ProjectMember, User
from services.identity.repository import ProjectView
from services.identity.security_log import SecurityLog
from services.identity.tokens import hash_token, new_secret_token

INVITATION_TTL = timedelta(days=7)


@dataclass(frozen=True)
class MemberView:
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class InvitationView:
    invitation: ProjectInvitation
    project_name: str
    inviter_name: str
    status: str  # "expired" when a pending invitation ran out


def _user_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("no such member", slug="member-not-found") from exc


def _role(raw: str) -> str:
    if raw not in ROLES:
        raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", slug="invalid-role")
    return raw


def _event(access: Access, action: str, member_user: uuid.UUID, role: str, previous: str = "") -> Event:
    return Event(
        entity_type="member",
        action=action,
        entity_id=str(member_user),
        project_id=access.project_id,
        payload=events_pb2.MemberChanged(
            project_id=str(access.project_id), user_id=str(member_user), role=role, previous_role=previous
        ),
        changes={"role": {"from": previous or None, "to": role or None}},
    )


async def list_members(uow: UnitOfWork, project_id: str) -> list[MemberView]:
    access = await authorize(uow, project_id, Action.READ)
    return [
        MemberView(user.id, user.name, user.email, member.role, member.accepted_at or member.created_at)
        for member, user in await repository.members_of(uow, access.project_id)
    ]


async def _other_owners(uow: UnitOfWork, access: Access, leaving: uuid.UUID) -> list[uuid.UUID]:
    return [owner for owner in await repository.lock_owners(uow, access.project_id) if owner != leaving]


async def change_role(uow: UnitOfWork, project_id: str, user_id: str, role: str) -> MemberView:
    access = await authorize(uow, project_id, Action.MANAGE_MEMBERS)
    role = _role(role)
    target = _user_id(user_id)
    member = await repository.member_for_update(uow, access.project_id, target)
    if member is None:
        raise NotFound("no such member", slug="member-not-found")
    if (role == Role.OWNER or member.role == Role.OWNER) and access.role != Role.OWNER:
        raise PermissionDenied("only an owner can make owners or change an owner's role", slug="owner-required")
    if member.role == Role.OWNER and role != Role.OWNER and not await _other_owners(uow, access, target):
        raise FailedPrecondition("a project needs an owner; transfer ownership first", slug="last-owner")
    previous = member.role
    if previous != role:
        member.role = role
        await repository.save(uow, member)
        uow.emit(_event(access, "role_changed", target, role, previous))
    user = await repository.user_by_id(uow, target)
    assert user is not None
    return MemberView(user.id, user.name, user.email, member.role, member.accepted_at or member.created_at)


async def remove_member(uow: UnitOfWork, project_id: str, user_id: str) -> None:
    """Remove someone (owners and admins), or leave (anyone)."""
    target = _user_id(user_id)
    principal = caller()
    leaving = principal.user_id == target
    access = await authorize(uow, project_id, Action.READ if leaving else Action.MANAGE_MEMBERS)
    member = await repository.member_for_update(uow, access.project_id, target)
    if member is None:
        raise NotFound("no such member", slug="member-not-found")
    if member.role == Role.OWNER and not leaving and access.role != Role.OWNER:
        raise PermissionDenied("only an owner can remove an owner", slug="owner-required")
    if member.role == Role.OWNER and not await _other_owners(uow, access, target):
        raise FailedPrecondition("the last owner cannot leave; transfer ownership first", slug="last-owner")
    await repository.remove_member(uow, member)
    uow.emit(_event(access, "removed", target, "", member.role))


async def transfer_ownership(uow: UnitOfWork, project_id: str, user_id: str) -> list[MemberView]:
    """Make another member the owner; the current owner stays on as admin."""
    access = await authorize(uow, project_id, Action.TRANSFER_OWNERSHIP)
    target = _user_id(user_id)
    if target == access.user_id:
        raise InvalidArgument("you own this project already", slug="already-owner")
    new_owner = await repository.member_for_update(uow, access.project_id, target)
    if new_owner is None:
        raise NotFound("ownership goes to a member of the project", slug="member-not-found")
    current = await repository.member_for_update(uow, access.project_id, access.user_id)
    assert current is not None
    changes = [(new_owner, Role.OWNER.value), (current, Role.ADMIN.value)]
    for member, role in changes:
        if member.role != role:
            previous, member.role = member.role, role
            await repository.save(uow, member)
            uow.emit(_event(access, "role_changed", member.user_id, role, previous))
    uow.emit(
        Event(
            entity_type="project",
            action="ownership_transferred",
            entity_id=str(access.project_id),
            project_id=access.project_id,
            payload=events_pb2.ProjectChanged(project_id=str(access.project_id), fields=["owner"]),
            changes={"owner": {"from": access.user_id, "to": target}},
        )
    )
    return await list_members(uow, project_id)


# --- invitations ---------------------------------------------------------------------------


def _status(invitation: ProjectInvitation) -> str:
    if invitation.status == "pending" and invitation.expires_at <= datetime.now(UTC):
        return "expired"
    return invitation.status


async def _view(uow: UnitOfWork, invitation: ProjectInvitation) -> InvitationView:
    project = await repository.live_project(uow, invitation.project_id)
    inviter = await repository.user_by_id(uow, invitation.invited_by)
    return InvitationView(
        invitation, project.name if project else "", inviter.name if inviter else "", _status(invitation)
    )


def _invitation_event(invitation: ProjectInvitation, action: str) -> Event:
    return Event(
        entity_type="invitation",
        action=action,
        entity_id=str(invitation.id),
        project_id=invitation.project_id,
        payload=events_pb2.InvitationChanged(
            project_id=str(invitation.project_id),
            invitation_id=str(invitation.id),
            email=invitation.email,
            role=invitation.role,
            status=invitation.status,
        ),
        snapshot={"email": invitation.email, "role": invitation.role, "status": invitation.status},
    )


class Invitations:
    def __init__(self, emails: Emails, security_log: SecurityLog) -> None:
        self._emails = emails
        self._log = security_log

    async def create(self, uow: UnitOfWork, project_id: str, email: str, role: str) -> InvitationView:
        access = await authorize(uow, project_id, Action.MANAGE_MEMBERS)
        role = _role(role)
        if role == Role.OWNER and access.role != Role.OWNER:
            raise PermissionDenied("only an owner can invite owners", slug="owner-required")
        email = accounts.normalise_email(email)
        existing = await repository.user_by_email(uow, email)
        if existing and await repository.member_role(uow, access.project_id, existing.id):
            raise Conflict("this person is already a member", slug="already-member")
        token = new_secret_token()
        invitation = await repository.add_invitation(
            uow,
            ProjectInvitation(
                id=uuid7(),
                project_id=access.project_id,
                email=email,
                role=role,
                invited_by=access.user_id,
                token_hash=token.token_hash,
                expires_at=datetime.now(UTC) + INVITATION_TTL,
            ),
        )
        view = await _view(uow, invitation)
        await self._emails.enqueue(
            uow, self._emails.invitation(email, view.inviter_name, view.project_name, role, token.token)
        )
        uow.emit(_invitation_event(invitation, "created"))
        return view

    async def pending(self, uow: UnitOfWork, project_id: str) -> list[InvitationView]:
        access = await authorize(uow, project_id, Action.MANAGE_MEMBERS)
        return [await _view(uow, i) for i in await repository.invitations_of(uow, access.project_id, status="pending")]

    async def revoke(self, uow: UnitOfWork, project_id: str, invitation_id: str) -> InvitationView:
        access = await authorize(uow, project_id, Action.MANAGE_MEMBERS)
        try:
            found = await repository.invitation(uow, access.project_id, uuid.UUID(invitation_id))
        except ValueError:
            found = None
        if found is None:
            raise NotFound("no such invitation", slug="invitation-not-found")
        if found.status != "pending":
            raise FailedPrecondition(f"the invitation was already {found.status}", slug="invitation-closed")
        found.status, found.responded_at = "revoked", datetime.now(UTC)
        await repository.save(uow, found)
        uow.emit(_invitation_event(found, "revoked"))
        return await _view(uow, found)

    async def _by_token(self, uow: UnitOfWork, token: str, *, lock: bool) -> ProjectInvitation:
        found = await repository.invitation_by_hash(uow, hash_token(token), lock=lock) if token else None
        if found is None or await repository.live_project(uow, found.project_id) is None:
            raise NotFound("this invitation is not valid", slug="invitation-not-found")
        return found

    async def show(self, uow: UnitOfWork, token: str) -> InvitationView:
        """What the invitation offers, to whoever holds its link."""
        return await _view(uow, await self._by_token(uow, token, lock=False))

    async def _open_for_caller(self, uow: UnitOfWork, token: str) -> tuple[ProjectInvitation, User]:
        invitation = await self._by_token(uow, token, lock=True)
        principal = caller()
        if principal.kind != "user":
            raise FailedPrecondition("invitations are answered by a signed-in person", slug="person-required")
        assert principal.user_id is not None
        user = await accounts.current_user(uow, principal.user_id)
        status = _status(invitation)
        if status != "pending":
            raise FailedPrecondition(f"this invitation is {status}", slug=f"invitation-{status}")
        if user.email != invitation.email:
            await self._log.record_now(
                "invitation_email_mismatch", user.id, invitation_id=invitation.id, project_id=invitation.project_id
            )
            raise PermissionDenied(
                "this invitation was sent to a different email address", slug="invitation-wrong-email"
            )
        return invitation, user

    async def accept(self, uow: UnitOfWork, token: str) -> ProjectView:
        invitation, user = await self._open_for_caller(uow, token)
        now = datetime.now(UTC)
        member: ProjectMember = await repository.add_member(
            uow,
            project_id=invitation.project_id,
            user_id=user.id,
            role=invitation.role,
            accepted_at=now,
            invited_at=invitation.created_at,
        )
        invitation.status, invitation.responded_at = "accepted", now
        await repository.save(uow, invitation)
        self._log.add(uow, "invitation_accepted", user.id, project_id=invitation.project_id, role=invitation.role)
        uow.emit(_invitation_event(invitation, "accepted"))
        uow.emit(
            Event(
                entity_type="member",
                action="added",
                entity_id=str(member.id),
                project_id=invitation.project_id,
                payload=events_pb2.MemberAdded(
                    project_id=str(invitation.project_id), user_id=str(user.id), role=member.role
                ),
                snapshot={"user_id": user.id, "role": member.role},
            )
        )
        view = await repository.project_for_member(uow, invitation.project_id, user.id)
        assert view is not None
        return view

    async def decline(self, uow: UnitOfWork, token: str) -> InvitationView:
        invitation, _ = await self._open_for_caller(uow, token)
        invitation.status, invitation.responded_at = "declined", datetime.now(UTC)
        await repository.save(uow, invitation)
        uow.emit(_invitation_event(invitation, "declined"))
        return await _view(uow, invitation)
