"""A lease-based job queue: each service's ``jobs`` table, or any table shaped like it.

Workers claim due jobs with ``FOR UPDATE SKIP LOCKED`` and hold a lease they renew while working.
A job whose worker dies is claimed again once its lease expires. A job's effect and its ``done``
mark commit in one transaction that first checks the lease is still ours, so a worker that lost
its lease cannot also apply the effect: each effect happens once. Failures back off exponentially
until ``max_attempts``, then the job is ``dead`` with its last error. A lease that expires on the
last attempt (the worker died every time) makes the job ``dead`` too, instead of running it again.

A :class:`JobQueue` names the table and, where they differ, its columns, so one runner serves the
chassis ``jobs`` table and a domain's own queue (agents' ``orchestration_jobs``) alike.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis import metrics, tracing
from services.chassis.ids import uuid7
from services.chassis.infra_tables import InfraTables
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobQueue:
    """A jobs table and the names of its columns (the chassis ``jobs`` names by default)."""

    table: Table
    kind_column: str = "kind"
    attempts_column: str = "attempts"
    extra_columns: tuple[str, ...] = ()  # handed to handlers in Job.extra (e.g. project_id)

    @classmethod
    def of(cls, infra: InfraTables) -> JobQueue:
        return cls(infra.jobs)

    def __getattr__(self, name: str) -> Column:
        """A column by its role: ``kind`` and ``attempts`` are mapped, the rest share their names."""
        mapped = {"kind": self.kind_column, "attempts": self.attempts_column}.get(name, name)
        return self.table.c[mapped]


@dataclass(frozen=True)
class Job:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    extra: Mapping[str, Any] = field(default_factory=dict)


JobHandler = Callable[[UnitOfWork, Job], Awaitable[None]]


class LeaseLost(Exception):
    """Another worker owns the job now; this worker's effect must not commit."""


async def enqueue(
    session: AsyncSession,
    queue: JobQueue | InfraTables,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    priority: int = 0,
    run_after: datetime | None = None,
    max_attempts: int = 5,
    extra: Mapping[str, Any] | None = None,
) -> tuple[uuid.UUID, bool]:
    """Add a job (flush only; it runs once the caller commits); returns its id and whether it is new.

    A repeated idempotency key returns the first job instead of adding another.
    """
    q = queue if isinstance(queue, JobQueue) else JobQueue.of(queue)
    values: dict[str, Any] = {
        "id": uuid7(),
        q.kind_column: kind,
        "payload": dict(payload or {}),
        "priority": priority,
        "max_attempts": max_attempts,
        "idempotency_key": idempotency_key,
        **(extra or {}),
    }
    if run_after is not None:
        values["run_after"] = run_after
    statement = pg_insert(q.table).values(**values)
    if idempotency_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[q.idempotency_key])
    inserted = (await session.execute(statement.returning(q.id))).scalar_one_or_none()
    if inserted is not None:
        return inserted, True
    existing = await session.execute(select(q.id).where(q.idempotency_key == idempotency_key))
    return existing.scalar_one(), False


class Leases:
    """The lease operations on one queue, each a single statement in the caller's session.

    Used by the local :class:`JobRunner` and by services that lend their queue to remote workers
    (agents' Orchestration contract). A worker acts on a job only while it holds the lease.
    """

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    async def claim(
        self, session: AsyncSession, *, worker: str, kinds: list[str], limit: int, lease: timedelta
    ) -> list[Job]:
        """Lease up to ``limit`` due jobs of ``kinds`` (pending, or running with an expired lease)."""
        q = self.queue
        due = (
            select(q.id)
            .where(
                q.kind.in_(kinds),
                or_(
                    and_(q.status == "pending", q.run_after <= func.now()),
                    # Out of attempts, an expired job is buried (bury_expired), not run again.
                    and_(q.status == "running", q.lease_expires_at < func.now(), q.attempts < q.max_attempts),
                ),
            )
            .order_by(q.priority.desc(), q.run_after)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = (
            await session.execute(
                update(q.table)
                .where(q.id.in_(due))
                .values(
                    status="running",
                    lease_owner=worker,
                    lease_expires_at=func.now() + lease,
                    **{q.attempts_column: q.attempts + 1},
                )
                .returning(*self._job_columns())
            )
        ).all()
        return [self._job(row) for row in rows]

    def _job_columns(self) -> list[Column]:
        q = self.queue
        return [q.id, q.kind, q.payload, q.attempts, q.max_attempts, *(q.table.c[name] for name in q.extra_columns)]

    def _job(self, row: Any) -> Job:
        extra = {name: row[5 + i] for i, name in enumerate(self.queue.extra_columns)}
        return Job(row[0], row[1], row[2], row[3], row[4], extra)

    async def bury_expired(self, session: AsyncSession, *, kinds: list[str], limit: int = 100) -> list[tuple[Job, str]]:
        """Declare ``dead`` the running jobs of ``kinds`` whose lease expired on their last attempt.

        Their worker died (or hung) on every attempt; running them again would only repeat that.
        Returns each buried job with its last error, for the caller to report.
        """
        q = self.queue
        expired = (
            select(q.id)
            .where(
                q.kind.in_(kinds),
                q.status == "running",
                q.lease_expires_at < func.now(),
                q.attempts >= q.max_attempts,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        error = func.concat("the lease of ", q.lease_owner, " expired before the job finished")
        rows = (
            await session.execute(
                update(q.table)
                .where(q.id.in_(expired))
                .values(
                    status="dead",
                    lease_owner=None,
                    lease_expires_at=None,
                    last_error=error,
                    finished_at=func.now(),
                )
                .returning(*self._job_columns(), q.last_error)
            )
        ).all()
        return [(self._job(row), row[-1]) for row in rows]

    def _owned(self, job_id: uuid.UUID, worker: str):
        q = self.queue
        return and_(q.id == job_id, q.lease_owner == worker, q.status == "running")

    async def renew(self, session: AsyncSession, job_id: uuid.UUID, *, worker: str, lease: timedelta) -> bool:
        """Extend a lease; False when the worker no longer holds it."""
        result = await session.execute(
            update(self.queue.table).where(self._owned(job_id, worker)).values(lease_expires_at=func.now() + lease)
        )
        return result.rowcount == 1

    async def complete(
        self, session: AsyncSession, job_id: uuid.UUID, *, worker: str, values: Mapping[str, Any] | None = None
    ) -> bool:
        """Mark done (with any extra column values); False when the worker no longer holds the lease."""
        result = await session.execute(
            update(self.queue.table)
            .where(self._owned(job_id, worker))
            .values(
                status="done",
                finished_at=func.now(),
                lease_owner=None,
                lease_expires_at=None,
                last_error=None,
                **(values or {}),
            )
        )
        return result.rowcount == 1

    async def fail(self, session: AsyncSession, job_id: uuid.UUID, *, worker: str, error: str) -> str | None:
        """Record a failed attempt: pending again after 2 s, 4 s, 8 s … (at most ten minutes), or dead
        once out of attempts.

        Returns the job's new status, or None when the worker no longer holds the lease.
        """
        q = self.queue
        out_of_attempts = q.attempts >= q.max_attempts
        delay = func.least(func.power(2, q.attempts), 600)
        result = await session.execute(
            update(q.table)
            .where(self._owned(job_id, worker))
            .values(
                status=case((out_of_attempts, "dead"), else_="pending"),
                run_after=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, delay),
                lease_owner=None,
                lease_expires_at=None,
                last_error=error[:4000],
                finished_at=case((out_of_attempts, func.now()), else_=None),
            )
            .returning(q.status)
        )
        return result.scalar_one_or_none()

    async def retry(self, session: AsyncSession, job_id: uuid.UUID, *, extra_attempts: int = 1) -> bool:
        """Give a dead job more attempts, due now; False unless it was dead."""
        q = self.queue
        result = await session.execute(
            update(q.table)
            .where(q.id == job_id, q.status == "dead")
            .values(
                status="pending",
                run_after=func.now(),
                finished_at=None,
                max_attempts=q.attempts + extra_attempts,
            )
        )
        return result.rowcount == 1


DeadJobHook = Callable[[UnitOfWork, Job, str], Awaitable[None]]


class JobRunner:
    """Claims and runs the jobs of one queue with the given handlers."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        worker_id: str | None = None,
        lease: timedelta = timedelta(seconds=30),
        concurrency: int = 4,
        poll_interval: float = 1.0,
        on_dead: DeadJobHook | None = None,
        service: str = "",
    ) -> None:
        self._uow_factory = uow_factory
        self._service = service  # the metrics label
        self._leases = Leases(queue)
        self._handlers = dict(handlers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid7().hex[-8:]}"
        self._lease = lease
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._on_dead = on_dead

    async def claim(self, limit: int) -> list[Job]:
        """Lease up to ``limit`` due jobs this runner has handlers for (burying those out of attempts)."""
        kinds = list(self._handlers)
        async with self._uow_factory() as uow:
            for job, error in await self._leases.bury_expired(uow.session, kinds=kinds):
                log.warning("job %s (%s) lost its last lease; it is dead", job.id, job.kind)
                if self._on_dead is not None:
                    await self._on_dead(uow, job, error)
            jobs = await self._leases.claim(
                uow.session, worker=self.worker_id, kinds=kinds, limit=limit, lease=self._lease
            )
            await uow.commit()
        return jobs

    async def _renew(self, job: Job, lost: asyncio.Event) -> None:
        """Extend the lease every third of its length; flag ``lost`` if it was taken over."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            async with self._uow_factory() as uow:
                held = await self._leases.renew(uow.session, job.id, worker=self.worker_id, lease=self._lease)
                await uow.commit()
            if not held:
                lost.set()
                return

    async def execute(self, job: Job) -> None:
        """Run one claimed job: effect plus ``done`` in one transaction, or record the failure."""
        lost = asyncio.Event()
        renewer = asyncio.create_task(self._renew(job, lost))
        started, outcome = time.perf_counter(), "done"
        attributes = {"job.kind": job.kind, "job.id": str(job.id), "job.attempt": job.attempts}
        try:
            with tracing.span(f"job {job.kind}", tracing.CONSUMER, attributes=attributes):
                async with self._uow_factory() as uow:
                    await self._handlers[job.kind](uow, job)
                    if lost.is_set() or not await self._leases.complete(uow.session, job.id, worker=self.worker_id):
                        raise LeaseLost(str(job.id))
                    await uow.commit()
        except LeaseLost:
            outcome = "lease_lost"
            log.warning("lost the lease of job %s; its new owner will run it", job.id)
        except Exception as exc:  # a failing job is retried or declared dead
            outcome = await self._record_failure(job, exc)
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            metrics.JOBS.labels(self._service, job.kind, outcome).inc()
            metrics.JOB_SECONDS.labels(self._service, job.kind).observe(time.perf_counter() - started)

    async def _record_failure(self, job: Job, exc: Exception) -> str:
        """Record the failure; ``dead`` when it was the job's last attempt, else ``retry``."""
        error = f"{type(exc).__name__}: {exc}"
        async with self._uow_factory() as uow:
            status = await self._leases.fail(uow.session, job.id, worker=self.worker_id, error=error)
            if status == "dead" and self._on_dead is not None:
                await self._on_dead(uow, job, error)
            await uow.commit()
        log.warning(
            "job %s (%s) failed on attempt %d: %s",
            job.id,
            job.kind,
            job.attempts,
            error,
            extra={"job_id": str(job.id), "dead": status == "dead"},
        )
        return "dead" if status == "dead" else "retry"

    async def run_once(self) -> int:
        """Claim and run one round of due jobs concurrently; returns how many ran."""
        jobs = await self.claim(self._concurrency)
        await asyncio.gather(*(self.execute(job) for job in jobs))
        return len(jobs)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception as exc:  # e.g. the database restarting
                log.warning("job runner pass failed: %s", exc)
                ran = 0
            if ran == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_interval)
                except TimeoutError:
                    pass
