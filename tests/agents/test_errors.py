"""The error log: services' error events land there once, never in a project's audit log, and only
Aira's administrators read it."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import func, select, text

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.common.v1 import types_pb2
from gateway.routes.audit import PLATFORM_ADMIN_SCOPE as GATEWAY_SCOPE
from services.agents.error_log import PLATFORM_ADMIN_SCOPE
from services.agents.models import AuditEvent
from services.chassis import db
from services.chassis.events import error_event, to_envelope
from services.chassis.jobs import Job, enqueue
from services.chassis.principal import Principal
from services.chassis.service import ServiceParts, ServiceSpec
from services.chassis.uow import UnitOfWork
from services.rebalance import models as rebalance_models
from tests.agents.bus import publish
from tests.grpc_calls import refused
from tests.harness import running_service

pytestmark = pytest.mark.usefixtures("clean_db")

ADMIN = Principal(subject=str(uuid.uuid4()), kind="user", scopes=(PLATFORM_ADMIN_SCOPE,))


def _error(domain: str, kind: str, project_id: str | None = None, **fields):
    return to_envelope(
        error_event(kind, f"{kind} happened", project_id=project_id, **fields), domain=domain, producer=domain
    )


async def _errors(audit, principals, **filters) -> list[audit_pb2.ErrorEntry]:
    items, cursor = [], ""
    while True:
        page = await audit.ListErrors(
            audit_pb2.ListErrorsRequest(page=types_pb2.PageRequest(limit=2, cursor=cursor), **filters),
            metadata=principals.metadata(ADMIN),
        )
        items += page.items
        cursor = page.page.next_cursor
        if not cursor:
            return items


async def _wait_for_errors(audit, principals, count: int, timeout: float = 20.0, **filters):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        items = await _errors(audit, principals, **filters)
        if len(items) >= count or asyncio.get_running_loop().time() > deadline:
            return items
        await asyncio.sleep(0.1)


async def _audit_events(admin_engine) -> int:
    async with admin_engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(AuditEvent.__table__))).scalar_one()


def test_the_gateway_mints_the_scope_agents_checks() -> None:
    assert GATEWAY_SCOPE == PLATFORM_ADMIN_SCOPE


async def test_an_error_event_lands_in_the_error_log_once(agents_channel, principals, settings, admin_engine) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    reported = _error("planning", "sync_failed", project_id, reference="task:42", details={"attempt": 3})
    await publish(settings, [reported], copies=3)  # redelivered under other message ids
    errors = await _wait_for_errors(audit, principals, 1)
    await asyncio.sleep(0.5)  # any duplicate would land by now
    errors = await _errors(audit, principals)
    assert len(errors) == 1
    error = errors[0]
    assert (error.service, error.kind, error.message, error.reference) == (
        "planning",
        "sync_failed",
        "sync_failed happened",
        "task:42",
    )
    assert (error.project_id, dict(error.details)) == (project_id, {"attempt": 3})
    # Not project history: the project's audit log and feed know nothing of it.
    assert await _audit_events(admin_engine) == 0
    member = principals.metadata(Principal(subject=str(uuid.uuid4()), kind="user", project_id=project_id, role="owner"))
    assert not (await audit.ListEvents(audit_pb2.ListEventsRequest(project_id=project_id), metadata=member)).items
    assert not (await audit.ListActivity(audit_pb2.ListActivityRequest(project_id=project_id), metadata=member)).items


async def test_errors_filter_and_page_newest_first(agents_channel, principals, settings) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    envelopes = [
        _error("planning", "first"),
        _error("ledger", "second", project_id),
        _error("planning", "third", project_id),
    ]
    await publish(settings, envelopes)
    everything = await _wait_for_errors(audit, principals, 3)
    assert [e.kind for e in everything] == ["third", "second", "first"]
    assert [e.kind for e in await _errors(audit, principals, service="planning")] == ["third", "first"]
    assert [e.kind for e in await _errors(audit, principals, project_id=project_id)] == ["third", "second"]
    await refused(
        audit.ListErrors,
        audit_pb2.ListErrorsRequest(project_id="not-an-id"),
        principals.metadata(ADMIN),
        grpc.StatusCode.INVALID_ARGUMENT,
        "validation-failed",
    )


async def test_only_platform_administrators_read_errors(agents_channel, principals) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    someone = str(uuid.uuid4())
    request = audit_pb2.ListErrorsRequest()
    for principal in (
        Principal(subject=someone, kind="user"),
        Principal(subject=someone, kind="user", project_id=str(uuid.uuid4()), role="owner"),
        # A credential's scopes are the credential's own: no key can be an administrator.
        Principal(
            subject=someone, kind="api_key", project_id=str(uuid.uuid4()), role="owner", scopes=(PLATFORM_ADMIN_SCOPE,)
        ),
        Principal(subject="planning", kind="service"),
    ):
        await refused(
            audit.ListErrors, request, principals.metadata(principal), grpc.StatusCode.PERMISSION_DENIED, "forbidden"
        )
    await refused(audit.ListErrors, request, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")
    assert (await audit.ListErrors(request, metadata=principals.metadata(ADMIN))).items == []


async def test_a_job_that_dies_is_reported_once(agents_channel, principals, settings, service_engines) -> None:
    """The chassis' job runner reports a job out of attempts; agents files it under the service."""
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    infra = rebalance_models.infra
    sessionmaker = db.create_sessionmaker(service_engines["rebalance"])
    async with UnitOfWork(sessionmaker, domain="rebalance", producer="test", infra=infra) as uow:
        job_id, _ = await enqueue(uow.session, infra, "explode", {"n": 1}, max_attempts=1)
        await uow.commit()

    async def explode(uow: UnitOfWork, job: Job) -> None:
        raise RuntimeError("the reactor is on fire")

    spec = ServiceSpec(name="rebalance", infra=infra, build=lambda ctx: ServiceParts(job_handlers={"explode": explode}))
    async with running_service(spec, settings):
        errors = await _wait_for_errors(audit, principals, 1, service="rebalance")
    await asyncio.sleep(0.5)
    errors = await _errors(audit, principals, service="rebalance")
    assert [(e.kind, e.reference) for e in errors] == [("job_dead", f"job:{job_id}")]
    assert "the reactor is on fire" in errors[0].message
    assert dict(errors[0].details) == {"kind": "explode", "attempts": 1}
    async with service_engines["rebalance"].connect() as conn:
        status = (await conn.execute(text("SELECT status FROM rebalance.jobs WHERE id = :id"), {"id": job_id})).scalar()
    assert status == "dead"
