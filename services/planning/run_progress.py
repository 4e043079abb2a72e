"""Progress of planning's long work (sprint plans, repository analyses): numbered steps per run.

A run's job records each step as a ``run_progress`` row numbered 1, 2, … and ends with one
``final`` row (``completed`` or ``failed``), written in the same transaction as the run's
result, so a reader who sees the final step also sees the result. Steps before it are committed
on their own (:func:`record_now`), so a stream shows them while the work goes on.

:func:`follow` is what the stream serves: the steps after a sequence number, then each new one,
polling every ``POLL_SECONDS`` — at most a few steps a second per run, so a poll is cheaper than a
LISTEN connection — until the final step has been sent.

:func:`fail_on_last_attempt` is how a run's job breaks: retried while it has attempts left, then
the run is settled as failed (with its final step) rather than left running forever.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.chassis.jobs import Job
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.planning.models import RunProgress

log = logging.getLogger(__name__)

POLL_SECONDS = 0.3
BATCH = 200
MAX_MESSAGE = 2_000


async def record(
    uow: UnitOfWork,
    *,
    project_id: uuid.UUID,
    run_id: uuid.UUID,
    step: str,
    done: int = 0,
    total: int = 0,
    message: str = "",
    final: bool = False,
) -> None:
    """Add the run's next step (flush only). One job writes a run's steps, one after the other."""
    table = RunProgress.__table__
    following = (
        select(func.coalesce(func.max(table.c.sequence), 0) + 1).where(table.c.run_id == run_id).scalar_subquery()
    )
    await uow.session.execute(
        pg_insert(table).values(
            run_id=run_id,
            sequence=following,
            project_id=project_id,
            step=step,
            done=done,
            total=total,
            message=message[:MAX_MESSAGE],
            final=final,
        )
    )


async def record_now(uow_factory: UnitOfWorkFactory, **step: object) -> None:
    """Record a step in a transaction of its own, so streams see it at once."""
    async with uow_factory() as uow:
        await record(uow, **step)  # type: ignore[arg-type]
        await uow.commit()


async def steps_after(uow: UnitOfWork, run_id: uuid.UUID, after_sequence: int, limit: int = BATCH) -> list[RunProgress]:
    """The run's steps after ``after_sequence`` in order, and its final step even if not after it
    (so a reader knows the run ended)."""
    query = (
        select(RunProgress)
        .where(RunProgress.run_id == run_id, or_(RunProgress.sequence > after_sequence, RunProgress.final))
        .order_by(RunProgress.sequence)
        .limit(limit)
    )
    return list((await uow.session.execute(query)).scalars())


async def steps(uow: UnitOfWork, run_id: uuid.UUID) -> list[RunProgress]:
    """Every step of the run, in order."""
    return await steps_after(uow, run_id, 0, limit=10_000)


async def follow(
    reader: UnitOfWorkFactory, run_id: uuid.UUID, after_sequence: int, *, poll_seconds: float = POLL_SECONDS
) -> AsyncIterator[RunProgress]:
    """The run's steps after ``after_sequence``, then each new one, until the final step is sent
    (at once when the final step is at or before ``after_sequence``)."""
    after = after_sequence
    while True:
        async with reader() as uow:
            batch = await steps_after(uow, run_id, after)
        for step in batch:
            if step.sequence > after:
                yield step
                after = step.sequence
            if step.final:
                return
        if len(batch) < BATCH:
            await asyncio.sleep(poll_seconds)


async def fail_on_last_attempt(
    uow: UnitOfWork, job: Job, work: Awaitable[None], *, fail: Callable[[str], Awaitable[None]], name: str
) -> None:
    """Await a run's ``work`` in its job; when it breaks, raise while the job has attempts left (it is
    tried again after a backoff), else roll back and ``fail`` the run with the error instead."""
    try:
        await work
    except Exception as exc:
        if job.attempts < job.max_attempts:
            raise
        log.exception("%s gave up", name)
        await uow.session.rollback()
        await fail(f"{type(exc).__name__}: {exc}")
