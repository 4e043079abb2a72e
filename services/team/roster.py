"""The roster: who works on a project (people and AI agents), their skills and capacity per sprint.

Who may call what (see the README): every member of the project reads the roster (``read``), and
services other than the gateway read any project's roster for their own work. Staffing the team —
adding, changing and removing roster entries — is planning work, so it takes ``plan`` (owners,
admins, product managers), not ``manage_members``, which governs access to the project itself.
A roster entry is not an account: a person on the roster may have no Aira login (``user_id`` is
then empty), and an AI agent never has one.

Changes raise ``team.team_member.added.v1`` / ``.updated.v1`` / ``.removed.v1`` carrying
:class:`TeamMemberChanged`, the member's snapshot and, for updates, what changed. Removal is
soft: tasks keep naming their former assignee and :func:`get_member` still finds them, but lists
leave them out unless asked.

Functions here only flush; the edge commits.
"""

from __future__ import annotations

import functools
import math
import unicodedata
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func

from aira.team.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.team import repository
from services.team.models import MAX_CAPACITY_HOURS, MEMBER_TYPES, SENIORITIES, SKILL_LEVELS, TeamMember

MAX_ROSTER = 1000  # current members per project, so an unpaged list stays bounded
MAX_NAME = 200
MAX_ROLE = 100
MAX_SKILLS = 50
MAX_SKILL_NAME = 50
MAX_LOAD_HOURS = 10_000
MAX_MEMBER_IDS = 1000
CENT = Decimal("0.01")
# The principal the gateway uses for its own calls: a service, but never one reading for itself.
GATEWAY_SUBJECT = "gateway"
UPDATABLE = ("name", "role", "seniority", "skills", "capacity_hours_per_sprint", "current_load_hours", "timezone")


@dataclass(frozen=True)
class NewMember:
    """What a caller asks to put on the roster, before validation."""

    name: str
    role: str = ""
    member_type: str = ""  # "" means "human"
    seniority: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity_hours_per_sprint: float = 0.0
    current_load_hours: float = 0.0
    user_id: str = ""
    timezone: str = ""
    agent_instance_id: str = ""


# --- who may call ----------------------------------------------------------------------------


def _project(project_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(project_id)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc


def _reading(project_id: str) -> uuid.UUID:
    """The project, if the caller may read its roster: its members, or a service (background work)."""
    principal = context.principal.get()
    if not _is_service(principal):
        require(principal, project_id, Action.READ)
    return _project(project_id)


def _staffing(project_id: str) -> tuple[uuid.UUID, Principal]:
    """The project and the caller, if the caller may change its roster (``plan``)."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    return _project(project_id), principal


def _is_service(principal: Principal | None) -> bool:
    return principal is not None and principal.kind == "service" and principal.subject != GATEWAY_SUBJECT


# --- validation ------------------------------------------------------------------------------


def _invalid(message: str, slug: str, field_name: str) -> InvalidArgument:
    return InvalidArgument(message, slug=slug, field=field_name)


def _text(value: str, field_name: str, *, limit: int, required: bool = False) -> str:
    """Trimmed NFC text within ``limit`` characters, without control characters."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise _invalid(f"{field_name} must not be empty", "validation-failed", field_name)
    if len(cleaned) > limit:
        raise _invalid(f"{field_name} must be at most {limit} characters", "validation-failed", field_name)
    if any(unicodedata.category(c) == "Cc" for c in cleaned):
        raise _invalid(f"{field_name} must not contain control characters", "validation-failed", field_name)
    return cleaned


def _name(value: str) -> str:
    return _text(value, "name", limit=MAX_NAME, required=True)


def _role(value: str) -> str:
    return _text(value, "role", limit=MAX_ROLE)


def _member_type(value: str) -> str:
    value = value or "human"
    if value not in MEMBER_TYPES:
        raise _invalid(f"member_type must be one of {', '.join(MEMBER_TYPES)}", "invalid-member-type", "member_type")
    return value


def _seniority(value: str) -> str:
    if value and value not in SENIORITIES:
        raise _invalid(f"seniority must be empty or one of {', '.join(SENIORITIES)}", "invalid-seniority", "seniority")
    return value


def skill_name(value: str) -> str:
    """A skill's stored name: NFC, single spaces, lower case (skills match case-insensitively)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).lower()


def _skills(raw: Mapping[str, int]) -> dict[str, int]:
    """Skill → level 1–5, with names normalised (see :func:`skill_name`), sorted by name."""
    if len(raw) > MAX_SKILLS:
        raise _invalid(f"a member has at most {MAX_SKILLS} skills", "invalid-skills", "skills")
    low, high = SKILL_LEVELS
    cleaned: dict[str, int] = {}
    for raw_name, level in raw.items():
        name = skill_name(raw_name)
        if not name or len(name) > MAX_SKILL_NAME or any(unicodedata.category(c) == "Cc" for c in name):
            raise _invalid(
                f"skill names have 1 to {MAX_SKILL_NAME} characters without control characters",
                "invalid-skill",
                "skills",
            )
        if name in cleaned:
            raise _invalid(f"skill {name!r} is named twice", "invalid-skill", "skills")
        if isinstance(level, bool) or not isinstance(level, int) or not low <= level <= high:
            raise _invalid(
                f"the level of {name!r} must be a whole number from {low} (aware) to {high} (expert)",
                "invalid-skill-level",
                "skills",
            )
        cleaned[name] = level
    return dict(sorted(cleaned.items()))


def _hours(value: float, field_name: str, high: int, slug: str) -> Decimal:
    """Hours from 0 to ``high``, kept to the hundredth."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(f"{field_name} must be a number of hours", slug, field_name)
    if not 0 <= value <= high:
        raise _invalid(f"{field_name} must be between 0 and {high} hours", slug, field_name)
    return Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _capacity(value: float) -> Decimal:
    return _hours(value, "capacity_hours_per_sprint", MAX_CAPACITY_HOURS, "invalid-capacity")


def _load(value: float) -> Decimal:
    return _hours(value, "current_load_hours", MAX_LOAD_HOURS, "invalid-load")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    value = value.strip()
    if value and value not in _timezones():
        raise _invalid("timezone must be an IANA name such as Europe/Berlin", "invalid-timezone", "timezone")
    return value


def _optional_id(value: str, field_name: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        slug = f"invalid-{field_name.replace('_', '-')}"
        raise _invalid(f"{field_name} is not a valid id", slug, field_name) from exc


_CLEANERS = {
    "name": _name,
    "role": _role,
    "seniority": _seniority,
    "skills": _skills,
    "capacity_hours_per_sprint": _capacity,
    "current_load_hours": _load,
    "timezone": _timezone,
}


def _member_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("team member not found", slug="member-not-found") from exc


# --- events ----------------------------------------------------------------------------------


def _snapshot(member: TeamMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "role": member.role,
        "member_type": member.member_type,
        "seniority": member.seniority,
        "skills": member.skills,
        "capacity_hours_per_sprint": member.capacity_hours_per_sprint,
        "current_load_hours": member.current_load_hours,
        "user_id": member.user_id,
        "agent_instance_id": member.agent_instance_id,
        "timezone": member.timezone,
        "removed_at": member.removed_at,
    }


def _changed(
    member: TeamMember, action: str, *, fields: Iterable[str] = (), changes: Mapping[str, Any] | None = None
) -> Event:
    """``team.team_member.<action>.v1`` carrying TeamMemberChanged."""
    return Event(
        entity_type="team_member",
        action=action,
        entity_id=str(member.id),
        project_id=member.project_id,
        payload=events_pb2.TeamMemberChanged(
            project_id=str(member.project_id),
            member_id=str(member.id),
            name=member.name,
            member_type=member.member_type,
            role=member.role,
            seniority=member.seniority,
            skills=member.skills,
            capacity_hours_per_sprint=str(member.capacity_hours_per_sprint),
            current_load_hours=str(member.current_load_hours),
            user_id=str(member.user_id or ""),
            fields=list(fields),
        ),
        snapshot=_snapshot(member),
        changes=changes,
    )


# --- reading ---------------------------------------------------------------------------------


async def _existing(uow: UnitOfWork, project: uuid.UUID, member_id: str, *, lock: bool = False) -> TeamMember:
    member = await repository.member_of(uow, project, _member_id(member_id), lock=lock)
    if member is None:
        raise NotFound("team member not found", slug="member-not-found")
    return member


async def get_member(uow: UnitOfWork, project_id: str, member_id: str) -> TeamMember:
    """One member of the project's roster, removed or not."""
    return await _existing(uow, _reading(project_id), member_id)


def _wanted_ids(member_ids: Iterable[str]) -> list[uuid.UUID] | None:
    """The ids a list is limited to (None: no limit); ids that are not UUIDs match no one."""
    ids = list(member_ids)
    if not ids:
        return None
    if len(ids) > MAX_MEMBER_IDS:
        raise _invalid(f"ask for at most {MAX_MEMBER_IDS} members at once", "invalid-member-ids", "member_ids")
    wanted = []
    for raw in ids:
        try:
            wanted.append(uuid.UUID(raw))
        except ValueError:
            continue
    return wanted


async def list_members(
    uow: UnitOfWork,
    project_id: str,
    *,
    member_ids: Iterable[str] = (),
    include_removed: bool = False,
    member_type: str = "",
    skill: str = "",
    page: tuple[int, str] | None = None,
) -> tuple[list[TeamMember], str]:
    """The project's members in the order they joined, and the next page's cursor.

    Without ``page`` (limit, cursor) the whole current roster comes back at once (it is bounded
    by MAX_ROSTER); listing removed members as well needs a page unless ``member_ids`` bound it.
    """
    project = _reading(project_id)
    wanted = _wanted_ids(member_ids)
    if member_type:
        _member_type(member_type)
    skill = skill_name(skill)
    if page is None:
        if include_removed and wanted is None:
            raise _invalid("ask for a page to list removed members too", "page-required", "page")
        rows = await repository.members(
            uow, project, member_ids=wanted, include_removed=include_removed, member_type=member_type, skill=skill
        )
        return rows, ""
    limit = page_limit(page[0])
    after = cursor_id(decode_cursor(page[1]), "after")
    rows = await repository.members(
        uow,
        project,
        member_ids=wanted,
        include_removed=include_removed,
        member_type=member_type,
        skill=skill,
        after=after,
        limit=limit + 1,
    )
    items = rows[:limit]
    return items, encode_cursor({"after": str(items[-1].id)}) if len(rows) > limit else ""


# --- staffing --------------------------------------------------------------------------------


async def add_member(uow: UnitOfWork, project_id: str, new: NewMember) -> TeamMember:
    """Put a person or an AI agent on the roster (``plan``); ``team.team_member.added.v1``."""
    project, principal = _staffing(project_id)
    member_type = _member_type(new.member_type)
    user_id = _optional_id(new.user_id, "user_id")
    agent_instance_id = _optional_id(new.agent_instance_id, "agent_instance_id")
    if user_id is not None and member_type != "human":
        raise _invalid("only a human member has a user_id", "invalid-user-id", "user_id")
    if agent_instance_id is not None and member_type != "ai_agent":
        raise _invalid(
            "only an ai_agent member has an agent_instance_id", "invalid-agent-instance-id", "agent_instance_id"
        )
    member = TeamMember(
        id=uuid7(),
        project_id=project,
        name=_name(new.name),
        role=_role(new.role),
        member_type=member_type,
        seniority=_seniority(new.seniority),
        skills=_skills(new.skills),
        capacity_hours_per_sprint=_capacity(new.capacity_hours_per_sprint),
        current_load_hours=_load(new.current_load_hours),
        user_id=user_id,
        agent_instance_id=agent_instance_id,
        timezone=_timezone(new.timezone),
        created_by=principal.subject,
    )
    await repository.lock_roster(uow, project)
    if await repository.current_count(uow, project) >= MAX_ROSTER:
        raise FailedPrecondition(f"a roster holds at most {MAX_ROSTER} members", slug="roster-full")
    if not await repository.add_member(uow, member):
        raise Conflict("this person is on the roster already", slug="member-already-on-roster")
    uow.emit(_changed(member, "added"))
    return member


async def update_member(uow: UnitOfWork, project_id: str, member_id: str, changes: Mapping[str, Any]) -> TeamMember:
    """Change a current member's details (``plan``); ``team.team_member.updated.v1`` when anything changed.

    ``changes`` holds only the fields the caller set (see UPDATABLE); ``skills`` replaces them all.
    """
    project, _ = _staffing(project_id)
    cleaned = {name: _CLEANERS[name](value) for name, value in changes.items()}
    member = await _existing(uow, project, member_id, lock=True)
    if member.removed_at is not None:
        raise FailedPrecondition("this member was removed from the roster", slug="member-removed")
    changed: dict[str, Any] = {}
    for name, value in cleaned.items():
        before = getattr(member, name)
        if before != value:
            changed[name] = {"from": before, "to": value}
            setattr(member, name, value)
    if changed:
        await repository.save(uow, member)
        uow.emit(_changed(member, "updated", fields=sorted(changed), changes=changed))
    return member


async def remove_member(uow: UnitOfWork, project_id: str, member_id: str) -> TeamMember:
    """Take a member off the roster (``plan``; soft, and idempotent); ``team.team_member.removed.v1`` once."""
    project, _ = _staffing(project_id)
    member = await _existing(uow, project, member_id, lock=True)
    if member.removed_at is None:
        member.removed_at = func.now()
        await repository.save(uow, member)
        uow.emit(_changed(member, "removed", changes={"removed_at": {"from": None, "to": member.removed_at}}))
    return member
