"""The project role matrix (SPEC §0), in one place; every service enforces it from here.

``docs/roles.md`` shows the same matrix as a table and a test checks the two agree.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from services.chassis import context
from services.chassis.errors import NotFound, PermissionDenied, Unauthenticated
from services.chassis.principal import Principal


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    PRODUCT_MANAGER = "product_manager"
    MEMBER = "member"
    STAKEHOLDER = "stakeholder"
    VIEWER = "viewer"


class Action(StrEnum):
    READ = "read"  # see every resource of the project
    REQUEST_REPORTS = "request_reports"  # ask the assistant for reports and answers
    WORK_ON_TASKS = "work_on_tasks"  # update tasks, progress, chat
    PLAN = "plan"  # sources, features, tasks, sprints
    APPROVE_REBALANCE = "approve_rebalance"
    MANAGE_PROJECT = "manage_project"  # settings, description, integrations
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove
    MANAGE_BILLING = "manage_billing"
    TRANSFER_OWNERSHIP = "transfer_ownership"
    DELETE_PROJECT = "delete_project"


_ALL = frozenset(Role)
_WORKERS = frozenset({Role.OWNER, Role.ADMIN, Role.PRODUCT_MANAGER, Role.MEMBER})
_PLANNERS = frozenset({Role.OWNER, Role.ADMIN, Role.PRODUCT_MANAGER})
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})
_OWNER = frozenset({Role.OWNER})

MATRIX: dict[Action, frozenset[Role]] = {
    Action.READ: _ALL,
    Action.REQUEST_REPORTS: _WORKERS | {Role.STAKEHOLDER},
    Action.WORK_ON_TASKS: _WORKERS,
    Action.PLAN: _PLANNERS,
    Action.APPROVE_REBALANCE: _PLANNERS,
    Action.MANAGE_PROJECT: _ADMINS,
    Action.MANAGE_MEMBERS: _ADMINS,
    Action.MANAGE_BILLING: _OWNER,
    Action.TRANSFER_OWNERSHIP: _OWNER,
    Action.DELETE_PROJECT: _OWNER,
}


def allows(role: str | None, action: Action) -> bool:
    """Whether ``role`` may perform ``action``."""
    return role in MATRIX[action]


def require(principal: Principal | None, project_id: str, action: Action) -> Principal:
    """The principal, if it acts in ``project_id`` with a role allowed to ``action``.

    A caller who is not in the project gets NotFound, so a project's existence is not revealed.
    """
    if principal is None or principal.kind == "anonymous":
        raise Unauthenticated("sign in to use this project")
    if principal.project_id != project_id or principal.role is None:
        raise NotFound("project not found", slug="project-not-found")
    if not allows(principal.role, action):
        raise PermissionDenied(f"role {principal.role!r} may not {action.value.replace('_', ' ')}")
    return principal


def current_user_id() -> uuid.UUID:
    """The signed-in user behind the current call; Unauthenticated for anyone else."""
    principal = context.principal.get()
    if principal is None or principal.user_id is None:
        raise Unauthenticated("sign in first")
    return principal.user_id
