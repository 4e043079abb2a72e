"""SQL of planning's features: the rows, their linked insights and their tasks' counts. Functions
flush; the edge commits. Lists page by keyset (never by offset) on (created_at, id) or on
(priority score with unscored last, id)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, tuple_

from services.chassis.uow import UnitOfWork
from services.planning.models import TASK_STATUSES, Feature, FeatureInsight, Insight, Task

# Scores are never negative, so -1 puts unscored features after every scored one.
UNSCORED = -1.0
SCORE_ORDER = func.coalesce(Feature.priority_score, UNSCORED)


@dataclass
class TaskCounts:
    """How many tasks a feature has, by status."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TASK_STATUSES, 0))


@dataclass(frozen=True)
class FeatureFilters:
    status: str = ""
    origin: str = ""


async def add_feature(uow: UnitOfWork, feature: Feature) -> Feature:
    """Insert the feature and read back its defaults."""
    uow.session.add(feature)
    await uow.session.flush()
    await uow.session.refresh(feature)
    return feature


async def feature_of(
    uow: UnitOfWork, project_id: uuid.UUID, feature_id: uuid.UUID, *, lock: bool = False
) -> Feature | None:
    """The project's feature, locked until commit when asked."""
    query = select(Feature).where(Feature.id == feature_id, Feature.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def features_by_ids(uow: UnitOfWork, feature_ids: list[uuid.UUID], *, lock: bool = False) -> list[Feature]:
    """Features by id (in id order, locked until commit when asked)."""
    if not feature_ids:
        return []
    query = select(Feature).where(Feature.id.in_(feature_ids)).order_by(Feature.id)
    if lock:
        query = query.with_for_update()
    return list((await uow.session.execute(query.execution_options(populate_existing=True))).scalars())


async def save_feature(uow: UnitOfWork, feature: Feature) -> Feature:
    """Flush changes to the feature (updated_at = now) and read it back."""
    feature.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(feature, ["updated_at"])
    return feature


async def delete_feature(uow: UnitOfWork, feature: Feature) -> None:
    await uow.session.delete(feature)
    await uow.session.flush()


def _filtered(query, project_id: uuid.UUID, filters: FeatureFilters):
    query = query.where(Feature.project_id == project_id)
    if filters.status:
        query = query.where(Feature.status == filters.status)
    if filters.origin:
        query = query.where(Feature.origin == filters.origin)
    return query


async def page_by_time(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    filters: FeatureFilters,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Feature]:
    """Up to ``limit`` features, newest first, after the cursor position."""
    query = _filtered(select(Feature), project_id, filters).order_by(Feature.created_at.desc(), Feature.id.desc())
    if after is not None:
        query = query.where(tuple_(Feature.created_at, Feature.id) < tuple_(*after))
    return list((await uow.session.execute(query.limit(limit))).scalars())


async def page_by_score(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    filters: FeatureFilters,
    *,
    limit: int,
    after: tuple[float, uuid.UUID] | None,
) -> list[Feature]:
    """Up to ``limit`` features, highest priority score first (unscored last, then newest id),
    after the cursor position."""
    query = _filtered(select(Feature), project_id, filters).order_by(SCORE_ORDER.desc(), Feature.id.desc())
    if after is not None:
        query = query.where(tuple_(SCORE_ORDER, Feature.id) < tuple_(*after))
    return list((await uow.session.execute(query.limit(limit))).scalars())


async def insight_ids_of(uow: UnitOfWork, feature_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The insights linked to each feature, in the order they were linked."""
    if not feature_ids:
        return {}
    rows = await uow.session.execute(
        select(FeatureInsight.feature_id, FeatureInsight.insight_id)
        .where(FeatureInsight.feature_id.in_(feature_ids))
        .order_by(FeatureInsight.created_at, FeatureInsight.insight_id)
    )
    linked: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for feature_id, insight_id in rows:
        linked[feature_id].append(insight_id)
    return linked


async def task_counts_of(uow: UnitOfWork, feature_ids: list[uuid.UUID]) -> dict[uuid.UUID, TaskCounts]:
    """Each feature's tasks by status, in one query."""
    counts = {feature_id: TaskCounts() for feature_id in feature_ids}
    if not feature_ids:
        return counts
    rows = await uow.session.execute(
        select(Task.feature_id, Task.status, func.count())
        .where(Task.feature_id.in_(feature_ids))
        .group_by(Task.feature_id, Task.status)
    )
    for feature_id, status, count in rows:
        counts[feature_id].total += count
        counts[feature_id].by_status[status] = count
    return counts


async def insights_of_project(
    uow: UnitOfWork, project_id: uuid.UUID, insight_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Insight]:
    """The project's insights among ``insight_ids``."""
    if not insight_ids:
        return {}
    rows = await uow.session.execute(
        select(Insight).where(Insight.project_id == project_id, Insight.id.in_(insight_ids))
    )
    return {insight.id: insight for insight in rows.scalars()}


async def lock_insights(uow: UnitOfWork, insight_ids: list[uuid.UUID]) -> None:
    """Lock insights until commit, in id order."""
    if insight_ids:
        await uow.session.execute(
            select(Insight.id).where(Insight.id.in_(insight_ids)).order_by(Insight.id).with_for_update()
        )


async def unlinked_insights(uow: UnitOfWork, project_id: uuid.UUID) -> list[Insight]:
    """The project's insights that feature generation may cover: not dismissed and linked to no
    feature yet, oldest first."""
    linked = select(FeatureInsight.insight_id).where(FeatureInsight.project_id == project_id)
    query = (
        select(Insight)
        .where(
            Insight.project_id == project_id,
            Insight.status.in_(("new", "kept")),
            Insight.id.not_in(linked),
        )
        .order_by(Insight.created_at, Insight.id)
    )
    return list((await uow.session.execute(query)).scalars())


async def task_titles_of(uow: UnitOfWork, feature_id: uuid.UUID) -> list[str]:
    """The titles of the feature's tasks, by number."""
    rows = await uow.session.execute(select(Task.title).where(Task.feature_id == feature_id).order_by(Task.number))
    return list(rows.scalars())


async def sprints_of_tasks_of(uow: UnitOfWork, feature_id: uuid.UUID) -> list[uuid.UUID]:
    """The sprints the feature's tasks are in now (read without locks)."""
    query = select(Task.sprint_id).where(Task.feature_id == feature_id, Task.sprint_id.is_not(None)).distinct()
    return list((await uow.session.execute(query)).scalars())


async def lock_tasks_of(uow: UnitOfWork, feature_id: uuid.UUID) -> None:
    """Lock the feature's tasks until commit, in id order."""
    await uow.session.execute(select(Task.id).where(Task.feature_id == feature_id).order_by(Task.id).with_for_update())


async def detach_tasks(uow: UnitOfWork, feature_id: uuid.UUID) -> list[Task]:
    """Take the feature off its tasks; the tasks changed, by number."""
    tasks = list(
        (
            await uow.session.execute(
                select(Task)
                .where(Task.feature_id == feature_id)
                .order_by(Task.number)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    for task in tasks:
        task.feature_id = None
        task.updated_at = func.now()
    await uow.session.flush()
    return tasks


async def features_all_done(uow: UnitOfWork, feature_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Those of ``feature_ids`` that have tasks and whose tasks are all done."""
    if not feature_ids:
        return []
    rows = await uow.session.execute(
        select(Task.feature_id)
        .where(Task.feature_id.in_(feature_ids))
        .group_by(Task.feature_id)
        .having(func.count() == func.count().filter(Task.status == "done"))
    )
    return sorted(rows.scalars())
