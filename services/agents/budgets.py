"""Project budgets for AI calls: reserve before the provider is called, settle after.

A call first *reserves* its worst-case cost under a lock on the project's budget row: with a hard
limit, this month's settled spend, today's, everything held by calls in flight and this estimate
must stay within each limit, or the call is refused before any money is spent. After the provider
answers, *settle* replaces the reservation by the real cost, adds it to the month's
``billing_usage`` and, once per period, raises ``agents.budget.threshold_reached.v1`` when the
settled spend crosses the alert threshold. Both take the same row lock, so concurrent calls of a
project can never together pass a limit. Periods are calendar months and days in UTC, and a call
belongs to the period it started in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aira.agents.v1 import events_pb2
from services.agents import llm_repository as repository
from services.agents.models import BillingUsage, Budget
from services.agents.pricing import usd
from services.chassis.errors import InvalidArgument
from services.chassis.events import Event
from services.chassis.uow import UnitOfWork

DEFAULT_ALERT_THRESHOLD = Decimal("0.8")
MAX_LIMIT_USD = Decimal("99999999")  # what numeric(14, 6) holds


@dataclass(frozen=True)
class Spend:
    """A project's settled spend this month and today, and what calls in flight hold."""

    month: Decimal
    today: Decimal
    reserved: Decimal


def month_of(at: datetime) -> date:
    """The first day of ``at``'s month (UTC)."""
    return at.astimezone(UTC).date().replace(day=1)


def day_start(at: datetime) -> datetime:
    """Midnight (UTC) of ``at``'s day."""
    return datetime.combine(at.astimezone(UTC).date(), time(), tzinfo=UTC)


async def spend(uow: UnitOfWork, project_id: uuid.UUID, at: datetime) -> Spend:
    """Settled spend of ``at``'s month and day, and the reservations outstanding now."""
    session = uow.session
    return Spend(
        month=await repository.month_spend(session, project_id, month_of(at)),
        today=await repository.spend_since(session, project_id, day_start(at)),
        reserved=await repository.outstanding_reservations(session, project_id),
    )


async def refusal(
    uow: UnitOfWork, project_id: uuid.UUID, amount: Decimal, at: datetime, *, holding: Decimal = Decimal(0)
) -> str | None:
    """Lock the project's budget; why ``amount`` may not be held now, or None when it may.

    ``holding`` is what the asking call already holds and would give up for ``amount``. The lock
    lasts until the transaction ends, so the caller records its reservation in the same one.
    """
    budget = await repository.budget(uow.session, project_id, lock=True)
    if budget is None or not budget.hard_limit:
        return None
    spent = await spend(uow, project_id, at)
    held = spent.reserved - holding
    for period, limit, settled in (
        ("monthly", budget.monthly_limit_usd, spent.month),
        ("daily", budget.daily_limit_usd, spent.today),
    ):
        if limit is not None and settled + held + amount > limit:
            return (
                f"the project's {period} AI budget of USD {usd(limit)} would be passed: USD {usd(settled)} spent, "
                f"USD {usd(held)} held by calls in flight, and this call may cost up to USD {usd(amount)}"
            )
    return None


async def settle(
    uow: UnitOfWork,
    *,
    project_id: uuid.UUID,
    call_id: uuid.UUID,
    started_at: datetime,
    billed: bool,
    call: dict[str, Any],
) -> None:
    """Record the call's outcome (``call``: its new column values) in place of its reservation.

    A ``billed`` call (one the provider answered at least once) is counted in the month's usage;
    then the alert threshold is checked.
    """
    budget = await repository.budget(uow.session, project_id, lock=True)
    await repository.update_call(uow.session, call_id, **call)
    if billed:
        await repository.add_usage(
            uow.session,
            project_id,
            month_of(started_at),
            input_tokens=call["input_tokens"],
            output_tokens=call["output_tokens"],
            cost=call["cost_usd"],
        )
    if budget is not None and call["cost_usd"] > 0:
        await _alert_once(uow, budget, started_at)


async def _alert_once(uow: UnitOfWork, budget: Budget, at: datetime) -> None:
    """Raise the threshold event for each period whose settled spend crossed it first now."""
    month, today = month_of(at), at.astimezone(UTC).date()
    spent = await spend(uow, budget.project_id, at)
    for period, limit, settled, already in (
        ("month", budget.monthly_limit_usd, spent.month, budget.alerted_month == month),
        ("day", budget.daily_limit_usd, spent.today, budget.alerted_day == today),
    ):
        if limit is None or already or settled < limit * budget.alert_threshold:
            continue
        if period == "month":
            budget.alerted_month = month
        else:
            budget.alerted_day = today
        uow.emit(
            Event(
                entity_type="budget",
                action="threshold_reached",
                entity_id=str(budget.id),
                project_id=budget.project_id,
                payload=events_pb2.BudgetThresholdReached(
                    project_id=str(budget.project_id),
                    period=period,
                    limit_usd=usd(limit),
                    spent_usd=usd(settled),
                    alert_threshold=usd(budget.alert_threshold),
                ),
                snapshot={"period": period, "limit_usd": usd(limit), "spent_usd": usd(settled)},
            )
        )


# --- reading and changing a budget ---------------------------------------------------------


async def status(uow: UnitOfWork, project_id: uuid.UUID, at: datetime) -> tuple[Budget | None, Spend]:
    """The project's budget (None when it has none) and its spend."""
    return await repository.budget(uow.session, project_id), await spend(uow, project_id, at)


def parse_usd(text: str, field: str, *, maximum: Decimal = MAX_LIMIT_USD, places: int = 6) -> Decimal | None:
    """An amount from its decimal text (None for ""); InvalidArgument when it is not one we keep."""
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidArgument(f"{field} must be a decimal number", field=field) from exc
    if not amount.is_finite() or amount < 0 or amount > maximum:
        raise InvalidArgument(f"{field} must be between 0 and {maximum}", field=field)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise InvalidArgument(f"{field} may have at most {places} decimal places", field=field)
    return amount


async def put(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    monthly_limit: Decimal | None,
    daily_limit: Decimal | None,
    alert_threshold: Decimal,
    hard_limit: bool,
) -> Budget:
    """Set the project's limits; a change raises ``agents.budget.updated.v1`` and re-arms the alerts."""
    if not Decimal(0) < alert_threshold <= Decimal(1):
        raise InvalidArgument("alert_threshold must be above 0 and at most 1", field="alert_threshold")
    created = await repository.ensure_budget(uow.session, project_id)
    budget = await repository.budget(uow.session, project_id, lock=True)
    assert budget is not None  # just ensured
    wanted = {
        "monthly_limit_usd": monthly_limit,
        "daily_limit_usd": daily_limit,
        "alert_threshold": alert_threshold,
        "hard_limit": hard_limit,
    }
    changes = {
        name: {"from": _shown(getattr(budget, name)), "to": _shown(value)}
        for name, value in wanted.items()
        if created or getattr(budget, name) != value
    }
    if not changes:
        return budget
    for name, value in wanted.items():
        setattr(budget, name, value)
    budget.alerted_month = budget.alerted_day = None  # new limits: a crossing alerts again
    budget.updated_at = datetime.now(UTC)
    uow.emit(
        Event(
            entity_type="budget",
            action="updated",
            entity_id=str(budget.id),
            project_id=project_id,
            payload=events_pb2.BudgetUpdated(
                project_id=str(project_id),
                monthly_limit_usd=_shown(monthly_limit),
                daily_limit_usd=_shown(daily_limit),
                alert_threshold=usd(alert_threshold),
                hard_limit=hard_limit,
            ),
            changes=changes,
        )
    )
    await uow.session.flush()
    return budget


def _shown(value: Any) -> Any:
    return usd(value) if isinstance(value, Decimal) else ("" if value is None else value)


async def usage(
    uow: UnitOfWork, project_id: uuid.UUID, months: int, at: datetime
) -> list[tuple[date, BillingUsage | None]]:
    """The last ``months`` months (this one first) and what was used in each."""
    wanted = [month_of(at)]
    for _ in range(months - 1):
        wanted.append((wanted[-1] - timedelta(days=1)).replace(day=1))  # the first of the month before
    rows = {row.month: row for row in await repository.usage_since(uow.session, project_id, wanted[-1])}
    return [(month, rows.get(month)) for month in wanted]
