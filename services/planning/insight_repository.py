"""SQL of planning's insights and their links to features. Functions flush; the edge commits.

Search uses the generated ``search`` tsvector (title weighted A, body B, domain C) with
``websearch_to_tsquery``, ranked by ``ts_rank``; both orders page by keyset, never by offset.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import REAL, cast, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.chassis.uow import UnitOfWork
from services.planning.models import Feature, FeatureInsight, Insight

LANGUAGE = "english"


@dataclass(frozen=True)
class InsightFilters:
    type: str = ""
    domain: str = ""
    tags: tuple[str, ...] = ()
    status: str = ""
    impact: str = ""
    source_id: uuid.UUID | None = None
    include_dismissed: bool = False


async def add_insight(uow: UnitOfWork, insight: Insight) -> Insight:
    uow.session.add(insight)
    await uow.session.flush()
    await uow.session.refresh(insight, ["created_at", "updated_at"])
    return insight


async def insight_of(
    uow: UnitOfWork, project_id: uuid.UUID, insight_id: uuid.UUID, *, lock: bool = False
) -> Insight | None:
    """The project's insight, locked for update when asked."""
    query = select(Insight).where(Insight.id == insight_id, Insight.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def save_insight(uow: UnitOfWork, insight: Insight) -> Insight:
    insight.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(insight, ["updated_at", "search"])
    return insight


def _filtered(query, project_id: uuid.UUID, filters: InsightFilters):
    query = query.where(Insight.project_id == project_id)
    if filters.type:
        query = query.where(Insight.type == filters.type)
    if filters.domain:
        query = query.where(Insight.domain == filters.domain)
    if filters.tags:
        query = query.where(Insight.tags.has_any(array(list(filters.tags))))
    if filters.status:
        query = query.where(Insight.status == filters.status)
    elif not filters.include_dismissed:
        query = query.where(Insight.status != "dismissed")
    if filters.impact:
        query = query.where(Insight.impact == filters.impact)
    if filters.source_id is not None:
        query = query.where(Insight.source_id == filters.source_id)
    return query


async def page_by_time(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    filters: InsightFilters,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Insight]:
    """Up to ``limit`` insights, newest first (created_at, then id), after the cursor position."""
    query = _filtered(select(Insight), project_id, filters).order_by(Insight.created_at.desc(), Insight.id.desc())
    if after is not None:
        query = query.where(tuple_(Insight.created_at, Insight.id) < tuple_(*after))
    return list((await uow.session.execute(query.limit(limit))).scalars())


async def page_by_rank(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    filters: InsightFilters,
    text: str,
    *,
    limit: int,
    after: tuple[float, uuid.UUID] | None,
) -> list[tuple[Insight, float]]:
    """Up to ``limit`` insights matching ``text``, most relevant first (rank, then id), after the
    cursor position. ``ts_rank`` is a ``real``; the cursor's rank is compared as one, so a rank
    read on one page equals itself on the next."""
    tsquery = func.websearch_to_tsquery(LANGUAGE, text)
    rank = func.ts_rank(Insight.search, tsquery)
    query = (
        _filtered(select(Insight, rank.label("rank")), project_id, filters)
        .where(Insight.search.op("@@")(tsquery))
        .order_by(rank.desc(), Insight.id.desc())
    )
    if after is not None:
        position = tuple_(cast(literal(after[0]), REAL), literal(after[1]))
        query = query.where(tuple_(rank, Insight.id) < position)
    rows = await uow.session.execute(query.limit(limit))
    return [(insight, float(score)) for insight, score in rows]


async def feature_ids_of(uow: UnitOfWork, insight_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Every feature each insight is linked to, latest link first."""
    if not insight_ids:
        return {}
    rows = await uow.session.execute(
        select(FeatureInsight.insight_id, FeatureInsight.feature_id)
        .where(FeatureInsight.insight_id.in_(insight_ids))
        .order_by(FeatureInsight.created_at.desc(), FeatureInsight.feature_id.desc())
    )
    linked: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for insight_id, feature_id in rows:
        linked[insight_id].append(feature_id)
    return linked


async def feature_in_project(uow: UnitOfWork, project_id: uuid.UUID, feature_id: uuid.UUID) -> bool:
    """Whether the project has this feature; it is locked (shared) so it cannot go while we link."""
    found = await uow.session.scalar(
        select(Feature.id).where(Feature.id == feature_id, Feature.project_id == project_id).with_for_update(read=True)
    )
    return found is not None


async def link(uow: UnitOfWork, project_id: uuid.UUID, insight_id: uuid.UUID, feature_id: uuid.UUID) -> bool:
    """Add the feature_insights row; False when it was there already."""
    result = await uow.session.execute(
        pg_insert(FeatureInsight)
        .values(feature_id=feature_id, insight_id=insight_id, project_id=project_id)
        .on_conflict_do_nothing()
        .returning(FeatureInsight.feature_id)
    )
    return result.first() is not None


async def unlink(uow: UnitOfWork, insight_id: uuid.UUID, feature_id: uuid.UUID) -> bool:
    """Remove the feature_insights row; False when there was none."""
    result = await uow.session.execute(
        delete(FeatureInsight)
        .where(FeatureInsight.insight_id == insight_id, FeatureInsight.feature_id == feature_id)
        .returning(FeatureInsight.feature_id)
    )
    return result.first() is not None
