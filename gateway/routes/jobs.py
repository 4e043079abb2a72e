"""A project's orchestration jobs (agents): list them, and retry the dead ones.

Enqueueing, claiming and settling jobs is for services over gRPC (``aira.agents.v1.Orchestration``);
people see the queue and revive what gave up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aira.agents.v1 import jobs_pb2
from aira.common.v1 import types_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto, page_of

router = APIRouter(prefix="/v1/projects", tags=["jobs"])

JobStatus = Literal["pending", "running", "done", "dead"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


class JobOut(BaseModel):
    id: str
    project_id: str
    job_type: str
    run_id: str
    payload: dict[str, Any] | None = None
    status: JobStatus
    priority: int
    attempt_count: int
    max_attempts: int
    run_after: datetime
    lease_owner: str
    lease_expires_at: datetime | None = None
    last_error: str
    result: dict[str, Any] | None = None
    created_at: datetime
    finished_at: datetime | None = None


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class RetryIn(StrictBody):
    attempts: int = Field(default=1, ge=1, le=100, description="How many more attempts the job gets")


@router.get(
    "/{project_id}/jobs",
    response_model=JobPage,
    summary="The project's orchestration jobs, newest first (filter by status and job type)",
)
async def list_jobs(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: JobStatus | None = None,
    job_type: Annotated[str, Query(max_length=100)] = "",
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.orchestration.ListJobs(
        jobs_pb2.ListJobsRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            status=status or "",
            job_type=job_type,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return page_of(reply)


@router.post(
    "/{project_id}/jobs/{job_id}/retry",
    response_model=JobOut,
    summary="Give a dead job more attempts, due now (admins; 409 unless the job is dead)",
)
async def retry_job(
    project_id: str,
    job_id: str,
    who: CallerDep,
    gateway: State,
    idempotency: IdempotencyDep,
    body: RetryIn | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.orchestration.RetryJob(
        jobs_pb2.RetryJobRequest(project_id=project_id, job_id=job_id, attempts=body.attempts if body else 0),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return from_proto(reply)
