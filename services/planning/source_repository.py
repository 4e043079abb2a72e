"""SQL of planning's sources. Functions flush; the edge commits.

Lists never load a source's content (it may be megabytes); reading it is an explicit choice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from services.chassis.uow import UnitOfWork
from services.planning.models import Insight, Source

UNIQUE_CONTENT = "uq_sources_project_content"


def _is_duplicate_content(exc: IntegrityError) -> bool:
    return UNIQUE_CONTENT in str(exc.orig)


async def source_of(
    uow: UnitOfWork, project_id: uuid.UUID, source_id: uuid.UUID, *, content: bool = True, lock: bool = False
) -> Source | None:
    """The project's source (with or without its content), locked for update when asked."""
    query = select(Source).where(Source.id == source_id, Source.project_id == project_id)
    if not content:
        query = query.options(defer(Source.content, raiseload=True))
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def source_by_hash(uow: UnitOfWork, project_id: uuid.UUID, content_hash: str) -> Source | None:
    """The project's source holding content with this hash, without its content."""
    query = (
        select(Source)
        .where(Source.project_id == project_id, Source.content_hash == content_hash)
        .options(defer(Source.content, raiseload=True))
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def add_source(uow: UnitOfWork, values: dict[str, Any]) -> Source | None:
    """Insert a source; None (and nothing written) when the project already holds its content,
    which a concurrent writer may have added a moment ago."""
    query = (
        pg_insert(Source)
        .values(**values)
        .on_conflict_do_nothing(constraint=UNIQUE_CONTENT)
        .returning(Source)
        .execution_options(populate_existing=True)
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def save_source(uow: UnitOfWork, source: Source) -> bool:
    """Flush changes to ``source``; False when another source of the project took the new content
    meanwhile (the session must then be abandoned, as the caller's error does)."""
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        if _is_duplicate_content(exc):
            return False
        raise
    return True


async def page_sources(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    source_type: str,
    title_words: list[str],
) -> list[Source]:
    """Up to ``limit`` sources, newest first (created_at, then id), after the cursor position."""
    query = (
        select(Source)
        .where(Source.project_id == project_id)
        .options(defer(Source.content, raiseload=True))
        .order_by(Source.created_at.desc(), Source.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Source.created_at, Source.id) < tuple_(*after))
    if source_type:
        query = query.where(Source.type == source_type)
    for word in title_words:
        query = query.where(Source.title.ilike(f"%{_escape_like(word)}%", escape="\\"))
    return list((await uow.session.execute(query)).scalars())


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def delete_source(uow: UnitOfWork, source_id: uuid.UUID) -> list[Insight]:
    """Delete the source; the insights drawn from it, now without a source (they stay)."""
    insights = list(
        (await uow.session.execute(select(Insight).where(Insight.source_id == source_id).with_for_update())).scalars()
    )
    for insight in insights:
        insight.source_id = None
        insight.updated_at = func.now()
    await uow.session.flush()
    await uow.session.execute(delete(Source).where(Source.id == source_id))
    return insights
