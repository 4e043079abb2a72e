"""All SQL of the AI gateway: prompts, calls, budgets, usage, spans and project settings.

Functions flush; the edge commits.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.agents.models import BillingUsage, Budget, LlmCall, ProjectLlmSettings, PromptVersion, TraceSpan
from services.chassis.ids import uuid7

# --- project settings ------------------------------------------------------------------------


async def project_settings(session: AsyncSession, project_id: uuid.UUID) -> ProjectLlmSettings | None:
    return await session.get(ProjectLlmSettings, project_id)


async def save_project_settings(
    session: AsyncSession, project_id: uuid.UUID, provider: str, model: str | None, as_of: datetime
) -> None:
    """Keep the project's choice as of ``as_of``; an older event arriving late changes nothing."""
    table = ProjectLlmSettings.__table__
    statement = pg_insert(table).values(project_id=project_id, llm_provider=provider, llm_model=model, updated_at=as_of)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.project_id],
            set_={"llm_provider": provider, "llm_model": model, "updated_at": as_of},
            where=table.c.updated_at <= as_of,
        )
    )


# --- prompt versions -----------------------------------------------------------------------


async def prompt_version(session: AsyncSession, name: str, content_hash: str) -> PromptVersion | None:
    return (
        await session.execute(
            select(PromptVersion).where(PromptVersion.name == name, PromptVersion.content_hash == content_hash)
        )
    ).scalar_one_or_none()


async def lock_prompt_name(session: AsyncSession, name: str) -> None:
    """Hold the right to number ``name``'s next version until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"prompt:{name}"})


async def last_prompt_version(session: AsyncSession, name: str) -> int:
    return (
        await session.execute(
            select(func.coalesce(func.max(PromptVersion.version), 0)).where(PromptVersion.name == name)
        )
    ).scalar_one()


async def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


# --- calls ---------------------------------------------------------------------------------


async def update_call(session: AsyncSession, call_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(LlmCall).where(LlmCall.id == call_id).values(**values))


async def expire_reservations(
    session: AsyncSession, older_than: datetime, error: str
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark calls still reserved since before ``older_than`` as failed; their (id, project)."""
    rows = await session.execute(
        update(LlmCall)
        .where(LlmCall.status == "reserved", LlmCall.created_at < older_than)
        .values(status="failed", error=error, completed_at=func.now())
        .returning(LlmCall.id, LlmCall.project_id)
    )
    return [(row.id, row.project_id) for row in rows]


async def list_calls(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    task: str = "",
    status: str = "",
) -> list[tuple[LlmCall, PromptVersion | None]]:
    """A project's calls, newest first, with the prompt version each used."""
    query = (
        select(LlmCall, PromptVersion)
        .outerjoin(PromptVersion, PromptVersion.id == LlmCall.prompt_version_id)
        .where(LlmCall.project_id == project_id)
        .order_by(LlmCall.created_at.desc(), LlmCall.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(LlmCall.created_at, LlmCall.id) < tuple_(*before))
    if task:
        query = query.where(LlmCall.task == task)
    if status:
        query = query.where(LlmCall.status == status)
    return [(row[0], row[1]) for row in await session.execute(query)]


# --- budgets and spend ---------------------------------------------------------------------


async def budget(session: AsyncSession, project_id: uuid.UUID, *, lock: bool = False) -> Budget | None:
    """The project's budget; with ``lock``, its row stays locked until the transaction ends."""
    query = select(Budget).where(Budget.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def month_spend(session: AsyncSession, project_id: uuid.UUID, month: date) -> Decimal:
    """Settled spend of the calls started in ``month``."""
    spent = await session.execute(
        select(BillingUsage.cost_usd).where(BillingUsage.project_id == project_id, BillingUsage.month == month)
    )
    return spent.scalar_one_or_none() or Decimal(0)


async def spend_since(session: AsyncSession, project_id: uuid.UUID, since: datetime) -> Decimal:
    """Settled spend of the calls started at or after ``since``."""
    return (
        await session.execute(
            select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(
                LlmCall.project_id == project_id, LlmCall.created_at >= since, LlmCall.status != "reserved"
            )
        )
    ).scalar_one()


async def outstanding_reservations(session: AsyncSession, project_id: uuid.UUID) -> Decimal:
    """What calls in flight hold (the partial index ``ix_llm_calls_reserved`` serves this)."""
    return (
        await session.execute(
            select(func.coalesce(func.sum(LlmCall.reserved_usd), 0)).where(
                LlmCall.project_id == project_id, LlmCall.status == "reserved"
            )
        )
    ).scalar_one()


async def add_usage(
    session: AsyncSession, project_id: uuid.UUID, month: date, *, input_tokens: int, output_tokens: int, cost: Decimal
) -> None:
    """Count one settled call in the project's month."""
    table = BillingUsage.__table__
    statement = pg_insert(table).values(
        id=uuid7(),
        project_id=project_id,
        month=month,
        calls=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_billing_usage_project_month",
            set_={
                "calls": table.c.calls + 1,
                "input_tokens": table.c.input_tokens + excluded.input_tokens,
                "output_tokens": table.c.output_tokens + excluded.output_tokens,
                "cost_usd": table.c.cost_usd + excluded.cost_usd,
                "updated_at": func.now(),
            },
        )
    )


async def usage_since(session: AsyncSession, project_id: uuid.UUID, first_month: date) -> list[BillingUsage]:
    return list(
        (
            await session.execute(
                select(BillingUsage).where(BillingUsage.project_id == project_id, BillingUsage.month >= first_month)
            )
        ).scalars()
    )


# --- traces --------------------------------------------------------------------------------


async def spans(session: AsyncSession, project_id: uuid.UUID, trace_id: str) -> list[TraceSpan]:
    """The project's spans of one trace, in the order they started."""
    return list(
        (
            await session.execute(
                select(TraceSpan)
                .where(TraceSpan.trace_id == trace_id, TraceSpan.project_id == project_id)
                .order_by(TraceSpan.started_at, TraceSpan.id)
            )
        ).scalars()
    )


async def ensure_budget(session: AsyncSession, project_id: uuid.UUID) -> bool:
    """Give the project a budget row with the defaults if it has none; whether one was made."""
    created = await session.execute(
        pg_insert(Budget.__table__)
        .values(id=uuid7(), project_id=project_id)
        .on_conflict_do_nothing(index_elements=[Budget.__table__.c.project_id])
        .returning(Budget.__table__.c.id)
    )
    return created.first() is not None
