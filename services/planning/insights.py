"""Insights: the findings people triage — written by hand here, materialised from ledger atoms later.

Status rules (SPEC §2: ``new|kept|dismissed|linked``):

- ``keep`` makes an insight ``kept``, or ``linked`` while it is linked to a feature (linked is
  kept and attached); ``dismiss`` makes it ``dismissed`` and leaves its links alone, so a feature
  keeps its evidence while lists hide the insight (``include_dismissed`` shows it again).
- ``link`` adds a feature_insights row, makes that feature the primary ``linked_feature_id`` and
  the status ``linked`` — also for a dismissed insight: linking it is a decision that it matters.
- ``unlink`` removes one link (the primary unless another feature is named); the primary becomes
  the latest remaining link; with none left a ``linked`` insight becomes ``kept`` and a
  ``dismissed`` one stays dismissed.

Every change emits ``planning.insight.created.v1`` / ``.updated.v1`` (InsightChanged); a call that
changes nothing emits nothing. Functions here only flush; the edge commits.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import cursor_id, cursor_time, decode_cursor, encode_cursor, page_limit, time_cursor
from services.chassis.uow import UnitOfWork
from services.planning import insight_repository as repository
from services.planning import source_repository
from services.planning.insight_repository import InsightFilters
from services.planning.models import IMPACTS, INSIGHT_KINDS, INSIGHT_STATUSES, Insight

MAX_TITLE = 300
MAX_BODY = 20_000
MAX_DOMAIN = 100
MAX_TAGS = 20
MAX_TAG = 50
MAX_QUERY = 500


@dataclass
class InsightView:
    """An insight with every feature it is linked to (latest first) and, in searches, its rank."""

    insight: Insight
    feature_ids: list[uuid.UUID] = field(default_factory=list)
    rank: float = 0.0


# --- validation ------------------------------------------------------------------------------


def parse_id(value: str, what: str, *, missing: str) -> uuid.UUID:
    """An id from a request; a malformed one names nothing, so it is not found."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"no such {what}", slug=missing) from exc


def clean_text(value: str, field_name: str, *, limit: int, required: bool) -> str:
    """Trimmed NFC text within ``limit`` characters, without control characters but newlines and tabs."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise InvalidArgument(f"{field_name} must not be empty", field=field_name)
    if len(cleaned) > limit:
        raise InvalidArgument(f"{field_name} must be at most {limit} characters", field=field_name)
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\r\t" for c in cleaned):
        raise InvalidArgument(f"{field_name} must not contain control characters", field=field_name)
    return cleaned


def one_of(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise InvalidArgument(f"{field_name} must be one of {', '.join(allowed)}", field=field_name)
    return value


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Lowercase, trimmed, inner whitespace collapsed, duplicates dropped (first kept); at most
    MAX_TAGS of at most MAX_TAG characters each."""
    normalised: list[str] = []
    for raw in tags:
        tag = " ".join(clean_text(raw, "tags", limit=10 * MAX_TAG, required=True).lower().split())
        if len(tag) > MAX_TAG:
            raise InvalidArgument(f"a tag must be at most {MAX_TAG} characters", field="tags")
        if tag not in normalised:
            normalised.append(tag)
    if len(normalised) > MAX_TAGS:
        raise InvalidArgument(f"an insight has at most {MAX_TAGS} tags", field="tags")
    return normalised


def _domain(value: str) -> str:
    return " ".join(clean_text(value, "domain", limit=MAX_DOMAIN, required=False).lower().split())


def _confidence(value: float) -> float:
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise InvalidArgument("confidence must be between 0 and 1", field="confidence")
    return value


# --- events ----------------------------------------------------------------------------------


def snapshot(insight: Insight) -> dict[str, Any]:
    return {
        "type": insight.type,
        "title": insight.title,
        "impact": insight.impact,
        "confidence": insight.confidence,
        "status": insight.status,
        "domain": insight.domain,
        "tags": list(insight.tags),
        "source_id": insight.source_id,
        "linked_feature_id": insight.linked_feature_id,
        "origin": insight.origin,
    }


def changed_event(insight: Insight, action: str, changes: dict[str, Any] | None = None) -> Event:
    """``planning.insight.<action>.v1`` carrying InsightChanged."""
    return Event(
        entity_type="insight",
        action=action,
        entity_id=str(insight.id),
        project_id=insight.project_id,
        payload=events_pb2.InsightChanged(
            project_id=str(insight.project_id),
            insight_id=str(insight.id),
            status=insight.status,
            linked_feature_id=str(insight.linked_feature_id or ""),
            atom_id=str(insight.atom_id or ""),
        ),
        changes=changes,
        snapshot=snapshot(insight),
    )


def _apply(insight: Insight, values: dict[str, Any]) -> dict[str, Any]:
    """Set the values that differ; their changes as ``{field: {from, to}}``."""
    changes = {}
    for name, value in values.items():
        before = getattr(insight, name)
        if before != value:
            changes[name] = {"from": before, "to": value}
            setattr(insight, name, value)
    return changes


async def _save(uow: UnitOfWork, insight: Insight, changes: dict[str, Any]) -> None:
    if changes:
        await repository.save_insight(uow, insight)
        uow.emit(changed_event(insight, "updated", changes))


# --- reading ---------------------------------------------------------------------------------


async def _views(uow: UnitOfWork, found: list[tuple[Insight, float]]) -> list[InsightView]:
    linked = await repository.feature_ids_of(uow, [insight.id for insight, _ in found])
    return [InsightView(insight, linked.get(insight.id, []), rank) for insight, rank in found]


async def _view(uow: UnitOfWork, insight: Insight) -> InsightView:
    return (await _views(uow, [(insight, 0.0)]))[0]


async def _load(uow: UnitOfWork, project_id: str, insight_id: str, action: Action, *, lock: bool) -> Insight:
    require(context.principal.get(), project_id, action)
    project = uuid.UUID(project_id)
    insight = await repository.insight_of(
        uow, project, parse_id(insight_id, "insight", missing="insight-not-found"), lock=lock
    )
    if insight is None:
        raise NotFound("no such insight", slug="insight-not-found")
    return insight


async def get_insight(uow: UnitOfWork, project_id: str, insight_id: str) -> InsightView:
    """One insight of the project (read)."""
    return await _view(uow, await _load(uow, project_id, insight_id, Action.READ, lock=False))


def _query_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _rank_after(position: dict[str, Any] | None, text: str) -> tuple[float, uuid.UUID] | None:
    if position is None:
        return None
    rank = position.get("r")
    if position.get("q") != _query_digest(text) or not isinstance(rank, (int, float)):
        raise InvalidArgument("cursor is not valid for this search", slug="invalid-cursor")
    return float(rank), cursor_id(position, "id")  # type: ignore[return-value]


async def list_insights(
    uow: UnitOfWork,
    project_id: str,
    *,
    limit: int,
    cursor: str,
    query: str = "",
    type: str = "",
    domain: str = "",
    tags: Iterable[str] = (),
    status: str = "",
    impact: str = "",
    source_id: str = "",
    include_dismissed: bool = False,
) -> tuple[list[InsightView], str]:
    """One page of the project's insights and the next page's cursor: newest first, or most
    relevant first when searching. Dismissed ones are left out unless asked for."""
    require(context.principal.get(), project_id, Action.READ)
    project = uuid.UUID(project_id)
    limit = page_limit(limit)
    text = clean_text(query, "query", limit=MAX_QUERY, required=False)
    filters = InsightFilters(
        type=one_of(type, INSIGHT_KINDS, "type") if type else "",
        domain=_domain(domain),
        tags=tuple(normalise_tags(tags)),
        status=one_of(status, INSIGHT_STATUSES, "status") if status else "",
        impact=one_of(impact, IMPACTS, "impact") if impact else "",
        source_id=_source_filter(source_id),
        include_dismissed=include_dismissed,
    )
    position = decode_cursor(cursor)
    if text:
        after_rank = _rank_after(position, text)
        found = await repository.page_by_rank(uow, project, filters, text, limit=limit + 1, after=after_rank)
    else:
        if position is not None and "q" in position:
            raise InvalidArgument("cursor is not valid for this search", slug="invalid-cursor")
        after_time = cursor_time(position)
        found = [
            (insight, 0.0)
            for insight in await repository.page_by_time(uow, project, filters, limit=limit + 1, after=after_time)
        ]
    page = found[:limit]
    next_cursor = ""
    if len(found) > limit:
        last, rank = page[-1]
        if text:
            next_cursor = encode_cursor({"r": rank, "id": str(last.id), "q": _query_digest(text)})
        else:
            next_cursor = time_cursor(last.created_at, last.id)
    return await _views(uow, page), next_cursor


def _source_filter(source_id: str) -> uuid.UUID | None:
    if not source_id:
        return None
    try:
        return uuid.UUID(source_id)
    except ValueError as exc:
        raise InvalidArgument("source_id is not a valid id", field="source_id") from exc


# --- writing ---------------------------------------------------------------------------------


async def _source_of_project(uow: UnitOfWork, project: uuid.UUID, source_id: str) -> uuid.UUID | None:
    if not source_id:
        return None
    source = await source_repository.source_of(
        uow, project, parse_id(source_id, "source", missing="source-not-found"), content=False
    )
    if source is None:
        raise NotFound("no such source in this project", slug="source-not-found")
    return source.id


async def create_insight(
    uow: UnitOfWork,
    project_id: str,
    *,
    type: str,
    title: str,
    body: str = "",
    impact: str,
    confidence: float,
    tags: Iterable[str] = (),
    domain: str = "",
    source_id: str = "",
) -> InsightView:
    """An insight written by hand (plan); ``planning.insight.created.v1``."""
    principal = require(context.principal.get(), project_id, Action.PLAN)
    project = uuid.UUID(project_id)
    insight = Insight(
        id=uuid7(),
        project_id=project,
        type=one_of(type, INSIGHT_KINDS, "type"),
        title=clean_text(title, "title", limit=MAX_TITLE, required=True),
        body=clean_text(body, "body", limit=MAX_BODY, required=False),
        impact=one_of(impact, IMPACTS, "impact"),
        confidence=_confidence(confidence),
        tags=normalise_tags(tags),
        domain=_domain(domain),
        status="new",
        origin="manual",
        created_by=principal.subject,
    )
    insight.source_id = await _source_of_project(uow, project, source_id)
    await repository.add_insight(uow, insight)
    uow.emit(changed_event(insight, "created"))
    return InsightView(insight)


async def update_insight(
    uow: UnitOfWork,
    project_id: str,
    insight_id: str,
    *,
    title: str | None = None,
    body: str | None = None,
    impact: str | None = None,
    confidence: float | None = None,
    domain: str | None = None,
    tags: list[str] | None = None,
) -> InsightView:
    """Change what was given (plan); ``planning.insight.updated.v1`` when anything changed."""
    insight = await _load(uow, project_id, insight_id, Action.PLAN, lock=True)
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = clean_text(title, "title", limit=MAX_TITLE, required=True)
    if body is not None:
        values["body"] = clean_text(body, "body", limit=MAX_BODY, required=False)
    if impact is not None:
        values["impact"] = one_of(impact, IMPACTS, "impact")
    if confidence is not None:
        values["confidence"] = _confidence(confidence)
    if domain is not None:
        values["domain"] = _domain(domain)
    if tags is not None:
        values["tags"] = normalise_tags(tags)
    await _save(uow, insight, _apply(insight, values))
    return await _view(uow, insight)


async def keep(uow: UnitOfWork, project_id: str, insight_id: str) -> InsightView:
    """Keep it: ``kept``, or ``linked`` while it is linked to a feature."""
    insight = await _load(uow, project_id, insight_id, Action.PLAN, lock=True)
    status = "linked" if insight.linked_feature_id else "kept"
    await _save(uow, insight, _apply(insight, {"status": status}))
    return await _view(uow, insight)


async def dismiss(uow: UnitOfWork, project_id: str, insight_id: str) -> InsightView:
    """Dismiss it: ``dismissed``; links stay (see the module's rules)."""
    insight = await _load(uow, project_id, insight_id, Action.PLAN, lock=True)
    await _save(uow, insight, _apply(insight, {"status": "dismissed"}))
    return await _view(uow, insight)


async def link_feature(uow: UnitOfWork, project_id: str, insight_id: str, feature_id: str) -> InsightView:
    """Link to a feature of the project: the primary link, status ``linked``."""
    insight = await _load(uow, project_id, insight_id, Action.PLAN, lock=True)
    feature = parse_id(feature_id, "feature", missing="feature-not-found")
    if not await repository.feature_in_project(uow, insight.project_id, feature):
        raise NotFound("no such feature in this project", slug="feature-not-found")
    linked = (await repository.feature_ids_of(uow, [insight.id])).get(insight.id, [])
    changes = _apply(insight, {"linked_feature_id": feature, "status": "linked"})
    if await repository.link(uow, insight.project_id, insight.id, feature):
        changes["feature_ids"] = {"from": linked, "to": [feature, *linked]}
    await _save(uow, insight, changes)
    return await _view(uow, insight)


async def unlink_feature(uow: UnitOfWork, project_id: str, insight_id: str, feature_id: str = "") -> InsightView:
    """Remove a link (the primary one unless ``feature_id`` names another)."""
    insight = await _load(uow, project_id, insight_id, Action.PLAN, lock=True)
    linked = (await repository.feature_ids_of(uow, [insight.id])).get(insight.id, [])
    if feature_id:
        feature: uuid.UUID | None = parse_id(feature_id, "feature", missing="feature-not-found")
    else:
        feature = insight.linked_feature_id or (linked[0] if linked else None)
    if feature is None or (feature not in linked and feature != insight.linked_feature_id):
        raise NotFound("the insight is not linked to this feature", slug="insight-link-not-found")
    remaining = [f for f in linked if f != feature]
    values: dict[str, Any] = {"linked_feature_id": remaining[0] if remaining else None}
    if not remaining and insight.status == "linked":
        values["status"] = "kept"
    changes = _apply(insight, values)
    if await repository.unlink(uow, insight.id, feature):
        changes["feature_ids"] = {"from": linked, "to": remaining}
    await _save(uow, insight, changes)
    return await _view(uow, insight)
