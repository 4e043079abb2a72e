"""Orchestration: agents lends its lease queue (``orchestration_jobs``) to every service's workers.

Services enqueue long work — over gRPC (``Orchestration.Enqueue``) or by publishing
``<domain>.job.requested.v1`` — and their workers claim it, renew the lease while they work, and
complete or fail it. The lease rules are the chassis' (:class:`services.chassis.jobs.Leases`):
claims take due jobs by priority with ``FOR UPDATE SKIP LOCKED``; a job whose lease expires is
claimed again (the lease is its wait), or buried once it has no attempts left; a failure backs off
2 s, 4 s, 8 s … until ``max_attempts``, then the job is ``dead`` with its last error. A worker that
lost its lease is told so (``held = false``) and its Complete or Fail changes nothing, so a remote
worker must make its effect idempotent on the job id: the queue promises the job is *settled*
once, and the worker that settles it is the one that holds the lease.

Who may call what (see the README): Enqueue, Claim, Renew, Complete and Fail are for services
(principal kind ``service``, not the gateway's own); people list jobs (``read``) and retry dead
ones (``manage_project``) through the REST API.

Functions here only flush; the edge commits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, func, select

from aira.agents.v1 import events_pb2 as agents_events_pb2
from aira.common.v1 import events_pb2, types_pb2
from services.agents.consumers import react_to
from services.agents.models import JOB_STATUSES, OrchestrationJob
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.events import Event, error_event, unpack
from services.chassis.jobs import Job, JobQueue, Leases
from services.chassis.jobs import enqueue as enqueue_job
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.principal import Principal
from services.chassis.service import report_dead_job
from services.chassis.settings import SERVICES
from services.chassis.uow import UnitOfWork

QUEUE = JobQueue(
    OrchestrationJob.__table__,
    kind_column="job_type",
    attempts_column="attempt_count",
    extra_columns=("project_id", "run_id"),
)
LEASES = Leases(QUEUE)

JOB_TYPE = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,99}")
MAX_KEY = 200
MAX_WORKER_ID = 200
MAX_RUN_ID = 200
PRIORITY_RANGE = (-1000, 1000)  # higher runs first
DEFAULT_MAX_ATTEMPTS = 5
MAX_ATTEMPTS = 100
DEFAULT_RETRY_ATTEMPTS = 1
DEFAULT_LEASE_SECONDS = 30
MAX_LEASE_SECONDS = 600
DEFAULT_CLAIM = 1
MAX_CLAIM = 100
# The principal the gateway uses for its own calls: a service, but never a worker of this queue.
GATEWAY_SUBJECT = "gateway"


# --- who may call ----------------------------------------------------------------------------


def require_service() -> Principal:
    """The calling service; workers and producers of jobs are services, never people."""
    principal = context.principal.get()
    if principal is None or principal.kind == "anonymous":
        raise Unauthenticated("a service principal is required")
    if principal.kind != "service" or principal.subject == GATEWAY_SUBJECT:
        raise PermissionDenied("only services enqueue, claim and settle orchestration jobs", slug="service-required")
    return principal


def _lease_owner(principal: Principal, worker_id: str) -> str:
    """The stored lease owner: the worker's id within its service, so services cannot collide."""
    worker_id = worker_id.strip()
    if not worker_id or len(worker_id) > MAX_WORKER_ID:
        raise InvalidArgument(f"worker_id must have 1 to {MAX_WORKER_ID} characters", slug="invalid-worker-id")
    return f"{principal.subject}/{worker_id}"


# --- validation ------------------------------------------------------------------------------


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{what} is not a valid id", slug=f"invalid-{what.replace('_', '-')}") from exc


def _job_type(value: str) -> str:
    if not JOB_TYPE.fullmatch(value):
        raise InvalidArgument(
            "job_type must be 1 to 100 lowercase letters, digits or . _ : - (starting with a letter or digit)",
            slug="invalid-job-type",
        )
    return value


def _bounded(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise InvalidArgument(f"{what} must be between {low} and {high}", slug=f"invalid-{what.replace('_', '-')}")
    return value


def _lease(seconds: int) -> timedelta:
    return timedelta(seconds=_bounded(seconds or DEFAULT_LEASE_SECONDS, 1, MAX_LEASE_SECONDS, "lease_seconds"))


def _stored_key(project_id: uuid.UUID, key: str) -> str | None:
    """Idempotency keys are unique per project: the column is unique, so the project is part of it."""
    if not key:
        return None
    if len(key) > MAX_KEY:
        raise InvalidArgument(f"idempotency_key must have at most {MAX_KEY} characters", slug="invalid-idempotency-key")
    return f"{project_id}:{key}"


# --- events ----------------------------------------------------------------------------------


def _changed(job: OrchestrationJob, action: str, actor: types_pb2.Actor | None = None) -> Event:
    """``agents.job.<action>.v1`` carrying JobChanged."""
    return Event(
        entity_type="job",
        action=action,
        entity_id=str(job.id),
        project_id=job.project_id,
        actor=actor,
        payload=agents_events_pb2.JobChanged(
            project_id=str(job.project_id),
            job_id=str(job.id),
            job_type=job.job_type,
            status=job.status,
            last_error=job.last_error or "",
        ),
        snapshot={
            "job_type": job.job_type,
            "status": job.status,
            "priority": job.priority,
            "attempt_count": job.attempt_count,
            "max_attempts": job.max_attempts,
            "run_id": job.run_id,
            "last_error": job.last_error,
        },
    )


def _chassis_job(job: OrchestrationJob) -> Job:
    return Job(
        job.id,
        job.job_type,
        job.payload,
        job.attempt_count,
        job.max_attempts,
        {"project_id": job.project_id, "run_id": job.run_id},
    )


async def _report_dead(uow: UnitOfWork, job: OrchestrationJob) -> None:
    """A dead job: ``agents.job.dead.v1`` for the project, and an error for the error log."""
    uow.emit(_changed(job, "dead"))
    await report_dead_job(uow, _chassis_job(job), job.last_error or "")


# --- reading ---------------------------------------------------------------------------------


async def _load(uow: UnitOfWork, job_ids: list[uuid.UUID]) -> list[OrchestrationJob]:
    """Jobs as they are now in this transaction, by priority (as claimed)."""
    if not job_ids:
        return []
    query = (
        select(OrchestrationJob)
        .where(OrchestrationJob.id.in_(job_ids))
        .order_by(OrchestrationJob.priority.desc(), OrchestrationJob.run_after, OrchestrationJob.id)
        .execution_options(populate_existing=True)
    )
    return list((await uow.session.execute(query)).scalars())


async def _one(uow: UnitOfWork, job_id: uuid.UUID) -> OrchestrationJob:
    [job] = await _load(uow, [job_id])
    return job


async def page(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str = "", job_type: str = ""
) -> tuple[list[OrchestrationJob], str]:
    """One page of the project's jobs, newest first, and the next page's cursor."""
    require(context.principal.get(), project_id, Action.READ)
    project = _uuid(project_id, "project_id")
    if status and status not in JOB_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(JOB_STATUSES)}", slug="invalid-status")
    limit = page_limit(limit)
    before = cursor_id(decode_cursor(cursor), "before")
    query = (
        select(OrchestrationJob)
        .where(OrchestrationJob.project_id == project)
        .order_by(OrchestrationJob.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(OrchestrationJob.id < before)
    if status:
        query = query.where(OrchestrationJob.status == status)
    if job_type:
        query = query.where(OrchestrationJob.job_type == job_type)
    rows = list((await uow.session.execute(query)).scalars())
    items = rows[:limit]
    return items, encode_cursor({"before": str(items[-1].id)}) if len(rows) > limit else ""


# --- enqueueing ------------------------------------------------------------------------------


async def enqueue(
    uow: UnitOfWork,
    *,
    project_id: str,
    job_type: str,
    payload: Mapping[str, Any] | None = None,
    idempotency_key: str = "",
    priority: int = 0,
    run_id: str = "",
    max_attempts: int = 0,
    run_after: datetime | None = None,
    actor: types_pb2.Actor | None = None,
) -> tuple[OrchestrationJob, bool]:
    """Add a job, or find the one enqueued before under the same key; ``agents.job.enqueued.v1`` if new."""
    project = _uuid(project_id, "project_id")
    if len(run_id) > MAX_RUN_ID:
        raise InvalidArgument(f"run_id must have at most {MAX_RUN_ID} characters", slug="invalid-run-id")
    job_id, created = await enqueue_job(
        uow.session,
        QUEUE,
        _job_type(job_type),
        payload,
        idempotency_key=_stored_key(project, idempotency_key),
        priority=_bounded(priority, *PRIORITY_RANGE, "priority"),
        run_after=run_after,
        max_attempts=_bounded(max_attempts or DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS, "max_attempts"),
        extra={"project_id": project, "run_id": run_id or None},
    )
    job = await _one(uow, job_id)
    if created:
        uow.emit(_changed(job, "enqueued", actor))
    return job, created


def _payload_of(request: agents_events_pb2.JobRequested) -> dict[str, Any]:
    if not request.payload_json:
        return {}
    try:
        payload = orjson.loads(request.payload_json)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument("payload_json is not JSON", slug="invalid-payload") from exc
    if not isinstance(payload, dict):
        raise InvalidArgument("payload_json must hold a JSON object", slug="invalid-payload")
    return payload


async def on_job_requested(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """``<domain>.job.requested.v1``: enqueue the job in the event's project, once.

    Without an idempotency key of its own, the request is keyed by its event id, so even a copy
    of the event published again under another message id adds no second job. A request that
    cannot be honoured is reported to the error log rather than redelivered.
    """
    try:
        request = unpack(envelope, agents_events_pb2.JobRequested)
        if not envelope.project_id:
            raise InvalidArgument("a job request must belong to a project", slug="invalid-project-id")
        await enqueue(
            uow,
            project_id=envelope.project_id,
            job_type=request.job_type,
            payload=_payload_of(request),
            idempotency_key=request.idempotency_key or f"event:{envelope.event_id}",
            priority=request.priority,
            run_id=request.run_id,
            actor=envelope.actor if envelope.HasField("actor") else None,
        )
    except (InvalidArgument, ValueError) as exc:
        uow.emit(
            error_event(
                "job_request_rejected",
                f"{envelope.type} from {envelope.producer or 'unknown'} was not enqueued: {exc}",
                reference=f"event:{envelope.event_id}",
                project_id=envelope.project_id if _is_uuid(envelope.project_id) else None,
                details={"event_type": envelope.type, "producer": envelope.producer},
            )
        )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


for _domain in SERVICES:
    react_to(f"{_domain}.job.requested.v1", on_job_requested)


# --- leases ----------------------------------------------------------------------------------


async def claim(
    uow: UnitOfWork, principal: Principal, *, worker_id: str, job_types: list[str], limit: int, lease_seconds: int
) -> list[OrchestrationJob]:
    """Lease up to ``limit`` due jobs of ``job_types`` (highest priority first) to the worker."""
    owner = _lease_owner(principal, worker_id)
    if not job_types:
        raise InvalidArgument("name at least one job type", slug="invalid-job-type")
    kinds = sorted({_job_type(t) for t in job_types})
    lease = _lease(lease_seconds)
    limit = _bounded(limit or DEFAULT_CLAIM, 1, MAX_CLAIM, "limit")
    for buried, _ in await LEASES.bury_expired(uow.session, kinds=kinds):
        await _report_dead(uow, await _one(uow, buried.id))
    claimed = await LEASES.claim(uow.session, worker=owner, kinds=kinds, limit=limit, lease=lease)
    return await _load(uow, [job.id for job in claimed])


async def renew(uow: UnitOfWork, principal: Principal, *, job_id: str, worker_id: str, lease_seconds: int) -> bool:
    """Extend the worker's lease; False when it no longer holds it."""
    owner = _lease_owner(principal, worker_id)
    return await LEASES.renew(uow.session, _uuid(job_id, "job_id"), worker=owner, lease=_lease(lease_seconds))


async def complete(
    uow: UnitOfWork, principal: Principal, *, job_id: str, worker_id: str, result: Mapping[str, Any] | None
) -> bool:
    """Mark the job done with its result; False (and nothing changed) when the lease is lost."""
    owner = _lease_owner(principal, worker_id)
    values = {"result": dict(result)} if result is not None else None
    return await LEASES.complete(uow.session, _uuid(job_id, "job_id"), worker=owner, values=values)


async def fail(uow: UnitOfWork, principal: Principal, *, job_id: str, worker_id: str, error: str) -> str | None:
    """Record a failed attempt: ``pending`` again after a backoff, or ``dead`` (reported) once out of
    attempts. None (and nothing changed) when the worker no longer holds the lease."""
    owner = _lease_owner(principal, worker_id)
    job_uuid = _uuid(job_id, "job_id")
    status = await LEASES.fail(uow.session, job_uuid, worker=owner, error=error.strip() or "failed without a message")
    if status == "dead":
        await _report_dead(uow, await _one(uow, job_uuid))
    return status


async def retry(uow: UnitOfWork, project_id: str, job_id: str, *, attempts: int = 0) -> OrchestrationJob:
    """Give a dead job of the project more attempts, due now; ``agents.job.retried.v1``."""
    require(context.principal.get(), project_id, Action.MANAGE_PROJECT)
    project = _uuid(project_id, "project_id")
    extra = _bounded(attempts or DEFAULT_RETRY_ATTEMPTS, 1, MAX_ATTEMPTS, "attempts")
    try:
        job_uuid = uuid.UUID(job_id)
    except ValueError:
        job_uuid = None
    found = await _load(uow, [job_uuid]) if job_uuid is not None else []
    if not found or found[0].project_id != project:
        raise NotFound("no such job", slug="job-not-found")
    if found[0].status != "dead":
        raise FailedPrecondition(f"only dead jobs can be retried; this one is {found[0].status}", slug="job-not-dead")
    if not await LEASES.retry(uow.session, job_uuid, extra_attempts=extra):  # retried meanwhile
        raise FailedPrecondition("only dead jobs can be retried; this one was just retried", slug="job-not-dead")
    job = await _one(uow, job_uuid)
    uow.emit(_changed(job, "retried"))
    return job


async def purge_finished(uow: UnitOfWork, *, older_than: timedelta) -> int:
    """Forget jobs that finished (done, or dead and never retried) more than ``older_than`` ago;
    how many. Their story stays in the audit log and, for dead ones, the error log."""
    table = OrchestrationJob.__table__
    result = await uow.session.execute(
        delete(table).where(table.c.status.in_(("done", "dead")), table.c.finished_at < func.now() - older_than)
    )
    return result.rowcount
