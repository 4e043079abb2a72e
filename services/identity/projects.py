"""Projects: create (the creator becomes owner, with default settings and a 14-day trial), read as a
member, update, soft-delete, and the project's settings and billing."""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from aira.identity.v1 import events_pb2
from services.chassis.authz import Action, Role
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.access import authorize, caller, permit, project_id_of
from services.identity.models import LLM_PROVIDERS, PLANS, REBALANCE_MODES, ProjectBilling, ProjectSettings
from services.identity.repository import ProjectView

MAX_NAME = 200
MAX_TEXT = 10_000
TRIAL = timedelta(days=14)
ONBOARDING_MODES = ("manual", "guided", "automatic")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9._:/-]{1,100}$")


def clean_text(value: str, field: str, *, required: bool, limit: int) -> str:
    """Trimmed NFC text within ``limit`` characters and without control characters (except newlines, tabs)."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise InvalidArgument(f"{field} must not be empty", slug="validation-failed", field=field)
    if len(cleaned) > limit:
        raise InvalidArgument(f"{field} must be at most {limit} characters", slug="validation-failed", field=field)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in cleaned):
        raise InvalidArgument(f"{field} must not contain control characters", slug="validation-failed", field=field)
    return cleaned


def one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidArgument(f"{field} must be one of {', '.join(allowed)}", slug="validation-failed", field=field)
    return value


def _view(project: Any, role: str) -> ProjectView:
    return ProjectView(**_snapshot(project), created_at=project.created_at, updated_at=project.updated_at, role=role)


def _snapshot(project: Any) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "vision": project.vision,
        "onboarding_mode": project.onboarding_mode,
        "created_by": project.created_by,
    }


async def create_project(uow: UnitOfWork, *, name: str, description: str, vision: str) -> ProjectView:
    """Create a project owned by the caller (people only; keys act inside one project)."""
    principal = caller()
    if principal.kind != "user":
        raise FailedPrecondition("only a signed-in person can create projects", slug="person-required")
    user_id = principal.user_id
    assert user_id is not None
    project = await repository.add_project(
        uow,
        name=clean_text(name, "name", required=True, limit=MAX_NAME),
        description=clean_text(description, "description", required=False, limit=MAX_TEXT),
        vision=clean_text(vision, "vision", required=False, limit=MAX_TEXT),
        created_by=user_id,
    )
    member = await repository.add_member(
        uow, project_id=project.id, user_id=user_id, role=Role.OWNER, accepted_at=datetime.now(UTC)
    )
    await repository.add_project_defaults(uow, project.id, project.created_at + TRIAL)
    uow.emit(
        Event(
            entity_type="project",
            action="created",
            entity_id=str(project.id),
            project_id=project.id,
            payload=events_pb2.ProjectCreated(project_id=str(project.id), name=project.name, created_by=str(user_id)),
            snapshot=_snapshot(project),
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
    return _view(project, member.role)


async def get_project(uow: UnitOfWork, project_id: str) -> ProjectView:
    """The project if the caller may read it; NotFound otherwise (existence is not revealed).

    One query: the project comes with the caller's role, which decides (the hot read of the API).
    """
    pid, user_id = project_id_of(project_id), caller().user_id
    assert user_id is not None  # caller() refuses anyone else
    found = await repository.project_for_member(uow, pid, user_id)
    permit(pid, found.role if found else None, Action.READ)
    assert found is not None  # permit refuses non-members
    return found


async def resolve_role(uow: UnitOfWork, project_id: str) -> tuple[uuid.UUID, str]:
    """The caller's id and role in the project; NotFound when not a member."""
    access = await authorize(uow, project_id, Action.READ)
    return access.user_id, access.role


async def list_projects(uow: UnitOfWork, *, limit: int, cursor: str) -> tuple[list[ProjectView], str]:
    """One page of the caller's projects (newest first) and the cursor of the next page.

    A key or MCP grant sees only the project it is bound to.
    """
    principal = caller()
    assert principal.user_id is not None
    limit = page_limit(limit)
    before = cursor_id(decode_cursor(cursor), "before")
    rows = await repository.projects_of_member(uow, principal.user_id, limit=limit + 1, before=before)
    if principal.kind != "user":
        rows = [row for row in rows if str(row.id) == principal.project_id]
    page = rows[:limit]
    next_cursor = encode_cursor({"before": str(page[-1].id)}) if len(rows) > limit else ""
    return page, next_cursor


async def update_project(uow: UnitOfWork, project_id: str, **changes: str | None) -> ProjectView:
    """Change name, description, vision or onboarding mode (owners and admins)."""
    access = await authorize(uow, project_id, Action.MANAGE_PROJECT)
    project = await repository.live_project(uow, access.project_id)
    if project is None:
        raise NotFound("project not found", slug="project-not-found")
    limits = {"name": (True, MAX_NAME), "description": (False, MAX_TEXT), "vision": (False, MAX_TEXT)}
    changed: dict[str, Any] = {}
    for field, value in changes.items():
        if value is None:
            continue
        if field == "onboarding_mode":
            value = one_of(value, ONBOARDING_MODES, field)
        else:
            required, limit = limits[field]
            value = clean_text(value, field, required=required, limit=limit)
        if getattr(project, field) != value:
            changed[field] = {"from": getattr(project, field), "to": value}
            setattr(project, field, value)
    if changed:
        project = await repository.save_project(uow, project)
        uow.emit(
            Event(
                entity_type="project",
                action="updated",
                entity_id=str(project.id),
                project_id=project.id,
                payload=events_pb2.ProjectChanged(project_id=str(project.id), fields=sorted(changed)),
                changes=changed,
                snapshot=_snapshot(project),
            )
        )
    return _view(project, access.role)


async def delete_project(uow: UnitOfWork, project_id: str) -> None:
    """Soft-delete (owners only): the project disappears from every read; rows are kept."""
    access = await authorize(uow, project_id, Action.DELETE_PROJECT)
    project = await repository.live_project(uow, access.project_id)
    if project is None:
        raise NotFound("project not found", slug="project-not-found")
    project.deleted_at = datetime.now(UTC)
    await repository.save_project(uow, project)
    uow.emit(
        Event(
            entity_type="project",
            action="deleted",
            entity_id=str(project.id),
            project_id=project.id,
            payload=events_pb2.ProjectChanged(project_id=str(project.id), fields=["deleted_at"]),
            snapshot=_snapshot(project),
        )
    )


# --- settings ------------------------------------------------------------------------------


async def get_settings(uow: UnitOfWork, project_id: str) -> ProjectSettings:
    access = await authorize(uow, project_id, Action.READ)
    return await repository.settings_of(uow, access.project_id)


def _check_setting(field: str, value: Any) -> Any:
    if field == "timezone":
        if value not in zoneinfo.available_timezones():
            raise InvalidArgument(
                "timezone must be an IANA name such as Europe/Berlin", slug="validation-failed", field=field
            )
    elif field == "llm_provider":
        one_of(value, LLM_PROVIDERS, field)
    elif field == "llm_model":
        if value and not _MODEL_NAME.match(value):
            raise InvalidArgument("llm_model is not a model name", slug="validation-failed", field=field)
        return value or None
    elif field == "auto_rebalance_mode":
        one_of(value, REBALANCE_MODES, field)
    return value


async def update_settings(uow: UnitOfWork, project_id: str, changes: dict[str, Any]) -> ProjectSettings:
    """Change settings (owners and admins); every change is published in full."""
    access = await authorize(uow, project_id, Action.MANAGE_PROJECT)
    settings = await repository.settings_of(uow, access.project_id)
    changed = {}
    for field, value in changes.items():
        value = _check_setting(field, value)
        if getattr(settings, field) != value:
            changed[field] = {"from": getattr(settings, field), "to": value}
            setattr(settings, field, value)
    if not changed:
        return settings
    settings = await repository.save(uow, settings)
    uow.emit(
        Event(
            entity_type="project_settings",
            action="updated",
            entity_id=str(settings.id),
            project_id=access.project_id,
            payload=events_pb2.ProjectSettingsUpdated(
                project_id=str(access.project_id),
                timezone=settings.timezone,
                llm_provider=settings.llm_provider,
                llm_model=settings.llm_model or "",
                heartbeat_enabled=settings.heartbeat_enabled,
                auto_rebalance_mode=settings.auto_rebalance_mode,
                pr_automation_enabled=settings.pr_automation_enabled,
                allow_parallel_sprints=settings.allow_parallel_sprints,
            ),
            changes=changed,
        )
    )
    return settings


# --- billing -------------------------------------------------------------------------------


def trial_state(billing: ProjectBilling, now: datetime | None = None) -> tuple[bool, int]:
    """Whether the trial is running, and whole days left (rounded up)."""
    now = now or datetime.now(UTC)
    if billing.plan != "trial" or now >= billing.trial_ends_at:
        return False, 0
    return True, math.ceil((billing.trial_ends_at - now).total_seconds() / 86400)


async def get_billing(uow: UnitOfWork, project_id: str) -> ProjectBilling:
    """Billing is seen by those who manage the project (owners and admins)."""
    access = await authorize(uow, project_id, Action.MANAGE_PROJECT)
    return await repository.billing_of(uow, access.project_id)


async def update_billing(uow: UnitOfWork, project_id: str, plan: str) -> ProjectBilling:
    """Change plan (owners only). A trial, once left or over, does not come back."""
    access = await authorize(uow, project_id, Action.MANAGE_BILLING)
    one_of(plan, PLANS, "plan")
    billing = await repository.billing_of(uow, access.project_id)
    if plan == billing.plan:
        return billing
    if plan == "trial":
        raise FailedPrecondition("a project's trial cannot be restarted", slug="trial-unavailable")
    previous = billing.plan
    billing.plan = plan
    billing.is_trial_active = False
    billing.plan_changed_at = datetime.now(UTC)
    billing = await repository.save(uow, billing)
    uow.emit(
        Event(
            entity_type="billing",
            action="updated",
            entity_id=str(billing.id),
            project_id=access.project_id,
            payload=events_pb2.BillingUpdated(project_id=str(access.project_id), plan=plan),
            changes={"plan": {"from": previous, "to": plan}},
        )
    )
    return billing
