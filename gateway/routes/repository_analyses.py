"""A project's repository analyses (planning): read 1–10 git repositories in the background and keep
each analysis as a source of type ``repository_analysis`` (Markdown, never the code).

``POST`` answers 202 with the run at once; follow it with ``GET …/{analysis_id}/events`` (Server-Sent
Events) or poll ``GET …/{analysis_id}``. A repository is a URL the deployment can reach
(``https://``, ``http://``, ``ssh://`` or ``user@host:path``, without credentials) or, where the
deployment allows local repositories (``AIRA_REPOSITORY_LOCAL_PATHS``, on by default outside
production; confined to ``AIRA_REPOSITORY_LOCAL_ROOT`` when set), an absolute path. A path that does
not exist or is not a git repository fails its item with a slug; the run goes on. Rules in full:
``services/planning/repository_runs.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import repository_pb2
from gateway import sse
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.routes.sprints import SSE_DESCRIPTION, SSE_RESPONSES, ProgressAfter, progress_stream
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["repository analyses"])

Depth = Literal["quick", "full"]
RunStatus = Literal["queued", "running", "completed", "failed"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


class AnalysisIn(StrictBody):
    repositories: list[Annotated[str, Field(min_length=1, max_length=2_000)]] = Field(
        min_length=1, max_length=10, description="Absolute local paths (where allowed) or git URLs"
    )
    depth: Depth = Field(
        default="quick", description="quick: layout, stack, tests, CI, conventions; full adds API and history"
    )


class AnalysisItemOut(BaseModel):
    id: str
    position: int
    location: str
    status: RunStatus
    summary: str
    result: dict[str, Any] | None = Field(default=None, description="The structured analysis, once completed")
    source_id: str | None = Field(default=None, description="The source holding the analysis as Markdown")
    error: str
    error_slug: str = Field(description="e.g. repository-not-found, not-a-git-repository, repository-unreachable")
    file_count: int
    source_count: int
    started_at: datetime | None = None
    finished_at: datetime | None = None


class AnalysisOut(BaseModel):
    id: str
    project_id: str
    depth: Depth
    provider: Literal["local", "git", "mixed"]
    status: RunStatus = Field(description="completed when any repository was analysed; failed when none was")
    total_count: int
    completed_count: int
    failed_count: int
    error: str
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    items: list[AnalysisItemOut] | None = Field(default=None, description="By position (not in lists)")


class AnalysisPage(BaseModel):
    items: list[AnalysisOut]
    next_cursor: str | None


def analysis_out(message: repository_pb2.RepositoryAnalysis, *, with_items: bool = True) -> dict[str, Any]:
    body = from_proto(message)
    if not with_items:
        body.pop("items", None)
        return body
    for item in body.get("items", []):
        result = item.pop("result_json", "")
        item["result"] = orjson.loads(result) if result else None
        item["source_id"] = item.get("source_id") or None
    return body


@router.post(
    "/{project_id}/repository-analyses",
    status_code=202,
    response_model=AnalysisOut,
    summary="Analyse repositories in the background; each analysis becomes a source",
)
async def start_analysis(
    project_id: str, body: AnalysisIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.repository_analyses.StartAnalysis(
        repository_pb2.StartAnalysisRequest(project_id=project_id, repositories=body.repositories, depth=body.depth),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    response.headers["location"] = f"/v1/projects/{project_id}/repository-analyses/{reply.id}"
    return analysis_out(reply)


@router.get(
    "/{project_id}/repository-analyses",
    response_model=AnalysisPage,
    summary="Repository analyses (quick and full), newest first",
)
async def list_analyses(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: RunStatus | None = None,
    depth: Depth | None = None,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.repository_analyses.ListAnalyses(
        repository_pb2.ListAnalysesRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            status=status or "",
            depth=depth or "",
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {
        "items": [analysis_out(a, with_items=False) for a in reply.items],
        "next_cursor": reply.page.next_cursor or None,
    }


@router.get(
    "/{project_id}/repository-analyses/{analysis_id}",
    response_model=AnalysisOut,
    summary="A repository analysis with its items",
)
async def get_analysis(project_id: str, analysis_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.repository_analyses.GetAnalysis(
        repository_pb2.AnalysisRef(project_id=project_id, analysis_id=analysis_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return analysis_out(reply)


@router.get(
    "/{project_id}/repository-analyses/{analysis_id}/events",
    response_class=StreamingResponse,
    summary="A repository analysis' progress as it happens (Server-Sent Events)",
    description=SSE_DESCRIPTION,
    responses=SSE_RESPONSES,
)
async def analysis_events(
    project_id: str,
    analysis_id: str,
    who: CallerDep,
    gateway: State,
    last_event_id: sse.LastEventId = None,
    after: ProgressAfter = 0,
) -> StreamingResponse:
    return await progress_stream(gateway, who, project_id, "repository_analysis", analysis_id, last_event_id, after)
