"""The RepositoryAnalyses and Runs contracts: translate protobuf to
:mod:`services.planning.repository_runs` and :mod:`services.planning.run_progress` and back."""

from __future__ import annotations

import contextlib
import uuid

import orjson

from aira.common.v1 import types_pb2
from aira.planning.v1 import repository_pb2, repository_pb2_grpc, runs_pb2, runs_pb2_grpc
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import InvalidArgument
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.planning import repository_runs, run_progress, sprint_plans
from services.planning.analysis_run_repository import Item
from services.planning.models import RunProgress
from services.planning.repository_runs import LocalAccess, RunView
from services.planning.tasks import project_uuid


def _item_message(item: Item) -> repository_pb2.RepositoryAnalysisItem:
    message = repository_pb2.RepositoryAnalysisItem(
        id=str(item.id),
        position=item.position,
        location=item.location,
        status=item.status,
        summary=item.summary,
        result_json=orjson.dumps(item.result).decode() if item.result is not None else "",
        source_id=str(item.source_id) if item.source_id else "",
        error=item.error,
        error_slug=item.error_slug,
        file_count=getattr(item, "file_count", 0),
        source_count=getattr(item, "source_count", 1 if item.source_id else 0),
    )
    for name in ("started_at", "finished_at"):
        if (value := getattr(item, name)) is not None:
            getattr(message, name).CopyFrom(to_timestamp(value))
    return message


def analysis_message(view: RunView) -> repository_pb2.RepositoryAnalysis:
    run = view.run
    message = repository_pb2.RepositoryAnalysis(
        id=str(run.id),
        project_id=str(run.project_id),
        depth=view.depth,
        provider=run.provider,
        status=run.status,
        total_count=run.total_count,
        completed_count=run.completed_count,
        failed_count=run.failed_count,
        error=run.error,
        created_by=run.created_by,
        created_at=to_timestamp(run.created_at),
        items=[_item_message(i) for i in view.items],
    )
    for name in ("started_at", "finished_at"):
        if (value := getattr(run, name)) is not None:
            getattr(message, name).CopyFrom(to_timestamp(value))
    return message


class RepositoryAnalysesServicer(repository_pb2_grpc.RepositoryAnalysesServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, access: LocalAccess) -> None:
        self._uow = uow
        self._reader = reader
        self._access = access

    async def StartAnalysis(self, request, ctx):
        async with self._uow() as uow:
            view = await repository_runs.start_analysis(
                uow,
                request.project_id,
                repositories=list(request.repositories),
                depth=request.depth,
                access=self._access,
            )
            reply = analysis_message(view)
            await uow.commit(reply)
        return reply

    async def ListAnalyses(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await repository_runs.list_analyses(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                status=request.status,
                depth=request.depth,
            )
        return repository_pb2.ListAnalysesResponse(
            items=[analysis_message(v) for v in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetAnalysis(self, request, ctx):
        async with self._reader() as uow:
            view = await repository_runs.get_analysis(uow, request.project_id, request.analysis_id)
        return analysis_message(view)


def progress_message(step: RunProgress) -> runs_pb2.RunProgress:
    return runs_pb2.RunProgress(
        run_id=str(step.run_id),
        sequence=step.sequence,
        step=step.step,
        done=step.done,
        total=step.total,
        message=step.message,
        final=step.final,
        created_at=to_timestamp(step.created_at),
    )


class RunsServicer(runs_pb2_grpc.RunsServicer):
    def __init__(self, reader: UnitOfWorkFactory, *, poll_seconds: float = run_progress.POLL_SECONDS) -> None:
        self._reader = reader
        self._poll_seconds = poll_seconds

    async def _run_id(self, request) -> uuid.UUID:
        """The run's id once the project is known to hold a run of that type (NotFound otherwise)."""
        require(context.principal.get(), request.project_id, Action.READ)
        project = project_uuid(request.project_id)
        if request.after_sequence < 0:
            raise InvalidArgument("after_sequence must not be negative", field="after_sequence")
        async with self._reader() as uow:
            if request.run_type == "sprint_plan":
                return (await sprint_plans.load(uow, project, request.run_id)).id
            if request.run_type == "repository_analysis":
                return (await repository_runs.load(uow, project, request.run_id)).id
        raise InvalidArgument("run_type must be sprint_plan or repository_analysis", field="run_type")

    async def WatchProgress(self, request, ctx):
        run_id = await self._run_id(request)
        # Headers now: the caller knows the stream was accepted before the first step arrives.
        await ctx.send_initial_metadata(())
        steps = run_progress.follow(self._reader, run_id, request.after_sequence, poll_seconds=self._poll_seconds)
        async with contextlib.aclosing(steps) as following:
            async for step in following:
                yield progress_message(step)
