"""The AI gateway's gRPC surface (``aira.agents.v1.Llm``): protobuf to domain calls and back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson

from aira.agents.v1 import llm_pb2, llm_pb2_grpc
from aira.common.v1 import types_pb2
from services.agents import budgets, llm
from services.agents.llm import AiGateway, Completion
from services.agents.models import Budget, LlmCall, PromptVersion, TraceSpan
from services.agents.pricing import usd
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory

DEFAULT_USAGE_MONTHS = 6
MAX_USAGE_MONTHS = 24


def complete_reply(completion: Completion) -> llm_pb2.CompleteReply:
    outcome = {"completed": llm_pb2.CompleteReply.COMPLETED, "no_provider": llm_pb2.CompleteReply.NO_PROVIDER}
    return llm_pb2.CompleteReply(
        outcome=outcome[completion.outcome],
        json=completion.json,
        call_id=str(completion.call_id),
        provider=completion.provider,
        model=completion.model,
        prompt_version=completion.prompt_version,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        cost_usd=usd(completion.cost),
        latency_ms=completion.latency_ms,
        repaired=completion.repaired,
    )


def call_message(call: LlmCall, prompt: PromptVersion | None) -> llm_pb2.LlmCall:
    return llm_pb2.LlmCall(
        id=str(call.id),
        agent=call.agent,
        task=call.task,
        provider=call.provider,
        model=call.model,
        model_tier=call.model_tier,
        status=call.status,
        prompt_version=prompt.version if prompt else 0,
        prompt_name=prompt.name if prompt else "",
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        cost_usd=usd(call.cost_usd),
        latency_ms=call.latency_ms,
        attempts=call.attempts,
        repaired=call.repaired,
        error=call.error or "",
        trace_id=call.trace_id or "",
        created_at=to_timestamp(call.created_at),
        completed_at=to_timestamp(call.completed_at) if call.completed_at else None,
    )


def budget_status(project_id: str, budget: Budget | None, spent: budgets.Spend) -> llm_pb2.BudgetStatus:
    def limit(value) -> str:
        return usd(value) if value is not None else ""

    return llm_pb2.BudgetStatus(
        project_id=project_id,
        monthly_limit_usd=limit(budget.monthly_limit_usd) if budget else "",
        daily_limit_usd=limit(budget.daily_limit_usd) if budget else "",
        alert_threshold=usd(budget.alert_threshold if budget else budgets.DEFAULT_ALERT_THRESHOLD),
        hard_limit=budget.hard_limit if budget else True,
        spent_month_usd=usd(spent.month),
        spent_today_usd=usd(spent.today),
        reserved_usd=usd(spent.reserved),
    )


def span_message(span: TraceSpan) -> llm_pb2.Span:
    return llm_pb2.Span(
        span_id=span.span_id,
        parent_span_id=span.parent_span_id or "",
        agent=span.agent,
        graph=span.graph,
        name=span.name,
        status=span.status,
        latency_ms=span.latency_ms,
        cost_usd=usd(span.cost_usd),
        metadata_json=orjson.dumps(span.metadata_).decode(),
        started_at=to_timestamp(span.started_at),
        ended_at=to_timestamp(span.ended_at) if span.ended_at else None,
    )


class LlmServicer(llm_pb2_grpc.LlmServicer):
    def __init__(self, gateway: AiGateway, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._gateway = gateway
        self._uow = uow
        self._reader = reader

    async def Complete(self, request, ctx):
        agent = llm.caller_of(context.principal.get(), request.project_id)
        completion = await self._gateway.complete(
            self._gateway.request(
                project_id=request.project_id,
                task=request.task,
                prompt_name=request.prompt.name,
                template=request.prompt.template,
                note=request.prompt.note,
                variables=dict(request.variables),
                json_schema=request.json_schema,
                tier=request.model_tier,
                max_output_tokens=request.max_output_tokens,
            ),
            agent=agent,
            as_reply=complete_reply,
        )
        return complete_reply(completion)

    async def ListCalls(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        async with self._reader() as uow:
            page, next_cursor = await llm.list_calls(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                task=request.task,
                status=request.status,
            )
        return llm_pb2.ListCallsResponse(
            items=[call_message(call, prompt) for call, prompt in page],
            page=types_pb2.PageInfo(next_cursor=next_cursor),
        )

    async def GetBudget(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        async with self._reader() as uow:
            budget, spent = await budgets.status(uow, llm.project_uuid(request.project_id), datetime.now(UTC))
        return budget_status(request.project_id, budget, spent)

    async def PutBudget(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.MANAGE_PROJECT)
        project_id = llm.project_uuid(request.project_id)
        threshold = budgets.parse_usd(request.alert_threshold, "alert_threshold", maximum=Decimal(1), places=3)
        async with self._uow() as uow:
            await budgets.put(
                uow,
                project_id,
                monthly_limit=budgets.parse_usd(request.monthly_limit_usd, "monthly_limit_usd"),
                daily_limit=budgets.parse_usd(request.daily_limit_usd, "daily_limit_usd"),
                alert_threshold=budgets.DEFAULT_ALERT_THRESHOLD if threshold is None else threshold,
                hard_limit=request.hard_limit,
            )
            budget, spent = await budgets.status(uow, project_id, datetime.now(UTC))
            reply = budget_status(request.project_id, budget, spent)
            await uow.commit(reply)
        return reply

    async def GetUsage(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        months = request.months or DEFAULT_USAGE_MONTHS
        if not 1 <= months <= MAX_USAGE_MONTHS:
            raise InvalidArgument(f"months must be between 1 and {MAX_USAGE_MONTHS}", field="months")
        async with self._reader() as uow:
            rows = await budgets.usage(uow, llm.project_uuid(request.project_id), months, datetime.now(UTC))
        return llm_pb2.Usage(
            project_id=request.project_id,
            months=[
                llm_pb2.MonthlyUsage(
                    month=month.strftime("%Y-%m"),
                    calls=row.calls if row else 0,
                    input_tokens=row.input_tokens if row else 0,
                    output_tokens=row.output_tokens if row else 0,
                    cost_usd=usd(row.cost_usd) if row else "0",
                )
                for month, row in rows
            ],
        )

    async def GetTrace(self, request, ctx):
        require(context.principal.get(), request.project_id, Action.READ)
        if not request.trace_id or len(request.trace_id) > 64:
            raise NotFound("trace not found", slug="trace-not-found")
        async with self._reader() as uow:
            spans = await llm.trace(uow, request.project_id, request.trace_id)
        return llm_pb2.Trace(trace_id=request.trace_id, spans=[span_message(s) for s in spans])
