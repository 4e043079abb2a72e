"""Composition root of the agents service: ``python -m services.agents`` or ``aira serve agents``."""

from __future__ import annotations

from datetime import timedelta

import httpx2

from aira.agents.v1 import audit_pb2, audit_pb2_grpc, jobs_pb2, jobs_pb2_grpc, llm_pb2, llm_pb2_grpc
from services.agents import models, orchestration
from services.agents.consumers import SUBSCRIPTIONS
from services.agents.event_watch import EventWatch
from services.agents.grpc_api.audit import AuditLogServicer
from services.agents.grpc_api.jobs import OrchestrationServicer
from services.agents.grpc_api.llm import LlmServicer
from services.agents.llm import AiGateway
from services.agents.providers import configured_provider
from services.agents.settings import AgentsSettings, agents_settings
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, periodically, run, servicer


def build(ctx: ServiceContext, llm_http_client: httpx2.AsyncClient | None = None) -> ServiceParts:
    """The service's parts; ``llm_http_client`` replaces the AI provider's connections (tests)."""
    settings = agents_settings(ctx.settings)
    ai = AiGateway(uow=ctx.uow, settings=settings, provider=configured_provider(settings, llm_http_client))
    watch = EventWatch(ctx.reader, ctx.url)  # one LISTEN per process for every event stream

    async def purge_finished_jobs() -> None:
        async with ctx.uow() as uow:
            await orchestration.purge_finished(uow, older_than=timedelta(days=settings.job_retention_days))
            await uow.commit()

    return ServiceParts(
        servicers=[
            servicer(audit_pb2, audit_pb2_grpc, "AuditLog", AuditLogServicer(ctx.reader, watch)),
            servicer(jobs_pb2, jobs_pb2_grpc, "Orchestration", OrchestrationServicer(ctx.uow, ctx.reader)),
            servicer(llm_pb2, llm_pb2_grpc, "Llm", LlmServicer(ai, ctx.uow, ctx.reader)),
        ],
        subscriptions=SUBSCRIPTIONS,
        background=[
            watch.run,
            ai.run,
            periodically(purge_finished_jobs, every_seconds=3600, what="purging finished orchestration jobs"),
        ],
    )


SPEC = ServiceSpec(name="agents", infra=models.infra, build=build, settings_class=AgentsSettings)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
