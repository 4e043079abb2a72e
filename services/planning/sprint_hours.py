"""A sprint's totals, derived from its tasks: ``committed_hours`` is the sum of the estimated hours
of the sprint's tasks and ``completed_hours`` that of its done tasks, exactly (``numeric``);
``story_ids`` are the distinct features of its tasks, in the order their first task was numbered.

Tasks (``tasks.py``, ``pull_requests.py``) and sprints (``sprints.py``) call :func:`recount` in
the same unit of work as the change that moved a task or its hours, so the numbers never drift.

Concurrency: the sprint row is locked first and the sums are read in a later statement, which
under READ COMMITTED sees every task change committed by a transaction that held the lock before
us; so two transactions changing tasks of one sprint cannot both write a stale sum. Callers that
recount several sprints use :func:`recount_all`, which locks them in id order (no deadlocks).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Text, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from services.chassis.uow import UnitOfWork
from services.planning.models import Sprint, Task


async def recount(uow: UnitOfWork, sprint_id: uuid.UUID) -> None:
    """Set the sprint's committed and completed hours and its stories to those of its tasks now."""
    sprints, tasks = Sprint.__table__, Task.__table__
    await uow.session.flush()  # pending task changes count
    locked = await uow.session.scalar(select(sprints.c.id).where(sprints.c.id == sprint_id).with_for_update())
    if locked is None:
        return
    of_sprint = tasks.c.sprint_id == sprint_id
    committed = select(func.coalesce(func.sum(tasks.c.estimated_hours), 0)).where(of_sprint).scalar_subquery()
    completed = (
        select(func.coalesce(func.sum(tasks.c.estimated_hours), 0))
        .where(of_sprint, tasks.c.status == "done")
        .scalar_subquery()
    )
    firsts = (
        select(cast(tasks.c.feature_id, Text).label("feature_id"), func.min(tasks.c.number).label("first"))
        .where(of_sprint, tasks.c.feature_id.is_not(None))
        .group_by(tasks.c.feature_id)
        .subquery()
    )
    stories = select(
        func.coalesce(func.jsonb_agg(aggregate_order_by(firsts.c.feature_id, firsts.c.first)), literal([], JSONB))
    ).scalar_subquery()
    await uow.session.execute(
        update(sprints)
        .where(
            sprints.c.id == sprint_id,
            (sprints.c.committed_hours != committed)
            | (sprints.c.completed_hours != completed)
            | (sprints.c.story_ids != stories),
        )
        .values(committed_hours=committed, completed_hours=completed, story_ids=stories, updated_at=func.now())
    )


async def recount_all(uow: UnitOfWork, sprint_ids: Iterable[uuid.UUID | None]) -> None:
    """Recount each sprint named (None ignored), in id order."""
    for sprint_id in sorted({s for s in sprint_ids if s is not None}):
        await recount(uow, sprint_id)
