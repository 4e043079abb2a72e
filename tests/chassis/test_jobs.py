"""The lease job runner: a dead worker's job runs again after its lease, and its effect happens once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from prometheus_client import REGISTRY
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from aira.identity.v1 import events_pb2
from services.chassis import db
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.jobs import Job, JobQueue, JobRunner, enqueue
from services.chassis.service import backlog_sampler
from services.chassis.uow import UnitOfWork
from services.rebalance.models import infra

jobs = infra.jobs


def _uow_factory(engine: AsyncEngine):
    sessionmaker = db.create_sessionmaker(engine)
    return lambda: UnitOfWork(sessionmaker, domain="rebalance", producer="test", infra=infra)


async def _enqueue(engine: AsyncEngine, **kwargs) -> str:
    async with _uow_factory(engine)() as uow:
        job_id, _ = await enqueue(uow.session, infra, "echo", {"n": 1}, **kwargs)
        await uow.commit()
    return job_id


async def _effects(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(infra.outbox))).scalar_one()


async def _job(engine: AsyncEngine, job_id):
    async with engine.connect() as conn:
        return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()


def _effect(uow: UnitOfWork, job: Job) -> None:
    uow.emit(Event(entity_type="job", action="ran", entity_id=str(job.id), payload=events_pb2.ProjectCreated()))


async def test_a_job_whose_worker_died_runs_again_after_the_lease(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    job_id = await _enqueue(engine)
    started = asyncio.Event()

    async def hangs(uow: UnitOfWork, job: Job) -> None:
        _effect(uow, job)
        started.set()
        await asyncio.Event().wait()  # the worker dies mid-job

    async def finishes(uow: UnitOfWork, job: Job) -> None:
        _effect(uow, job)

    lease = timedelta(seconds=1)
    dying = JobRunner(uow_factory=_uow_factory(engine), queue=JobQueue.of(infra), handlers={"echo": hangs}, lease=lease)
    claimed = await dying.claim(1)
    assert [j.id for j in claimed] == [job_id]
    crashed = asyncio.create_task(dying.execute(claimed[0]))
    await started.wait()
    crashed.cancel()  # like a killed process: no cleanup reaches the database
    await asyncio.gather(crashed, return_exceptions=True)

    survivor = JobRunner(
        uow_factory=_uow_factory(engine), queue=JobQueue.of(infra), handlers={"echo": finishes}, lease=lease
    )
    assert await survivor.run_once() == 0, "the lease has not expired yet"
    await asyncio.sleep(1.2)
    assert await survivor.run_once() == 1
    row = await _job(engine, job_id)
    assert (row.status, row.attempts, row.lease_owner) == ("done", 2, None)
    assert await _effects(engine) == 1


async def test_a_worker_that_lost_its_lease_cannot_commit_its_effect(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    job_id = await _enqueue(engine)
    release = asyncio.Event()

    async def slow(uow: UnitOfWork, job: Job) -> None:
        _effect(uow, job)
        await release.wait()

    async def quick(uow: UnitOfWork, job: Job) -> None:
        _effect(uow, job)

    factory = _uow_factory(engine)
    first = JobRunner(
        uow_factory=factory, queue=JobQueue.of(infra), handlers={"echo": slow}, lease=timedelta(seconds=30)
    )
    [job] = await first.claim(1)
    running = asyncio.create_task(first.execute(job))
    await asyncio.sleep(0.2)
    async with engine.begin() as conn:  # its lease runs out (e.g. a long GC pause)
        await conn.execute(update(jobs).values(lease_expires_at=func.now() - timedelta(seconds=1)))
    second = JobRunner(
        uow_factory=factory, queue=JobQueue.of(infra), handlers={"echo": quick}, lease=timedelta(seconds=30)
    )
    assert await second.run_once() == 1
    release.set()
    await running
    row = await _job(engine, job_id)
    assert (row.status, row.lease_owner) == ("done", None)
    assert await _effects(engine) == 1


async def test_failures_back_off_then_the_job_is_dead(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    job_id = await _enqueue(engine, max_attempts=2)

    async def fails(uow: UnitOfWork, job: Job) -> None:
        raise ValueError(f"attempt {job.attempts} broke")

    def counted(outcome: str) -> float:
        labels = {"service": "rebalance", "kind": "echo", "outcome": outcome}
        return REGISTRY.get_sample_value("aira_jobs_total", labels) or 0.0

    before = {outcome: counted(outcome) for outcome in ("retry", "dead")}
    runner = JobRunner(
        uow_factory=_uow_factory(engine), queue=JobQueue.of(infra), handlers={"echo": fails}, service="rebalance"
    )
    assert await runner.run_once() == 1
    row = await _job(engine, job_id)
    assert row.status == "pending" and row.last_error == "ValueError: attempt 1 broke"
    assert await runner.run_once() == 0, "backing off"
    async with engine.begin() as conn:
        await conn.execute(update(jobs).values(run_after=func.now()))
    assert await runner.run_once() == 1
    row = await _job(engine, job_id)
    assert (row.status, row.attempts, row.last_error) == ("dead", 2, "ValueError: attempt 2 broke")
    assert await _effects(engine) == 0
    assert {outcome: counted(outcome) - before[outcome] for outcome in before} == {"retry": 1, "dead": 1}


async def test_enqueue_with_the_same_key_returns_the_first_job(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    first = await _enqueue(engine, idempotency_key="weekly-report:2026-48")
    again = await _enqueue(engine, idempotency_key="weekly-report:2026-48")
    assert first == again
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(jobs))).scalar_one() == 1


async def test_a_job_whose_worker_dies_on_its_last_attempt_is_dead_not_run_again(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    job_id = await _enqueue(engine, max_attempts=1)
    buried: list[tuple] = []

    async def on_dead(uow: UnitOfWork, job: Job, error: str) -> None:
        buried.append((job.id, job.attempts, error))

    async def finishes(uow: UnitOfWork, job: Job) -> None:
        _effect(uow, job)

    def runner(worker_id: str) -> JobRunner:
        return JobRunner(
            uow_factory=_uow_factory(engine),
            queue=JobQueue.of(infra),
            handlers={"echo": finishes},
            worker_id=worker_id,
            lease=timedelta(seconds=1),
            on_dead=on_dead,
        )

    assert [j.id for j in await runner("doomed").claim(1)] == [job_id]  # and dies before running it
    await asyncio.sleep(1.2)
    assert await runner("survivor").run_once() == 0
    row = await _job(engine, job_id)
    error = "the lease of doomed expired before the job finished"
    assert (row.status, row.attempts, row.lease_owner, row.last_error) == ("dead", 1, None, error)
    assert buried == [(job_id, 1, error)]
    assert await _effects(engine) == 0


async def test_the_backlog_gauges_count_what_waits(service_engines, clean_db) -> None:
    engine = service_engines["rebalance"]
    await _enqueue(engine)  # due now
    await _enqueue(engine, run_after=datetime.now(UTC) + timedelta(hours=1))  # not due yet
    async with _uow_factory(engine)() as uow:
        _effect(uow, Job(id=uuid7(), kind="echo", payload={}, attempts=1, max_attempts=5))
        await uow.commit()  # an event in the outbox, not yet published (no relay runs here)
    async with engine.begin() as conn:
        await conn.execute(update(infra.outbox).values(created_at=func.now() - timedelta(seconds=30)))
    sample = backlog_sampler(SimpleNamespace(name="rebalance", engine=engine, infra=infra), ["echo", "idle"])
    await sample()

    def gauge(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"service": "rebalance", **labels})

    assert gauge("aira_outbox_pending") == 1
    assert 29 <= gauge("aira_outbox_oldest_pending_seconds") < 120
    assert (gauge("aira_jobs_due", kind="echo"), gauge("aira_jobs_due", kind="idle")) == (1, 0)
