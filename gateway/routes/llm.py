"""A project's AI spending (agents' AI gateway): calls, budget, monthly usage and traces.

Asking for completions is for services over gRPC (``aira.agents.v1.Llm/Complete``); people read
what their project's AI calls did and cost, and owners and admins set the budget.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from aira.agents.v1 import llm_pb2
from aira.common.v1 import types_pb2
from gateway.deps import CallerDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto, page_of

router = APIRouter(prefix="/v1/projects", tags=["ai"])

CallStatus = Literal["reserved", "completed", "no_provider", "refused_budget", "invalid_output", "failed"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
Usd = Annotated[str, Field(description='US dollars, as decimal text (e.g. "12.5")')]


class LlmCallOut(BaseModel):
    id: str
    agent: str = Field(description="Who asked: a service, or user:<id> / api_key:<id>")
    task: str
    provider: str
    model: str
    model_tier: str
    status: CallStatus
    prompt_name: str
    prompt_version: int
    input_tokens: int
    output_tokens: int
    cost_usd: Usd
    latency_ms: int
    attempts: int = Field(description="Requests sent to the provider, retries included")
    repaired: bool
    error: str | None = None
    trace_id: str
    created_at: datetime
    completed_at: datetime | None = None


class LlmCallPage(BaseModel):
    items: list[LlmCallOut]
    next_cursor: str | None


# Amounts come as JSON numbers or decimal text; strict mode would take neither as a Decimal.
Amount = Annotated[Decimal, Field(strict=False, allow_inf_nan=False, ge=0, le=99_999_999, decimal_places=6)]


class BudgetIn(StrictBody):
    monthly_limit_usd: Amount | None = Field(default=None, description="No limit when absent")
    daily_limit_usd: Amount | None = Field(default=None, description="No limit when absent")
    alert_threshold: Decimal = Field(
        default=Decimal("0.8"),
        strict=False,
        gt=0,
        le=1,
        decimal_places=3,
        description="Share of a limit whose crossing raises an alert",
    )
    hard_limit: bool = Field(default=True, description="Refuse calls that could pass a limit, before any spend")


class BudgetOut(BaseModel):
    project_id: str
    monthly_limit_usd: Usd | None = None
    daily_limit_usd: Usd | None = None
    alert_threshold: str
    hard_limit: bool
    spent_month_usd: Usd
    spent_today_usd: Usd
    reserved_usd: Usd = Field(description="Held by calls in flight")


class MonthlyUsageOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Usd


class UsageOut(BaseModel):
    project_id: str
    months: list[MonthlyUsageOut] = Field(description="This month first")


class SpanOut(BaseModel):
    span_id: str
    parent_span_id: str | None = None
    agent: str
    graph: str
    name: str
    status: str
    latency_ms: int
    cost_usd: Usd
    metadata: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime
    ended_at: datetime | None = None


class TraceOut(BaseModel):
    trace_id: str
    spans: list[SpanOut]


def _budget(reply: llm_pb2.BudgetStatus) -> dict[str, Any]:
    body = from_proto(reply)
    for name in ("monthly_limit_usd", "daily_limit_usd"):
        body[name] = body[name] or None  # "" means no limit
    return body


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


@router.get(
    "/{project_id}/llm/calls",
    response_model=LlmCallPage,
    summary="The project's AI calls, newest first (filter by task and status)",
)
async def list_calls(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    task: Annotated[str, Query(max_length=200)] = "",
    status: CallStatus | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.llm.ListCalls(
        llm_pb2.ListCallsRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            task=task,
            status=status or "",
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    page = page_of(reply)
    for item in page["items"]:
        item["error"] = item["error"] or None
    return page


@router.get("/{project_id}/budget", response_model=BudgetOut, summary="AI budget: limits, spend and reservations")
async def get_budget(project_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.llm.GetBudget(
        llm_pb2.ProjectScope(project_id=project_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return _budget(reply)


@router.put("/{project_id}/budget", response_model=BudgetOut, summary="Set the AI budget (owners and admins)")
async def put_budget(project_id: str, body: BudgetIn, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.llm.PutBudget(
        llm_pb2.PutBudgetRequest(
            project_id=project_id,
            monthly_limit_usd=_amount(body.monthly_limit_usd),
            daily_limit_usd=_amount(body.daily_limit_usd),
            alert_threshold=_amount(body.alert_threshold),
            hard_limit=body.hard_limit,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return _budget(reply)


@router.get("/{project_id}/usage", response_model=UsageOut, summary="AI calls, tokens and cost per month")
async def get_usage(
    project_id: str,
    who: CallerDep,
    gateway: State,
    months: Annotated[int, Query(ge=1, le=24, description="How many months, this one included")] = 6,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.llm.GetUsage(
        llm_pb2.GetUsageRequest(project_id=project_id, months=months),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return from_proto(reply)


@router.get("/{project_id}/traces/{trace_id}", response_model=TraceOut, summary="The spans of one trace")
async def get_trace(
    project_id: str,
    trace_id: Annotated[str, Path(min_length=1, max_length=64)],
    who: CallerDep,
    gateway: State,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.llm.GetTrace(
        llm_pb2.GetTraceRequest(project_id=project_id, trace_id=trace_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {
        "trace_id": reply.trace_id,
        "spans": [
            {
                **from_proto(span),
                "parent_span_id": span.parent_span_id or None,
                "metadata": orjson.loads(span.metadata_json or "{}"),
            }
            for span in reply.spans
        ],
    }
