"""Composition root of the planning service: ``python -m services.planning`` or ``aira serve planning``."""

from __future__ import annotations

import asyncio
from functools import partial

from aira.planning.v1 import (
    repository_pb2,
    repository_pb2_grpc,
    runs_pb2,
    runs_pb2_grpc,
    sources_pb2,
    sources_pb2_grpc,
    sprints_pb2,
    sprints_pb2_grpc,
    work_pb2,
    work_pb2_grpc,
)
from services.chassis.inbox import Subscription
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, run, servicer
from services.planning import models, projects, repository_runs, sprint_plans
from services.planning.grpc_api.repository import RepositoryAnalysesServicer, RunsServicer
from services.planning.grpc_api.sources import InsightsServicer, SourcesServicer
from services.planning.grpc_api.sprints import SprintPlansServicer, SprintsServicer
from services.planning.grpc_api.work import FeaturesServicer, PullRequestsServicer, TasksServicer
from services.planning.peers import Peers
from services.planning.settings import planning_settings


def build(ctx: ServiceContext) -> ServiceParts:
    """The service's parts, wired to this process's database, bus and peers."""
    peers = Peers(ctx.settings)
    settings = planning_settings(ctx.settings)
    local = repository_runs.LocalAccess(settings.local_repositories_allowed, settings.repository_local_root)

    async def close_peers(stop: asyncio.Event) -> None:
        await stop.wait()
        await peers.close()

    return ServiceParts(
        servicers=[
            servicer(
                sources_pb2,
                sources_pb2_grpc,
                "Sources",
                SourcesServicer(ctx.uow, ctx.reader, max_upload_bytes=ctx.settings.max_upload_bytes),
            ),
            servicer(sources_pb2, sources_pb2_grpc, "Insights", InsightsServicer(ctx.uow, ctx.reader)),
            servicer(sprints_pb2, sprints_pb2_grpc, "Sprints", SprintsServicer(ctx.uow, ctx.reader, peers)),
            servicer(sprints_pb2, sprints_pb2_grpc, "SprintPlans", SprintPlansServicer(ctx.uow, ctx.reader, peers)),
            servicer(
                repository_pb2,
                repository_pb2_grpc,
                "RepositoryAnalyses",
                RepositoryAnalysesServicer(ctx.uow, ctx.reader, local),
            ),
            servicer(runs_pb2, runs_pb2_grpc, "Runs", RunsServicer(ctx.reader)),
            servicer(work_pb2, work_pb2_grpc, "Features", FeaturesServicer(ctx.uow, ctx.reader, peers)),
            servicer(work_pb2, work_pb2_grpc, "Tasks", TasksServicer(ctx.uow, ctx.reader, peers)),
            servicer(work_pb2, work_pb2_grpc, "PullRequests", PullRequestsServicer(ctx.uow, ctx.reader)),
        ],
        subscriptions=[Subscription(domain="identity", handler=projects.on_identity_event)],
        job_handlers={
            sprint_plans.JOB_KIND: partial(sprint_plans.run_plan_job, progress=ctx.uow),
            repository_runs.JOB_KIND: partial(repository_runs.run_analysis_job, progress=ctx.uow),
        },
        dead_job_hooks={
            sprint_plans.JOB_KIND: sprint_plans.on_plan_job_dead,
            repository_runs.JOB_KIND: repository_runs.on_analysis_job_dead,
        },
        background=[close_peers],
    )


SPEC = ServiceSpec(name="planning", infra=models.infra, build=build)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
