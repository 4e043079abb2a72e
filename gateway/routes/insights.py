"""A project's insights (planning): search and filter, write by hand, triage, link to features.

Status rules (``services/planning/insights.py``): keep → ``kept`` (``linked`` while linked to a
feature); dismiss → ``dismissed`` with links kept, hidden from lists unless ``include_dismissed``
or ``status=dismissed``; link → ``linked``; removing the last link of a linked insight → ``kept``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import sources_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["insights"])

Kind = Literal[
    "pain_point", "feature_request", "requirement", "risk", "decision", "question", "metric", "opportunity", "fact"
]
Impact = Literal["low", "medium", "high", "critical"]
Status = Literal["new", "kept", "dismissed", "linked"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
Confidence = Annotated[float, Field(strict=False, ge=0, le=1, allow_inf_nan=False)]
Tags = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=20)]


class InsightIn(StrictBody):
    type: Kind
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20_000)
    impact: Impact
    confidence: Confidence
    tags: Tags = Field(default_factory=list, description="Stored lowercase, at most 20 of at most 50 characters")
    domain: str = Field(default="", max_length=100)
    source_id: str | None = Field(default=None, max_length=64, description="A source of this project")


class InsightPatch(StrictBody):
    title: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    impact: Impact | None = None
    confidence: Confidence | None = None
    tags: Tags | None = Field(default=None, description="Replaces every tag")
    domain: str | None = Field(default=None, max_length=100)


class LinkIn(StrictBody):
    feature_id: str = Field(min_length=1, max_length=64)


class InsightOut(BaseModel):
    id: str
    project_id: str
    source_id: str | None = None
    atom_id: str | None = None
    type: Kind
    title: str
    body: str
    domain: str
    impact: Impact
    confidence: float
    status: Status
    linked_feature_id: str | None = Field(default=None, description="The primary (latest) linked feature")
    feature_ids: list[str] = Field(default_factory=list, description="Every linked feature, latest first")
    tags: list[str]
    origin: Literal["manual", "ledger"]
    created_by: str
    created_at: datetime
    updated_at: datetime
    rank: float | None = Field(default=None, description="Relevance to q, when searching")


class InsightPage(BaseModel):
    items: list[InsightOut]
    next_cursor: str | None


def insight_out(message: sources_pb2.Insight, *, searched: bool = False) -> dict[str, Any]:
    body = from_proto(message)
    for name in ("source_id", "atom_id", "linked_feature_id"):
        body[name] = body.get(name) or None
    body["rank"] = message.rank if searched else None
    return body


def _ref(project_id: str, insight_id: str) -> sources_pb2.InsightRef:
    return sources_pb2.InsightRef(project_id=project_id, insight_id=insight_id)


@router.post("/{project_id}/insights", status_code=201, response_model=InsightOut, summary="Write an insight by hand")
async def create_insight(project_id: str, body: InsightIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.CreateInsight(
        sources_pb2.CreateInsightRequest(
            project_id=project_id,
            type=body.type,
            title=body.title,
            body=body.body,
            impact=body.impact,
            confidence=body.confidence,
            tags=body.tags,
            domain=body.domain,
            source_id=body.source_id or "",
        ),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return insight_out(reply)


@router.get(
    "/{project_id}/insights",
    response_model=InsightPage,
    summary="Insights, newest first, or by relevance to q (dismissed ones only when asked for)",
)
async def list_insights(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    q: Annotated[str, Query(max_length=500, description='Full-text search: words, "phrases", or, -word')] = "",
    type: Kind | None = None,
    domain: Annotated[str, Query(max_length=100)] = "",
    tag: Annotated[list[str], Query(max_length=20, description="Any of these tags (repeat the parameter)")] = [],  # noqa: B006
    status: Status | None = None,
    impact: Impact | None = None,
    source_id: Annotated[str, Query(max_length=64)] = "",
    include_dismissed: bool = False,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.ListInsights(
        sources_pb2.ListInsightsRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            query=q,
            type=type or "",
            domain=domain,
            tags=tag,
            status=status or "",
            impact=impact or "",
            source_id=source_id,
            include_dismissed=include_dismissed,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    searched = bool(q.strip())
    return {
        "items": [insight_out(i, searched=searched) for i in reply.items],
        "next_cursor": reply.page.next_cursor or None,
    }


@router.get("/{project_id}/insights/{insight_id}", response_model=InsightOut, summary="One insight")
async def get_insight(project_id: str, insight_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.GetInsight(
        _ref(project_id, insight_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return insight_out(reply)


@router.patch(
    "/{project_id}/insights/{insight_id}",
    response_model=InsightOut,
    summary="Change title, body, impact, confidence, tags or domain",
)
async def update_insight(project_id: str, insight_id: str, body: InsightPatch, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    request = sources_pb2.UpdateInsightRequest(project_id=project_id, insight_id=insight_id)
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        if name == "tags":
            request.tags.extend(value)
            request.replace_tags = True
        else:
            setattr(request, name, value)
    reply = await gateway.clients.insights.UpdateInsight(
        request, metadata=await project_metadata(gateway, who, project_id)
    )
    return insight_out(reply)


@router.post(
    "/{project_id}/insights/{insight_id}/keep",
    response_model=InsightOut,
    summary="Keep an insight (status kept, or linked while it is linked to a feature)",
)
async def keep_insight(project_id: str, insight_id: str, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.KeepInsight(
        _ref(project_id, insight_id), metadata=await project_metadata(gateway, who, project_id) + idempotency
    )
    return insight_out(reply)


@router.post(
    "/{project_id}/insights/{insight_id}/dismiss",
    response_model=InsightOut,
    summary="Dismiss an insight (its feature links stay; lists hide it unless asked)",
)
async def dismiss_insight(
    project_id: str, insight_id: str, who: CallerDep, gateway: State, idempotency: IdempotencyDep
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.DismissInsight(
        _ref(project_id, insight_id), metadata=await project_metadata(gateway, who, project_id) + idempotency
    )
    return insight_out(reply)


@router.post(
    "/{project_id}/insights/{insight_id}/link",
    response_model=InsightOut,
    summary="Link an insight to a feature of the project (status linked)",
)
async def link_insight(
    project_id: str, insight_id: str, body: LinkIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.LinkInsight(
        sources_pb2.LinkInsightRequest(project_id=project_id, insight_id=insight_id, feature_id=body.feature_id),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    return insight_out(reply)


@router.delete(
    "/{project_id}/insights/{insight_id}/link",
    response_model=InsightOut,
    summary="Remove a link (the primary one, or feature_id's); with none left a linked insight becomes kept",
)
async def unlink_insight(
    project_id: str,
    insight_id: str,
    who: CallerDep,
    gateway: State,
    feature_id: Annotated[str, Query(max_length=64, description="Which link; default the primary one")] = "",
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.insights.UnlinkInsight(
        sources_pb2.LinkInsightRequest(project_id=project_id, insight_id=insight_id, feature_id=feature_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return insight_out(reply)
