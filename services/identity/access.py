"""Who may do what in a project, decided from identity's own membership rows.

Identity never trusts a role it is told: it looks up the caller's current role and applies the
chassis role matrix, plus the scopes of a key or MCP grant, which must also be bound to the project.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.chassis import authz, context
from services.chassis.errors import NotFound, Unauthenticated
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.identity import repository


@dataclass(frozen=True)
class Access:
    project_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    kind: str  # user, api_key or mcp


def project_id_of(raw: str) -> uuid.UUID:
    """A project id from a request; anything else is simply not found."""
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc


def caller() -> Principal:
    principal = context.principal.get()
    if principal is None or principal.user_id is None:
        raise Unauthenticated("sign in first")
    return principal


async def authorize(uow: UnitOfWork, project_id: str, action: authz.Action) -> Access:
    """The caller's access to ``project_id`` if their role (and scopes) allow ``action``."""
    principal = caller()
    pid = project_id_of(project_id)
    assert principal.user_id is not None
    return permit(pid, await repository.member_role(uow, pid, principal.user_id), action)


def permit(project_id: uuid.UUID, role: str | None, action: authz.Action) -> Access:
    """The caller's access to the project given their role there, read by the caller (None when
    they are not a member): for reads that fetch the role with what they read, in one query."""
    principal = caller()
    bound_elsewhere = principal.kind in authz.SCOPED_KINDS and principal.project_id != str(project_id)
    if role is None or bound_elsewhere:
        raise NotFound("project not found", slug="project-not-found")
    assert principal.user_id is not None
    checked = Principal(
        subject=principal.subject, kind=principal.kind, project_id=str(project_id), role=role, scopes=principal.scopes
    )
    authz.require(checked, str(project_id), action)
    return Access(project_id=project_id, user_id=principal.user_id, role=role, kind=principal.kind)
