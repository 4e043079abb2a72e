"""Features: what is worth building, scored by RICE, generated from insights or written by hand,
and broken down into tasks.

Rules (the README's "Features" section says why):

- **RICE**: ``reach`` ≥ 0 (people or accounts per quarter), ``impact`` on the RICE scale 0.25,
  0.5, 1, 2, 3 (minimal … massive), ``confidence`` 0–1, ``effort`` > 0 person-months (at most
  1000). ``priority_score`` = reach × impact × confidence ÷ effort (2 decimals) is recomputed on
  every change of an input and is null while any input is missing.
- **Status** moves ``backlog → planned → in_progress → done → shipped`` one step forward, or one
  step back before shipping (``planned → backlog``, ``in_progress → planned``, ``done →
  in_progress``); ``shipped`` is final and sets ``shipped_at``. Anything else is 409
  ``illegal-status-transition``. With the project's PR automation on, a feature whose tasks are
  all done after a merged pull request ships from whatever status it had (:func:`ship_completed`).
- **Delete** only from the backlog (409 ``feature-not-in-backlog``): later a feature is history,
  and moving it back to the backlog first is a deliberate step. Its insights lose the link (their
  status follows the insight rules) and its tasks stay, without a feature.
- **Linked insights** (``feature_insights``) are replaced as a set; each must be the project's.
  Links go through :mod:`insights`, so an insight's status and primary feature stay right.
- **Generation** reads the insights no feature covers yet (not dismissed, not linked), proposes
  features one at a time through :mod:`feature_drafting` (the AI gateway, or its offline
  clustering) and stores them — origin ``generated``, status ``backlog``, insights linked and
  their atom ids kept — in one unit of work. The model is asked with no transaction open.
- **Breakdown** turns the feature's definition of done into tasks (origin ``breakdown``) with
  keys; a title the feature's tasks already have (case and spacing ignored) is never repeated. A
  done or shipped feature is not broken down (409 ``feature-finished``).

Who: ``read`` to read, ``plan`` for everything else. Events: ``planning.feature.<created|updated|
status_changed|shipped|deleted>.v1`` (FeatureChanged); shipping emits ``shipped`` (its changes
hold the status move) rather than ``status_changed``. Functions here only flush; the edge commits.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import decode_cursor, encode_cursor, page_limit
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.planning import feature_drafting, insights, projects, tasks
from services.planning import feature_repository as repository
from services.planning.feature_drafting import BreakdownResult, Complete, GenerationResult
from services.planning.feature_repository import FeatureFilters, TaskCounts
from services.planning.insights import clean_text, one_of, parse_id
from services.planning.models import FEATURE_STATUSES, IMPACTS, Feature, Insight
from services.planning.projects import AskIdentity
from services.planning.tasks import TaskView, project_uuid

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_DOD_ITEMS = 50
MAX_DOD_ITEM = 1_000
MAX_ATOM_IDS = 500
MAX_INSIGHT_IDS = 500
MAX_REACH = 1_000_000_000.0
MAX_EFFORT = 1_000.0
RICE_IMPACTS = (0.25, 0.5, 1.0, 2.0, 3.0)
RICE_INPUTS = ("reach", "impact", "confidence", "effort")
EFFORT_ESTIMATES = ("S", "M", "L", "XL")
ORIGINS = ("manual", "generated")
SORTS = ("created", "priority_score")
DEFAULT_MAX_FEATURES = feature_drafting.MAX_FEATURES
MAX_FEATURES = 20
MAX_TASK_HOURS = Decimal(1000)
MOVES = {
    "backlog": ("planned",),
    "planned": ("in_progress", "backlog"),
    "in_progress": ("done", "planned"),
    "done": ("shipped", "in_progress"),
    "shipped": (),
}


@dataclass
class FeatureView:
    """A feature with its linked insights and its tasks' counts."""

    feature: Feature
    insight_ids: list[uuid.UUID] = field(default_factory=list)
    task_counts: TaskCounts = field(default_factory=TaskCounts)


# --- validation ------------------------------------------------------------------------------


def _number(value: float, name: str) -> float:
    if math.isnan(value) or math.isinf(value):
        raise InvalidArgument(f"{name} must be a finite number", field=name)
    return value


def _rice(name: str, value: float) -> float:
    """One RICE input, checked (see the module's rules)."""
    value = _number(value, name)
    if name == "reach" and not 0 <= value <= MAX_REACH:
        raise InvalidArgument(f"reach must be between 0 and {MAX_REACH:.0f}", field=name)
    if name == "impact" and value not in RICE_IMPACTS:
        raise InvalidArgument("impact must be one of 0.25, 0.5, 1, 2, 3 (the RICE scale)", field=name)
    if name == "confidence" and not 0 <= value <= 1:
        raise InvalidArgument("confidence must be between 0 and 1", field=name)
    if name == "effort" and not 0 < value <= MAX_EFFORT:
        raise InvalidArgument(f"effort must be more than 0 and at most {MAX_EFFORT:.0f} person-months", field=name)
    return value


def priority_score(reach: float | None, impact: float | None, confidence: float | None, effort: float | None):
    """reach × impact × confidence ÷ effort (2 decimals); None while an input is missing."""
    if reach is None or impact is None or confidence is None or effort is None:
        return None
    return feature_drafting.rice_score(reach, impact, confidence, effort)


def _dod(items: Iterable[str]) -> list[str]:
    cleaned = [clean_text(item, "definition_of_done", limit=MAX_DOD_ITEM, required=True) for item in items]
    if len(cleaned) > MAX_DOD_ITEMS:
        raise InvalidArgument(f"definition_of_done has at most {MAX_DOD_ITEMS} items", field="definition_of_done")
    return cleaned


def _atom_ids(values: Iterable[str]) -> list[str]:
    """Distinct atom ids (UUIDs, as text), in the order given."""
    ids: list[str] = []
    for value in values:
        try:
            atom = str(uuid.UUID(value))
        except ValueError as exc:
            raise InvalidArgument("atom_ids must be ids", field="atom_ids") from exc
        if atom not in ids:
            ids.append(atom)
    if len(ids) > MAX_ATOM_IDS:
        raise InvalidArgument(f"a feature has at most {MAX_ATOM_IDS} atom ids", field="atom_ids")
    return ids


def _estimate(value: str, allowed: tuple[str, ...], name: str) -> str:
    return one_of(value, allowed, name) if value else ""


def _texts(given: dict[str, Any]) -> dict[str, Any]:
    """The checked text fields among ``given``."""
    values: dict[str, Any] = {}
    if "title" in given:
        values["title"] = clean_text(given["title"], "title", limit=MAX_TITLE, required=True)
    for name in ("description", "rationale", "objective"):
        if name in given:
            values[name] = clean_text(given[name], name, limit=MAX_TEXT, required=False)
    if "definition_of_done" in given:
        values["definition_of_done"] = _dod(given["definition_of_done"])
    if "effort_estimate" in given:
        values["effort_estimate"] = _estimate(given["effort_estimate"], EFFORT_ESTIMATES, "effort_estimate")
    if "impact_estimate" in given:
        values["impact_estimate"] = _estimate(given["impact_estimate"], IMPACTS, "impact_estimate")
    if "atom_ids" in given:
        values["atom_ids"] = _atom_ids(given["atom_ids"])
    for name in RICE_INPUTS:
        if given.get(name) is not None:
            values[name] = _rice(name, given[name])
    return values


# --- events ----------------------------------------------------------------------------------


def snapshot(feature: Feature) -> dict[str, Any]:
    return {
        "title": feature.title,
        "status": feature.status,
        "origin": feature.origin,
        "reach": feature.reach,
        "impact": feature.impact,
        "confidence": feature.confidence,
        "effort": feature.effort,
        "priority_score": feature.priority_score,
        "effort_estimate": feature.effort_estimate,
        "impact_estimate": feature.impact_estimate,
        "atom_ids": list(feature.atom_ids or []),
        "shipped_at": feature.shipped_at,
    }


def feature_event(
    feature: Feature, action: str, changes: dict[str, Any] | None = None, insight_ids: Sequence[uuid.UUID] = ()
) -> Event:
    """``planning.feature.<action>.v1`` carrying FeatureChanged."""
    return Event(
        entity_type="feature",
        action=action,
        entity_id=str(feature.id),
        project_id=feature.project_id,
        payload=events_pb2.FeatureChanged(
            project_id=str(feature.project_id),
            feature_id=str(feature.id),
            title=feature.title,
            status=feature.status,
            priority_score=feature.priority_score or 0.0,
            has_priority_score=feature.priority_score is not None,
            insight_ids=[str(i) for i in insight_ids],
        ),
        changes=changes,
        snapshot=snapshot(feature),
    )


def _apply(feature: Feature, values: dict[str, Any]) -> dict[str, Any]:
    """Set the values that differ; their changes as ``{field: {from, to}}``."""
    changes = {}
    for name, value in values.items():
        before = getattr(feature, name)
        if before != value:
            changes[name] = {"from": before, "to": value}
            setattr(feature, name, value)
    return changes


# --- reading ---------------------------------------------------------------------------------


async def views(uow: UnitOfWork, features: list[Feature]) -> list[FeatureView]:
    ids = [f.id for f in features]
    linked = await repository.insight_ids_of(uow, ids)
    counts = await repository.task_counts_of(uow, ids)
    return [FeatureView(f, linked.get(f.id, []), counts[f.id]) for f in features]


async def view(uow: UnitOfWork, feature: Feature) -> FeatureView:
    return (await views(uow, [feature]))[0]


async def _load(uow: UnitOfWork, project: uuid.UUID, feature_id: str, *, lock: bool = False) -> Feature:
    feature = await repository.feature_of(
        uow, project, parse_id(feature_id, "feature", missing="feature-not-found"), lock=lock
    )
    if feature is None:
        raise NotFound("no such feature", slug="feature-not-found")
    return feature


async def get_feature(uow: UnitOfWork, project_id: str, feature_id: str) -> FeatureView:
    """One feature of the project (read)."""
    require(context.principal.get(), project_id, Action.READ)
    return await view(uow, await _load(uow, project_uuid(project_id), feature_id))


def _position(cursor: str, sort: str) -> tuple[Any, uuid.UUID] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        if position.get("s") != sort:
            raise ValueError(sort)
        key = datetime.fromisoformat(position["t"]) if sort == "created" else float(position["p"])
        return key, uuid.UUID(str(position["id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidArgument("cursor is not valid for this list", slug="invalid-cursor") from exc


async def list_features(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str = "", origin: str = "", sort: str = ""
) -> tuple[list[FeatureView], str]:
    """One page of the project's features (newest first, or by priority score) and the next
    page's cursor."""
    require(context.principal.get(), project_id, Action.READ)
    project = project_uuid(project_id)
    limit = page_limit(limit)
    sort = one_of(sort or "created", SORTS, "sort")
    filters = FeatureFilters(
        status=one_of(status, FEATURE_STATUSES, "status") if status else "",
        origin=one_of(origin, ORIGINS, "origin") if origin else "",
    )
    after = _position(cursor, sort)
    if sort == "created":
        found = await repository.page_by_time(uow, project, filters, limit=limit + 1, after=after)
    else:
        found = await repository.page_by_score(uow, project, filters, limit=limit + 1, after=after)
    page = found[:limit]
    next_cursor = ""
    if len(found) > limit:
        last = page[-1]
        position: dict[str, Any] = {"s": sort, "id": str(last.id)}
        if sort == "created":
            position["t"] = last.created_at.isoformat()
        else:
            position["p"] = last.priority_score if last.priority_score is not None else repository.UNSCORED
        next_cursor = encode_cursor(position)
    return await views(uow, page), next_cursor


# --- writing ---------------------------------------------------------------------------------


async def create_feature(uow: UnitOfWork, project_id: str, **given: Any) -> FeatureView:
    """A feature written by hand (plan), in the backlog; ``planning.feature.created.v1``."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    values = _texts({"title": "", **given})
    feature = Feature(
        id=uuid7(),
        project_id=project_uuid(project_id),
        title=values["title"],
        description=values.get("description", ""),
        rationale=values.get("rationale", ""),
        objective=values.get("objective", ""),
        definition_of_done=values.get("definition_of_done", []),
        effort_estimate=values.get("effort_estimate", ""),
        impact_estimate=values.get("impact_estimate", ""),
        atom_ids=values.get("atom_ids", []),
        status="backlog",
        origin="manual",
        created_by=principal.subject,
        **{name: values.get(name) for name in RICE_INPUTS},
    )
    feature.priority_score = priority_score(feature.reach, feature.impact, feature.confidence, feature.effort)
    await repository.add_feature(uow, feature)
    uow.emit(feature_event(feature, "created"))
    return FeatureView(feature)


def check_move(current: str, target: str) -> None:
    """Whether a feature may move from ``current`` to ``target`` by hand."""
    if target not in MOVES[current]:
        raise FailedPrecondition(
            f"a feature cannot move from {current} to {target}",
            slug="illegal-status-transition",
            current=current,
            allowed=list(MOVES[current]),
        )


async def update_feature(
    uow: UnitOfWork, project_id: str, feature_id: str, *, clear: Iterable[str] = (), **given: Any
) -> FeatureView:
    """Change what was given and move the status (plan); ``updated`` for fields, and
    ``status_changed`` (or ``shipped``) for the status."""
    require(context.principal.get(), project_id, Action.PLAN)
    cleared = set(clear)
    if unknown := cleared - set(RICE_INPUTS):
        raise InvalidArgument(f"only RICE inputs can be cleared, not {', '.join(sorted(unknown))}", field="clear")
    if both := cleared & {name for name in RICE_INPUTS if given.get(name) is not None}:
        raise InvalidArgument(f"{', '.join(sorted(both))} cannot be both set and cleared", field="clear")
    status = one_of(given.pop("status"), FEATURE_STATUSES, "status") if given.get("status") is not None else None
    values = _texts(given)
    values.update(dict.fromkeys(cleared))
    feature = await _load(uow, project_uuid(project_id), feature_id, lock=True)
    if any(name in values for name in RICE_INPUTS):
        merged = {name: values.get(name, getattr(feature, name)) for name in RICE_INPUTS}
        values["priority_score"] = priority_score(**merged)
    changes = _apply(feature, values)
    status_changes: dict[str, Any] = {}
    if status is not None and status != feature.status:
        check_move(feature.status, status)
        moved = {"status": status}
        if status == "shipped":
            moved["shipped_at"] = datetime.now(UTC)
        status_changes = _apply(feature, moved)
    if changes or status_changes:
        await repository.save_feature(uow, feature)
        result = await view(uow, feature)
        if changes:
            uow.emit(feature_event(feature, "updated", changes, result.insight_ids))
        if status_changes:
            action = "shipped" if feature.status == "shipped" else "status_changed"
            uow.emit(feature_event(feature, action, status_changes, result.insight_ids))
        return result
    return await view(uow, feature)


async def delete_feature(uow: UnitOfWork, project_id: str, feature_id: str) -> tuple[uuid.UUID, int, int]:
    """Delete a feature in the backlog (plan): its insights lose the link, its tasks their
    feature (and their open sprints the story); ``planning.feature.deleted.v1``. (id, tasks
    detached, insights unlinked)."""
    require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    seen = await _load(uow, project, feature_id)
    linked = (await repository.insight_ids_of(uow, [seen.id])).get(seen.id, [])
    # Sprints, insights and tasks before their feature, the order tasks.py and insights.py lock them in.
    statuses = await tasks.lock_sprints(uow, await repository.sprints_of_tasks_of(uow, seen.id))
    await repository.lock_insights(uow, linked)
    await repository.lock_tasks_of(uow, seen.id)
    feature = await _load(uow, project, str(seen.id), lock=True)
    if feature.status != "backlog":
        raise FailedPrecondition(
            f"only a feature in the backlog can be deleted; this one is {feature.status}",
            slug="feature-not-in-backlog",
        )
    linked = (await repository.insight_ids_of(uow, [feature.id])).get(feature.id, [])
    for insight_id in sorted(linked):
        await insights.unlink_feature(uow, project_id, str(insight_id), str(feature.id))
    detached = await repository.detach_tasks(uow, feature.id)
    for task in detached:
        uow.emit(tasks.task_event(task, "updated", {"feature_id": {"from": feature.id, "to": None}}))
    # A task moved to another sprint after the sprints were read: that sprint is locked late (rare).
    statuses |= await tasks.lock_sprints(uow, [t.sprint_id for t in detached if t.sprint_id not in statuses])
    await tasks.recount_open(uow, {t.sprint_id: statuses[t.sprint_id] for t in detached if t.sprint_id})
    event = feature_event(feature, "deleted", insight_ids=linked)
    await repository.delete_feature(uow, feature)
    uow.emit(event)
    return feature.id, len(detached), len(linked)


async def set_insights(uow: UnitOfWork, project_id: str, feature_id: str, insight_ids: Iterable[str]) -> FeatureView:
    """Make the feature's linked insights exactly ``insight_ids`` (plan); each is linked or
    unlinked through the insight rules, then ``planning.feature.updated.v1``."""
    require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    wanted = list(dict.fromkeys(parse_id(i, "insight", missing="insight-not-found") for i in insight_ids))
    if len(wanted) > MAX_INSIGHT_IDS:
        raise InvalidArgument(f"a feature links at most {MAX_INSIGHT_IDS} insights", field="insight_ids")
    feature = await _load(uow, project, feature_id)
    found = await repository.insights_of_project(uow, project, wanted)
    if missing := [str(i) for i in wanted if i not in found]:
        raise NotFound("no such insight in this project", slug="insight-not-found", insight_ids=missing)
    before = (await repository.insight_ids_of(uow, [feature.id])).get(feature.id, [])
    removed, added = set(before) - set(wanted), set(wanted) - set(before)
    for insight_id in sorted(removed | added):  # one lock order for every writer
        if insight_id in added:
            await insights.link_feature(uow, project_id, str(insight_id), str(feature.id))
        else:
            try:
                await insights.unlink_feature(uow, project_id, str(insight_id), str(feature.id))
            except NotFound:  # unlinked meanwhile
                pass
    result = await view(uow, feature)
    if removed or added:
        changes = {"insight_ids": {"from": before, "to": result.insight_ids}}
        uow.emit(feature_event(feature, "updated", changes, result.insight_ids))
    return result


# --- generation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationInput:
    """What generation reads, gathered before the model is asked."""

    project: uuid.UUID
    principal: Principal
    insights: list[feature_drafting.Insight]
    atom_ids: dict[str, str]  # insight id → its ledger atom id
    max_features: int


def _drafting_insight(insight: Insight) -> feature_drafting.Insight:
    return feature_drafting.Insight(
        id=str(insight.id),
        kind=insight.type,
        title=insight.title,
        body=insight.body,
        impact=insight.impact,
        confidence=insight.confidence,
        tags=tuple(insight.tags or ()),
        domain=insight.domain or None,
        status=insight.status,
        source_id=str(insight.source_id) if insight.source_id else None,
    )


async def generation_input(uow: UnitOfWork, project_id: str, max_features: int) -> GenerationInput:
    """The insights generation may cover (plan): not dismissed, linked to no feature yet."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    if not 0 <= max_features <= MAX_FEATURES:
        raise InvalidArgument(f"max_features must be between 1 and {MAX_FEATURES}", field="max_features")
    found = await repository.unlinked_insights(uow, project)
    return GenerationInput(
        project=project,
        principal=principal,
        insights=[_drafting_insight(i) for i in found],
        atom_ids={str(i.id): str(i.atom_id) for i in found if i.atom_id is not None},
        max_features=max_features or DEFAULT_MAX_FEATURES,
    )


async def propose(given: GenerationInput, complete: Complete | None) -> GenerationResult:
    """Features proposed one per round (the model through ``complete``, or offline)."""
    return await feature_drafting.propose_features(given.insights, complete=complete, max_features=given.max_features)


async def store_generated(uow: UnitOfWork, given: GenerationInput, result: GenerationResult) -> list[FeatureView]:
    """Store the proposals as backlog features with their insights linked, in this unit of work."""
    project_id = str(given.project)
    stored: list[Feature] = []
    for draft in result.features:
        feature = Feature(
            id=uuid7(),
            project_id=given.project,
            title=clean_text(draft.title, "title", limit=MAX_TITLE, required=True),
            description=draft.description[:MAX_TEXT],
            rationale=draft.rationale[:MAX_TEXT],
            objective=draft.objective[:MAX_TEXT],
            definition_of_done=[item[:MAX_DOD_ITEM] for item in draft.definition_of_done][:MAX_DOD_ITEMS],
            effort_estimate=draft.effort_estimate if draft.effort_estimate in EFFORT_ESTIMATES else "",
            impact_estimate=draft.impact_estimate if draft.impact_estimate in IMPACTS else "",
            reach=float(draft.reach),
            impact=draft.impact if draft.impact in RICE_IMPACTS else None,
            confidence=min(1.0, max(0.0, draft.confidence)),
            effort=min(MAX_EFFORT, draft.effort) if draft.effort > 0 else None,
            atom_ids=list(dict.fromkeys(given.atom_ids[i] for i in draft.insight_ids if i in given.atom_ids)),
            status="backlog",
            origin="generated",
            created_by=given.principal.subject,
        )
        feature.priority_score = priority_score(feature.reach, feature.impact, feature.confidence, feature.effort)
        await repository.add_feature(uow, feature)
        linked = sorted(draft.insight_ids)
        uow.emit(feature_event(feature, "created", insight_ids=[uuid.UUID(i) for i in linked]))
        for insight_id in linked:
            await insights.link_feature(uow, project_id, insight_id, str(feature.id))
        stored.append(feature)
    return await views(uow, stored)


# --- breakdown -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outline:
    """What breaking a feature down reads (feature_drafting.FeatureOutline)."""

    title: str
    description: str
    objective: str
    definition_of_done: tuple[str, ...]
    impact_estimate: str
    effort_estimate: str


@dataclass(frozen=True)
class BreakdownInput:
    project: uuid.UUID
    feature_id: uuid.UUID
    outline: Outline
    existing_titles: list[str]


def _not_finished(feature: Feature) -> None:
    if feature.status in ("done", "shipped"):
        raise FailedPrecondition(f"the feature is {feature.status}; it gets no new tasks", slug="feature-finished")


async def breakdown_input(uow: UnitOfWork, project_id: str, feature_id: str) -> BreakdownInput:
    """The feature as breakdown reads it, and its tasks' titles (plan)."""
    require(context.principal.get(), project_id, Action.PLAN)
    project = project_uuid(project_id)
    feature = await _load(uow, project, feature_id)
    _not_finished(feature)
    outline = Outline(
        title=feature.title,
        description=feature.description,
        objective=feature.objective,
        definition_of_done=tuple(feature.definition_of_done or ()),
        impact_estimate=feature.impact_estimate,
        effort_estimate=feature.effort_estimate,
    )
    return BreakdownInput(project, feature.id, outline, await repository.task_titles_of(uow, feature.id))


def _hours(value: float) -> Decimal:
    return min(MAX_TASK_HOURS, max(Decimal(0), Decimal(str(round(value, 2)))))


async def store_breakdown(
    uow: UnitOfWork, project_id: str, given: BreakdownInput, result: BreakdownResult, ask: AskIdentity | None
) -> tuple[FeatureView, list[TaskView]]:
    """Create the proposed tasks of the feature with keys, skipping titles it has by now."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    await projects.profile(uow, given.project, ask, lock=True)  # profile before the feature
    feature = await _load(uow, given.project, str(given.feature_id), lock=True)
    _not_finished(feature)
    taken = {feature_drafting.title_key(t) for t in await repository.task_titles_of(uow, feature.id)}
    created = []
    for draft in result.tasks:
        title = clean_text(draft.title, "title", limit=tasks.MAX_TITLE, required=True)
        if feature_drafting.title_key(title) in taken:
            continue
        taken.add(feature_drafting.title_key(title))
        created.append(
            await tasks.insert_task(
                uow,
                given.project,
                principal,
                ask,
                feature_id=feature.id,
                title=title,
                description=draft.description[: tasks.MAX_DESCRIPTION],
                acceptance_criteria=[c[: tasks.MAX_ITEM] for c in draft.acceptance_criteria][: tasks.MAX_ITEMS],
                proposed_solutions=[s[: tasks.MAX_ITEM] for s in draft.proposed_solutions][: tasks.MAX_ITEMS],
                required_skills=[],
                type=draft.type,
                priority=draft.priority,
                complexity=draft.complexity,
                estimated_hours=_hours(draft.estimated_hours),
                status="backlog",
                progress=0,
                origin="breakdown",
            )
        )
    return await view(uow, feature), [TaskView(t) for t in created]


# --- shipping by pull request ----------------------------------------------------------------


async def ship_completed(uow: UnitOfWork, feature_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Ship the features among ``feature_ids`` whose tasks are now all done (PR automation);
    ``planning.feature.shipped.v1`` for each. The features shipped."""
    done = await repository.features_all_done(uow, sorted(set(feature_ids)))
    shipped = []
    for feature in await repository.features_by_ids(uow, done, lock=True):
        if feature.status == "shipped":
            continue
        changes = _apply(feature, {"status": "shipped", "shipped_at": datetime.now(UTC)})
        await repository.save_feature(uow, feature)
        uow.emit(feature_event(feature, "shipped", changes))
        shipped.append(feature.id)
    return shipped
