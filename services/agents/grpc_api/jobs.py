"""The Orchestration contract: translate protobuf to :mod:`services.agents.orchestration` and back."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict

from aira.agents.v1 import jobs_pb2, jobs_pb2_grpc
from aira.common.v1 import types_pb2
from services.agents import orchestration
from services.agents.models import OrchestrationJob
from services.chassis.proto_values import from_timestamp, to_struct, to_timestamp
from services.chassis.uow import UnitOfWorkFactory


def job_message(job: OrchestrationJob) -> jobs_pb2.Job:
    message = jobs_pb2.Job(
        id=str(job.id),
        project_id=str(job.project_id),
        job_type=job.job_type,
        run_id=job.run_id or "",
        payload=to_struct(job.payload or {}),
        status=job.status,
        priority=job.priority,
        attempt_count=job.attempt_count,
        max_attempts=job.max_attempts,
        run_after=to_timestamp(job.run_after),
        lease_owner=job.lease_owner or "",
        last_error=job.last_error or "",
        result=to_struct(job.result),
        created_at=to_timestamp(job.created_at),
    )
    if job.lease_expires_at is not None:
        message.lease_expires_at.CopyFrom(to_timestamp(job.lease_expires_at))
    if job.finished_at is not None:
        message.finished_at.CopyFrom(to_timestamp(job.finished_at))
    return message


class OrchestrationServicer(jobs_pb2_grpc.OrchestrationServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._reader = reader

    async def Enqueue(self, request, ctx):
        orchestration.require_service()
        async with self._uow() as uow:
            job, created = await orchestration.enqueue(
                uow,
                project_id=request.project_id,
                job_type=request.job_type,
                payload=MessageToDict(request.payload),
                idempotency_key=request.idempotency_key,
                priority=request.priority,
                run_id=request.run_id,
                max_attempts=request.max_attempts,
                run_after=from_timestamp(request.run_after) if request.HasField("run_after") else None,
            )
            reply = jobs_pb2.EnqueueReply(job=job_message(job), created=created)
            await uow.commit(reply)
        return reply

    async def Claim(self, request, ctx):
        principal = orchestration.require_service()
        async with self._uow() as uow:
            jobs = await orchestration.claim(
                uow,
                principal,
                worker_id=request.worker_id,
                job_types=list(request.job_types),
                limit=request.limit,
                lease_seconds=request.lease_seconds,
            )
            reply = jobs_pb2.ClaimReply(jobs=[job_message(job) for job in jobs])
            await uow.commit(reply)
        return reply

    async def Renew(self, request, ctx):
        principal = orchestration.require_service()
        async with self._uow() as uow:
            held = await orchestration.renew(
                uow, principal, job_id=request.job_id, worker_id=request.worker_id, lease_seconds=request.lease_seconds
            )
            reply = jobs_pb2.LeaseReply(held=held)
            await uow.commit(reply)
        return reply

    async def Complete(self, request, ctx):
        principal = orchestration.require_service()
        async with self._uow() as uow:
            held = await orchestration.complete(
                uow,
                principal,
                job_id=request.job_id,
                worker_id=request.worker_id,
                result=MessageToDict(request.result) if request.HasField("result") else None,
            )
            reply = jobs_pb2.LeaseReply(held=held)
            await uow.commit(reply)
        return reply

    async def Fail(self, request, ctx):
        principal = orchestration.require_service()
        async with self._uow() as uow:
            status = await orchestration.fail(
                uow, principal, job_id=request.job_id, worker_id=request.worker_id, error=request.error
            )
            reply = jobs_pb2.FailJobReply(held=status is not None, status=status or "")
            await uow.commit(reply)
        return reply

    async def ListJobs(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await orchestration.page(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                status=request.status,
                job_type=request.job_type,
            )
        return jobs_pb2.ListJobsResponse(
            items=[job_message(job) for job in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def RetryJob(self, request, ctx):
        async with self._uow() as uow:
            job = await orchestration.retry(uow, request.project_id, request.job_id, attempts=request.attempts)
            reply = job_message(job)
            await uow.commit(reply)
        return reply
