"""SQL of repository analysis runs and their items, quick and full alike (the two pairs of tables
have the same shape; ``depth`` says which). Functions flush; the edge commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update

from services.chassis.uow import UnitOfWork
from services.planning.models import (
    RepositoryAnalysisItem,
    RepositoryAnalysisRun,
    RepositoryFullAnalysisItem,
    RepositoryFullAnalysisRun,
)

Run = RepositoryAnalysisRun | RepositoryFullAnalysisRun
Item = RepositoryAnalysisItem | RepositoryFullAnalysisItem
TABLES: dict[str, tuple[type[Any], type[Any]]] = {
    "quick": (RepositoryAnalysisRun, RepositoryAnalysisItem),
    "full": (RepositoryFullAnalysisRun, RepositoryFullAnalysisItem),
}


def depth_of(run: Run) -> str:
    return "full" if isinstance(run, RepositoryFullAnalysisRun) else "quick"


async def add_run(uow: UnitOfWork, run: Run, items: list[Item]) -> Run:
    """Insert a run and its items; read back the run's defaults."""
    uow.session.add(run)
    await uow.session.flush()
    uow.session.add_all(items)
    await uow.session.flush()
    await uow.session.refresh(run)
    return run


async def run_of(uow: UnitOfWork, project_id: uuid.UUID, run_id: uuid.UUID, *, lock: bool = False) -> Run | None:
    """The project's run (quick or full), locked until commit when asked."""
    for run_class, _ in TABLES.values():
        query = select(run_class).where(run_class.id == run_id, run_class.project_id == project_id)
        if lock:
            query = query.with_for_update()
        found = (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()
        if found is not None:
            return found
    return None


async def items_of(uow: UnitOfWork, run: Run) -> list[Item]:
    """The run's items by position."""
    _, item_class = TABLES[depth_of(run)]
    query = (
        select(item_class)
        .where(item_class.run_id == run.id)
        .order_by(item_class.position)
        .execution_options(populate_existing=True)
    )
    return list((await uow.session.execute(query)).scalars())


async def page_runs(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    status: str,
    depth: str,
) -> list[Run]:
    """Up to ``limit`` runs of both depths, newest first (created_at, then id), after the cursor."""
    rows: list[Run] = []
    for name, (run_class, _) in TABLES.items():
        if depth and depth != name:
            continue
        query = (
            select(run_class)
            .where(run_class.project_id == project_id)
            .order_by(run_class.created_at.desc(), run_class.id.desc())
            .limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(run_class.created_at, run_class.id) < tuple_(*after))
        if status:
            query = query.where(run_class.status == status)
        rows.extend((await uow.session.execute(query)).scalars())
    rows.sort(key=lambda run: (run.created_at, run.id), reverse=True)
    return rows[:limit]


async def mark_running(uow: UnitOfWork, run: Run) -> None:
    """queued → running (started now); a run already past queued is left alone."""
    table = type(run).__table__
    await uow.session.execute(
        update(table)
        .where(table.c.id == run.id, table.c.status == "queued")
        .values(status="running", started_at=func.now())
    )
