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
    MANAGE_SOURCES = "manage_sources"  # add, change and remove sources
    PLAN = "plan"  # insights, features, tasks, sprints
    APPROVE_REBALANCE = "approve_rebalance"
    MANAGE_PROJECT = "manage_project"  # settings, description, integrations
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove
    MANAGE_BILLING = "manage_billing"
    TRANSFER_OWNERSHIP = "transfer_ownership"
    DELETE_PROJECT = "delete_project"


# Principals that act through a credential limited by scopes.
SCOPED_KINDS = frozenset({"api_key", "mcp"})

_ALL = frozenset(Role)
_WORKERS = frozenset({Role.OWNER, Role.ADMIN, Role.PRODUCT_MANAGER, Role.MEMBER})
_PLANNERS = frozenset({Role.OWNER, Role.ADMIN, Role.PRODUCT_MANAGER})
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})
_OWNER = frozenset({Role.OWNER})

MATRIX: dict[Action, frozenset[Role]] = {
    Action.READ: _ALL,
    Action.REQUEST_REPORTS: _WORKERS | {Role.STAKEHOLDER},
    Action.WORK_ON_TASKS: _WORKERS,
    Action.MANAGE_SOURCES: _PLANNERS,
    Action.PLAN: _PLANNERS,
    Action.APPROVE_REBALANCE: _PLANNERS,
    Action.MANAGE_PROJECT: _ADMINS,
    Action.MANAGE_MEMBERS: _ADMINS,
    Action.MANAGE_BILLING: _OWNER,
    Action.TRANSFER_OWNERSHIP: _OWNER,
    Action.DELETE_PROJECT: _OWNER,
}


# API key (and MCP token) scopes: the action that decides whether a role may grant the scope,
# and the actions the scope covers. A scoped principal may act only where its role *and* one of
# its scopes allow, so a key can never do more than its creator's current role.
SCOPES: dict[str, tuple[Action, frozenset[Action]]] = {
    "read": (Action.READ, frozenset({Action.READ})),
    "write": (
        Action.WORK_ON_TASKS,
        frozenset(
            {
                Action.READ,
                Action.REQUEST_REPORTS,
                Action.WORK_ON_TASKS,
                Action.MANAGE_SOURCES,
                Action.PLAN,
                Action.APPROVE_REBALANCE,
            }
        ),
    ),
    "sources:write": (Action.MANAGE_SOURCES, frozenset({Action.READ, Action.MANAGE_SOURCES})),
    # Deleting a project or handing it over always needs a person signed in.
    "admin": (Action.MANAGE_PROJECT, frozenset(Action) - {Action.DELETE_PROJECT, Action.TRANSFER_OWNERSHIP}),
}


def allows(role: str | None, action: Action) -> bool:
    """Whether ``role`` may perform ``action``."""
    return role in MATRIX[action]


def scopes_cover(scopes: tuple[str, ...], action: Action) -> bool:
    """Whether any of ``scopes`` covers ``action``."""
    return any(action in SCOPES[s][1] for s in scopes if s in SCOPES)


def grantable_scopes(role: str) -> set[str]:
    """The scopes a member with ``role`` may put on a key they create."""
    return {scope for scope, (deciding, _) in SCOPES.items() if allows(role, deciding)}


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
    if principal.kind in SCOPED_KINDS and not scopes_cover(principal.scopes, action):
        granted = ", ".join(principal.scopes) or "none"
        raise PermissionDenied(
            f"this credential's scopes ({granted}) do not allow {action.value.replace('_', ' ')}",
            slug="insufficient-scope",
        )
    return principal


def current_user_id() -> uuid.UUID:
    """The signed-in user behind the current call; Unauthenticated for anyone else."""
    principal = context.principal.get()
    if principal is None or principal.user_id is None:
        raise Unauthenticated("sign in first")
    return principal.user_id
