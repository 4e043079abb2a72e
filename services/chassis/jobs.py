"""A lease-based job queue in each service's ``jobs`` table.

Workers claim due jobs with ``FOR UPDATE SKIP LOCKED`` and hold a lease they renew while working.
A job whose worker dies is claimed again once its lease expires. A job's effect and its ``done``
mark commit in one transaction that first checks the lease is still ours, so a worker that lost
its lease cannot also apply the effect: each effect happens once. Failures back off exponentially
until ``max_attempts``, then the job is ``dead`` with its last error.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.ids import uuid7
from services.chassis.infra_tables import InfraTables
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


JobHandler = Callable[[UnitOfWork, Job], Awaitable[None]]


class LeaseLost(Exception):
    """Another worker owns the job now; this worker's effect must not commit."""


async def enqueue(
    session: AsyncSession,
    infra: InfraTables,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    priority: int = 0,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> uuid.UUID:
    """Add a job (flush only; it runs once the caller commits). A repeated key returns the first job."""
    table = infra.jobs
    values: dict[str, Any] = {
        "id": uuid7(),
        "kind": kind,
        "payload": dict(payload or {}),
        "priority": priority,
        "max_attempts": max_attempts,
        "idempotency_key": idempotency_key,
    }
    if run_after is not None:
        values["run_after"] = run_after
    statement = pg_insert(table).values(**values)
    if idempotency_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
    inserted = (await session.execute(statement.returning(table.c.id))).scalar_one_or_none()
    if inserted is not None:
        return inserted
    existing = await session.execute(select(table.c.id).where(table.c.idempotency_key == idempotency_key))
    return existing.scalar_one()


def backoff(attempts: int, base: float = 2.0, cap: float = 600.0) -> timedelta:
    """Delay before retry number ``attempts``: 2 s, 4 s, 8 s … capped at ten minutes."""
    return timedelta(seconds=min(base**attempts, cap))


class JobRunner:
    """Claims and runs the jobs of one schema with the given handlers."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        infra: InfraTables,
        handlers: Mapping[str, JobHandler],
        worker_id: str | None = None,
        lease: timedelta = timedelta(seconds=30),
        concurrency: int = 4,
        poll_interval: float = 1.0,
    ) -> None:
        self._uow_factory = uow_factory
        self._jobs = infra.jobs
        self._handlers = dict(handlers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid7().hex[-8:]}"
        self._lease = lease
        self._concurrency = concurrency
        self._poll_interval = poll_interval

    async def claim(self, limit: int) -> list[Job]:
        """Lease up to ``limit`` due jobs (pending, or running with an expired lease)."""
        table = self._jobs
        due = (
            select(table.c.id)
            .where(
                table.c.kind.in_(list(self._handlers)),
                or_(
                    and_(table.c.status == "pending", table.c.run_after <= func.now()),
                    and_(table.c.status == "running", table.c.lease_expires_at < func.now()),
                ),
            )
            .order_by(table.c.priority.desc(), table.c.run_after)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self._uow_factory() as uow:
            rows = (
                await uow.session.execute(
                    update(table)
                    .where(table.c.id.in_(due))
                    .values(
                        status="running",
                        lease_owner=self.worker_id,
                        lease_expires_at=func.now() + self._lease,
                        attempts=table.c.attempts + 1,
                    )
                    .returning(table.c.id, table.c.kind, table.c.payload, table.c.attempts, table.c.max_attempts)
                )
            ).all()
            await uow.commit()
        return [Job(r.id, r.kind, r.payload, r.attempts, r.max_attempts) for r in rows]

    def _owned(self, job: Job):
        table = self._jobs
        return and_(table.c.id == job.id, table.c.lease_owner == self.worker_id, table.c.status == "running")

    async def _renew(self, job: Job, lost: asyncio.Event) -> None:
        """Extend the lease every third of its length; flag ``lost`` if it was taken over."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            async with self._uow_factory() as uow:
                result = await uow.session.execute(
                    update(self._jobs).where(self._owned(job)).values(lease_expires_at=func.now() + self._lease)
                )
                await uow.commit()
            if result.rowcount == 0:
                lost.set()
                return

    async def execute(self, job: Job) -> None:
        """Run one claimed job: effect plus ``done`` in one transaction, or record the failure."""
        lost = asyncio.Event()
        renewer = asyncio.create_task(self._renew(job, lost))
        try:
            async with self._uow_factory() as uow:
                await self._handlers[job.kind](uow, job)
                if lost.is_set():
                    raise LeaseLost(str(job.id))
                done = await uow.session.execute(
                    update(self._jobs)
                    .where(self._owned(job))
                    .values(
                        status="done", finished_at=func.now(), lease_owner=None, lease_expires_at=None, last_error=None
                    )
                )
                if done.rowcount == 0:
                    raise LeaseLost(str(job.id))
                await uow.commit()
        except LeaseLost:
            log.warning("lost the lease of job %s; its new owner will run it", job.id)
        except Exception as exc:
            await self._record_failure(job, exc)
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)

    async def _record_failure(self, job: Job, exc: Exception) -> None:
        dead = job.attempts >= job.max_attempts
        error = f"{type(exc).__name__}: {exc}"[:4000]
        log.warning(
            "job %s (%s) failed on attempt %d: %s",
            job.id,
            job.kind,
            job.attempts,
            error,
            extra={"job_id": str(job.id), "dead": dead},
        )
        async with self._uow_factory() as uow:
            await uow.session.execute(
                update(self._jobs)
                .where(self._owned(job))
                .values(
                    status="dead" if dead else "pending",
                    run_after=func.now() + backoff(job.attempts),
                    lease_owner=None,
                    lease_expires_at=None,
                    last_error=error,
                    finished_at=func.now() if dead else None,
                )
            )
            await uow.commit()

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
            except Exception as exc:
                log.warning("job runner pass failed: %s", exc)
                ran = 0
            if ran == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_interval)
                except TimeoutError:
                    pass
