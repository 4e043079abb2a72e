"""What planning knows of each project: the task key prefix, the task and sprint counters, and the
project settings planning obeys (PR automation, parallel sprints).

The profile is learnt from identity's events (``identity.project.created.v1``,
``identity.project_settings.updated.v1``); a request that needs it before those events arrived
asks identity once, with the caller's own principal. The key prefix is fixed at creation, so a
task's key (``AIR-42``) never changes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aira.common.v1 import events_pb2
from aira.identity.v1 import events_pb2 as identity_events
from aira.identity.v1 import projects_pb2
from services.chassis.events import unpack
from services.chassis.uow import UnitOfWork
from services.planning.models import ProjectProfile

FALLBACK_PREFIX = "TASK"
_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class ProjectFacts:
    """What identity says about a project, as far as planning cares."""

    name: str
    pr_automation_enabled: bool = True
    allow_parallel_sprints: bool = False


# Asks identity about a project (the caller's principal travels with the call); None if unknown.
AskIdentity = Callable[[uuid.UUID], Awaitable[ProjectFacts | None]]


def key_prefix(name: str) -> str:
    """The task key prefix for a project name: initials of several words ("Acme Mobile App" →
    "AMA"), else the first three letters of one ("Aira" → "AIR"); accents are dropped and the
    prefix starts with a letter; "TASK" when nothing fits."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = _WORD.findall(folded)
    while words and not words[0][0].isalpha():
        words.pop(0)
    if not words:
        return FALLBACK_PREFIX
    if len(words) >= 2:
        return "".join(w[0] for w in words[:4]).upper()
    return words[0][:3].upper()


async def _insert(uow: UnitOfWork, project_id: uuid.UUID, facts: ProjectFacts) -> None:
    table = ProjectProfile.__table__
    await uow.session.execute(
        pg_insert(table)
        .values(
            project_id=project_id,
            name=facts.name,
            task_key_prefix=key_prefix(facts.name),
            pr_automation_enabled=facts.pr_automation_enabled,
            allow_parallel_sprints=facts.allow_parallel_sprints,
        )
        .on_conflict_do_nothing(index_elements=[table.c.project_id])
    )


async def profile(
    uow: UnitOfWork, project_id: uuid.UUID, ask: AskIdentity | None, *, lock: bool = False
) -> ProjectProfile:
    """The project's profile, created on first use (from identity when its events have not arrived);
    ``lock`` holds it until commit, which serialises counters and sprint starts per project."""
    query = select(ProjectProfile).where(ProjectProfile.project_id == project_id)
    if lock:
        query = query.with_for_update()
    found = (await uow.session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    facts = await ask(project_id) if ask is not None else None
    await _insert(uow, project_id, facts or ProjectFacts(name=""))
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def next_task_key(uow: UnitOfWork, project_id: uuid.UUID, ask: AskIdentity | None) -> tuple[int, str]:
    """The next task number of the project and its key, e.g. (42, "AIR-42"); gap-free until commit."""
    found = await profile(uow, project_id, ask, lock=True)
    found.last_task_number += 1
    await uow.session.flush()
    return found.last_task_number, f"{found.task_key_prefix}-{found.last_task_number}"


async def next_sprint_number(uow: UnitOfWork, project_id: uuid.UUID, ask: AskIdentity | None) -> int:
    """The next sprint number of the project (1, 2, …)."""
    found = await profile(uow, project_id, ask, lock=True)
    found.last_sprint_number += 1
    await uow.session.flush()
    return found.last_sprint_number


async def on_identity_event(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Learn a project's name on creation and its settings when they change."""
    table = ProjectProfile.__table__
    if envelope.type == "identity.project.created.v1":
        created = unpack(envelope, identity_events.ProjectCreated)
        await _insert(uow, uuid.UUID(created.project_id), ProjectFacts(name=created.name))
    elif envelope.type == "identity.project_settings.updated.v1":
        changed = unpack(envelope, identity_events.ProjectSettingsUpdated)
        project_id = uuid.UUID(changed.project_id)
        await _insert(uow, project_id, ProjectFacts(name=""))
        await uow.session.execute(
            update(table)
            .where(table.c.project_id == project_id)
            .values(
                pr_automation_enabled=changed.pr_automation_enabled,
                allow_parallel_sprints=changed.allow_parallel_sprints,
            )
        )


def facts_from_identity(project: projects_pb2.Project, settings: projects_pb2.Settings) -> ProjectFacts:
    """ProjectFacts from identity's replies."""
    return ProjectFacts(
        name=project.name,
        pr_automation_enabled=settings.pr_automation_enabled,
        allow_parallel_sprints=settings.allow_parallel_sprints,
    )
