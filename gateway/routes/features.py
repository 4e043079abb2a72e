"""A project's features (planning): CRUD with RICE scoring and a status machine, linked insights,
generation from insights and breakdown into tasks.

RICE: ``reach`` ≥ 0, ``impact`` one of 0.25, 0.5, 1, 2, 3, ``confidence`` 0–1, ``effort`` > 0
person-months; ``priority_score`` = reach × impact × confidence ÷ effort is recomputed on every
change and null while an input is missing. Status: ``backlog → planned → in_progress → done →
shipped``, one step forward or one step back before shipping (409 ``illegal-status-transition``).
Only backlog features are deleted (409 ``feature-not-in-backlog``). Rules in full:
``services/planning/features.py`` and the planning README.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from aira.common.v1 import types_pb2
from aira.planning.v1 import work_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.routes.tasks import TaskOut, task_out
from gateway.schemas import StrictBody, from_proto

router = APIRouter(prefix="/v1/projects", tags=["features"])

# Generation may ask the model several times (each up to 180 s); breakdown asks it once. Both are
# synchronous: planning asks the AI gateway with the caller's principal, so their tokens are minted
# to outlast these deadlines. (Runs in the background would need a credential of planning's own;
# today only the gateway signs principals, decision 0003.)
GENERATION_SECONDS = 600.0
BREAKDOWN_SECONDS = 200.0

Status = Literal["backlog", "planned", "in_progress", "done", "shipped"]
Origin = Literal["manual", "generated"]
Effort = Literal["S", "M", "L", "XL", ""]
ImpactEstimate = Literal["low", "medium", "high", "critical", ""]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
Number = Annotated[float, Field(strict=False, allow_inf_nan=False)]
Items = Annotated[list[Annotated[str, Field(max_length=1000)]], Field(max_length=50)]
AtomIds = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)]
RICE = ("reach", "impact", "confidence", "effort")


class FeatureIn(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    rationale: str = Field(default="", max_length=20_000)
    objective: str = Field(default="", max_length=20_000)
    definition_of_done: Items = Field(default_factory=list)
    effort_estimate: Effort = Field(default="", description="T-shirt size")
    impact_estimate: ImpactEstimate = ""
    reach: Number | None = Field(default=None, description="People or accounts reached per quarter, ≥ 0")
    impact: Number | None = Field(default=None, description="RICE scale: 0.25, 0.5, 1, 2 or 3")
    confidence: Number | None = Field(default=None, description="0 to 1")
    effort: Number | None = Field(default=None, description="Person-months, more than 0")
    atom_ids: AtomIds = Field(default_factory=list, description="Ledger atoms behind the feature")


class FeaturePatch(StrictBody):
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    rationale: str | None = Field(default=None, max_length=20_000)
    objective: str | None = Field(default=None, max_length=20_000)
    definition_of_done: Items | None = Field(default=None, description="Replaces every item")
    effort_estimate: Effort | None = None
    impact_estimate: ImpactEstimate | None = None
    reach: Number | None = Field(default=None, description="null clears it (and the score)")
    impact: Number | None = Field(default=None, description="null clears it (and the score)")
    confidence: Number | None = Field(default=None, description="null clears it (and the score)")
    effort: Number | None = Field(default=None, description="null clears it (and the score)")
    atom_ids: AtomIds | None = Field(default=None, description="Replaces every atom id")
    status: Status | None = None


class InsightsIn(StrictBody):
    insight_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)]


class GenerateIn(StrictBody):
    max_features: int | None = Field(default=None, ge=1, le=20, description="Safety limit (default 12)")


class TaskCountsOut(BaseModel):
    total: int
    backlog: int
    todo: int
    in_progress: int
    review: int
    done: int


class FeatureOut(BaseModel):
    id: str
    project_id: str
    title: str
    description: str
    rationale: str
    objective: str
    definition_of_done: list[str]
    effort_estimate: str
    impact_estimate: str
    reach: float | None
    impact: float | None
    confidence: float | None
    effort: float | None
    priority_score: float | None = Field(description="reach × impact × confidence ÷ effort; null while one is missing")
    status: Status
    origin: Origin
    atom_ids: list[str]
    insight_ids: list[str]
    task_counts: TaskCountsOut
    created_by: str
    created_at: datetime
    updated_at: datetime
    shipped_at: datetime | None = None


class FeaturePage(BaseModel):
    items: list[FeatureOut]
    next_cursor: str | None


class GenerationRoundOut(BaseModel):
    number: int
    path: Literal["llm", "offline"]
    feature_title: str | None
    covered: int
    significant: int


class GenerationReportOut(BaseModel):
    path: Literal["llm", "offline"] = Field(description="llm when every round used the AI gateway")
    rounds: int
    covered: int = Field(description="Significant insights covered")
    significant: int = Field(description="Significant insights: impact medium or more, confidence ≥ 0.5")
    stop_reason: Literal["covered", "safety_limit", "no_progress"]
    history: list[GenerationRoundOut]
    revisions: list[str]
    notes: list[str]
    insights_considered: int = Field(description="Insights read: not dismissed, not linked to a feature")


class GenerationOut(BaseModel):
    features: list[FeatureOut]
    report: GenerationReportOut


class BreakdownOut(BaseModel):
    feature: FeatureOut
    tasks: list[TaskOut]
    path: Literal["llm", "offline"]
    notes: list[str]


def feature_out(message: work_pb2.Feature) -> dict[str, Any]:
    body = from_proto(message)
    for name in (*RICE, "priority_score", "shipped_at"):
        body.setdefault(name, None)
    return body


def _ref(project_id: str, feature_id: str) -> work_pb2.FeatureRef:
    return work_pb2.FeatureRef(project_id=project_id, feature_id=feature_id)


@router.post("/{project_id}/features", status_code=201, response_model=FeatureOut, summary="Write a feature")
async def create_feature(
    project_id: str, body: FeatureIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    fields = body.model_dump(exclude_none=True)
    reply = await gateway.clients.features.CreateFeature(
        work_pb2.CreateFeatureRequest(project_id=project_id, **fields),
        metadata=await project_metadata(gateway, who, project_id) + idempotency,
    )
    response.headers["location"] = f"/v1/projects/{project_id}/features/{reply.id}"
    return feature_out(reply)


@router.get(
    "/{project_id}/features",
    response_model=FeaturePage,
    summary="Features, newest first or by priority score (highest first, unscored last)",
)
async def list_features(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: Status | None = None,
    origin: Origin | None = None,
    sort: Literal["created", "priority_score"] = "created",
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.features.ListFeatures(
        work_pb2.ListFeaturesRequest(
            project_id=project_id,
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            status=status or "",
            origin=origin or "",
            sort=sort,
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [feature_out(f) for f in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.post(
    "/{project_id}/features/generate",
    status_code=201,
    response_model=GenerationOut,
    summary="Propose features from the insights no feature covers yet, one per round, and store them",
)
async def generate_features(
    project_id: str, who: CallerDep, gateway: State, idempotency: IdempotencyDep, body: GenerateIn | None = None
):
    project_id = project_id_of(project_id)
    max_features = body.max_features if body is not None and body.max_features is not None else 0
    reply = await gateway.clients.features.GenerateFeatures(
        work_pb2.GenerateFeaturesRequest(project_id=project_id, max_features=max_features),
        metadata=await project_metadata(gateway, who, project_id, lasting=GENERATION_SECONDS) + idempotency,
        timeout=GENERATION_SECONDS,
    )
    report = from_proto(reply.report)
    for entry in report["history"]:
        entry["feature_title"] = entry["feature_title"] or None
    return {"features": [feature_out(f) for f in reply.features], "report": report}


@router.get(
    "/{project_id}/features/{feature_id}",
    response_model=FeatureOut,
    summary="One feature with its insights, atom ids and task counts",
)
async def get_feature(project_id: str, feature_id: str, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.features.GetFeature(
        _ref(project_id, feature_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return feature_out(reply)


@router.patch(
    "/{project_id}/features/{feature_id}",
    response_model=FeatureOut,
    summary="Change fields, RICE inputs (null clears) or the status",
)
async def update_feature(project_id: str, feature_id: str, body: FeaturePatch, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    request = work_pb2.UpdateFeatureRequest(project_id=project_id, feature_id=feature_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            if name in RICE:
                request.clear.append(name)
        elif name in ("definition_of_done", "atom_ids"):
            getattr(request, name).extend(value)
            setattr(request, f"replace_{name}", True)
        else:
            setattr(request, name, value)
    reply = await gateway.clients.features.UpdateFeature(
        request, metadata=await project_metadata(gateway, who, project_id)
    )
    return feature_out(reply)


@router.delete(
    "/{project_id}/features/{feature_id}",
    status_code=204,
    summary="Delete a feature in the backlog (409 otherwise); its insights are unlinked, its tasks stay",
)
async def delete_feature(project_id: str, feature_id: str, who: CallerDep, gateway: State) -> Response:
    project_id = project_id_of(project_id)
    await gateway.clients.features.DeleteFeature(
        _ref(project_id, feature_id), metadata=await project_metadata(gateway, who, project_id)
    )
    return Response(status_code=204)


@router.put(
    "/{project_id}/features/{feature_id}/insights",
    response_model=FeatureOut,
    summary="Make the feature's linked insights exactly these",
)
async def set_feature_insights(project_id: str, feature_id: str, body: InsightsIn, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.features.SetFeatureInsights(
        work_pb2.SetFeatureInsightsRequest(project_id=project_id, feature_id=feature_id, insight_ids=body.insight_ids),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return feature_out(reply)


@router.post(
    "/{project_id}/features/{feature_id}/breakdown",
    status_code=201,
    response_model=BreakdownOut,
    summary="Create tasks that meet the feature's definition of done (never repeating a title it has)",
)
async def break_down_feature(
    project_id: str, feature_id: str, who: CallerDep, gateway: State, idempotency: IdempotencyDep
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.features.BreakDownFeature(
        _ref(project_id, feature_id),
        metadata=await project_metadata(gateway, who, project_id, lasting=BREAKDOWN_SECONDS) + idempotency,
        timeout=BREAKDOWN_SECONDS,
    )
    return {
        "feature": feature_out(reply.feature),
        "tasks": [task_out(t) for t in reply.tasks],
        "path": reply.path,
        "notes": list(reply.notes),
    }
