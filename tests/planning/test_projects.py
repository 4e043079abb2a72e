"""What planning knows of a project: key prefixes, gap-free counters under concurrency, and the
facts learnt from identity's events or, before they arrive, from identity itself."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from aira.identity.v1 import events_pb2 as identity_events
from services.chassis import db
from services.chassis.events import Event, to_envelope
from services.chassis.uow import UnitOfWork
from services.planning import models, projects
from services.planning.projects import ProjectFacts


@pytest.fixture
def uow(service_engines):
    sessionmaker = db.create_sessionmaker(service_engines["planning"])
    return lambda: UnitOfWork(sessionmaker, domain="planning", producer="test", infra=models.infra)


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Aira", "AIR"),
        ("Acme Mobile App", "AMA"),
        ("the big new web platform rewrite", "TBNW"),
        ("x", "X"),
        ("42 — ünïcode 😀", "UNI"),
        ("🚀 ✨", "TASK"),
        ("", "TASK"),
        ("Project 2027", "P2"),
    ],
)
def test_key_prefixes_read_like_the_project(name: str, prefix: str) -> None:
    assert projects.key_prefix(name) == prefix


async def test_keys_are_numbered_without_gaps_or_duplicates_under_concurrency(uow) -> None:
    project_id = uuid.uuid4()
    asked: list[uuid.UUID] = []

    async def ask(pid: uuid.UUID) -> ProjectFacts:
        asked.append(pid)
        return ProjectFacts(name="Orbit Tracker")

    async def take() -> str:
        async with uow() as work:
            _, key = await projects.next_task_key(work, project_id, ask)
            await work.commit()
            return key

    keys = await asyncio.gather(*(take() for _ in range(20)))
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"OT-{n}" for n in range(1, 21)]
    assert 1 <= len(asked) <= 20  # only callers that found no profile asked identity

    async with uow() as work:  # a rolled-back number is handed out again
        assert await projects.next_task_key(work, project_id, ask) == (21, "OT-21")
    async with uow() as work:
        assert await projects.next_task_key(work, project_id, ask) == (21, "OT-21")
        assert await projects.next_sprint_number(work, project_id, ask) == 1
        await work.commit()


async def test_identity_events_teach_the_name_and_the_settings(uow) -> None:
    project_id = uuid.uuid4()
    created = to_envelope(
        Event(
            entity_type="project",
            action="created",
            entity_id=str(project_id),
            project_id=project_id,
            payload=identity_events.ProjectCreated(project_id=str(project_id), name="Northwind Billing"),
        ),
        domain="identity",
        producer="test",
    )
    settings = to_envelope(
        Event(
            entity_type="project_settings",
            action="updated",
            entity_id=str(uuid.uuid4()),
            project_id=project_id,
            payload=identity_events.ProjectSettingsUpdated(
                project_id=str(project_id), pr_automation_enabled=False, allow_parallel_sprints=True
            ),
        ),
        domain="identity",
        producer="test",
    )
    for envelope in (created, settings, created):  # a redelivered creation changes nothing
        async with uow() as work:
            await projects.on_identity_event(work, envelope)
            await work.commit()

    async def never(_: uuid.UUID) -> ProjectFacts:
        raise AssertionError("the events told planning already")

    async with uow() as work:
        found = await projects.profile(work, project_id, never)
        assert (found.name, found.task_key_prefix) == ("Northwind Billing", "NB")
        assert (found.pr_automation_enabled, found.allow_parallel_sprints) == (False, True)


async def test_a_project_identity_does_not_know_gets_the_fallback_prefix(uow) -> None:
    async def unknown(_: uuid.UUID) -> None:
        return None

    async with uow() as work:
        assert await projects.next_task_key(work, uuid.uuid4(), unknown) == (1, "TASK-1")
