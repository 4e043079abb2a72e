"""Sources: what a team gives Aira (pasted text, uploaded files), kept as normalised text.

- Reading (type detection, text extraction, refusing binary "text" and malformed exports) is
  :mod:`services.planning.source_content`; this module decides what happens to the result.
- Dedup: a source's ``content_hash`` is the sha256 of its normalised text, unique per project, so
  the same content given twice — pasted or uploaded, in any format that reads to the same text —
  is the same source: the second call returns the first source and changes nothing.
- Replacing a source's content adds one to its version and emits ``planning.source.updated.v1``;
  the same content again is a no-op; content another source of the project already holds is 409.
- Events ``planning.source.added.v1`` / ``.updated.v1`` / ``.deleted.v1`` carry SourceChanged with
  the normalised text inline up to INLINE_TEXT_BYTES (``text_complete``); past that the ledger
  reads it with ``Sources.GetSource``, which other services (principal kind ``service``) may call.
- Deleting a source keeps the insights drawn from it, with ``source_id`` emptied (each one emits
  ``planning.insight.updated.v1``).

Who: ``read`` to read, ``manage_sources`` to write. Functions here only flush; the edge commits.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.pagination import cursor_time, decode_cursor, page_limit, time_cursor
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.planning import insights as insight_rules
from services.planning import source_content
from services.planning import source_repository as repository
from services.planning.insights import clean_text, parse_id
from services.planning.models import SOURCE_TYPES, Source

MAX_TITLE = 300
MAX_FILENAME = 255
MAX_QUERY = 200
# The normalised text travels inside the event up to this size; larger texts are read over gRPC.
INLINE_TEXT_BYTES = 512 * 1024
# The principal the gateway uses for its own calls: a service, but never a reader of sources.
GATEWAY_SUBJECT = "gateway"


@dataclass(frozen=True)
class SourceInput:
    """Content as given: exactly one of ``text`` and ``file``, with the sender's hints."""

    text: str | None = None
    file: bytes | None = None
    filename: str = ""
    declared_content_type: str = ""


@dataclass(frozen=True)
class ReadContent:
    """What reading the content found."""

    type: str
    format: str
    content_type: str
    title: str
    text: str
    content_hash: str
    size_bytes: int
    filename: str | None
    stats: dict[str, Any]


# --- who may call ----------------------------------------------------------------------------


def _require_reader(project_id: str) -> Principal:
    """A member who may read the project, or another service (the ledger reading what to ingest)."""
    principal = context.principal.get()
    if principal is not None and principal.kind == "service":
        if principal.subject == GATEWAY_SUBJECT:
            raise PermissionDenied("the gateway reads sources on a person's behalf", slug="service-required")
        return principal
    if principal is None or principal.kind == "anonymous":
        raise Unauthenticated("sign in to use this project")
    return require(principal, project_id, Action.READ)


# --- reading content -------------------------------------------------------------------------


def _filename(value: str) -> str | None:
    """The file's own name (no folders), or None."""
    name = PurePath(value.replace("\\", "/")).name if value else ""
    if not name:
        return None
    return clean_text(name, "filename", limit=MAX_FILENAME, required=True)


def read_content(given: SourceInput, *, title: str = "", max_bytes: int) -> ReadContent:
    """Normalised text and what it is, or InvalidArgument with source_content's slug for content
    that cannot be a source (empty-source, binary-content, malformed-json, malformed-csv,
    unsupported-content-type, unreadable-document, source-too-large)."""
    if (given.text is None) == (given.file is None):
        raise InvalidArgument("give either text or a file", slug="source-content-missing")
    wanted = clean_text(title, "title", limit=MAX_TITLE, required=False) or None
    filename = _filename(given.filename)
    if given.text is not None:
        size = len(given.text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            raise source_content.SourceTooLarge(
                f"the text is {size} bytes; the limit is {max_bytes}", size_bytes=size, max_bytes=max_bytes
            )
        read = source_content.read_text_source(given.text, title=wanted)
        filename = None
    else:
        read = source_content.read_upload(
            given.file or b"",
            filename=filename or "",
            declared_type=given.declared_content_type or None,
            max_bytes=max_bytes,
            title=wanted,
        )
    return ReadContent(
        type=read.source_type,
        format=read.format or "",
        content_type=read.content_type,
        title=read.title,
        text=read.text,
        content_hash=read.content_hash,
        size_bytes=read.size_bytes,
        filename=filename,
        stats={k: v for k, v in asdict(read.stats).items() if v is not None},
    )


# --- events ----------------------------------------------------------------------------------


def _snapshot(source: Source) -> dict[str, Any]:
    return {
        "title": source.title,
        "type": source.type,
        "format": source.format,
        "content_type": source.content_type,
        "content_hash": source.content_hash,
        "filename": source.filename,
        "size_bytes": source.size_bytes,
        "version": source.version,
    }


def source_event(source: Source, action: str, text: str = "", changes: dict[str, Any] | None = None) -> Event:
    """``planning.source.<action>.v1`` carrying SourceChanged, with the text when it fits."""
    inline = bool(text) and len(text.encode()) <= INLINE_TEXT_BYTES
    return Event(
        entity_type="source",
        action=action,
        entity_id=str(source.id),
        project_id=source.project_id,
        payload=events_pb2.SourceChanged(
            project_id=str(source.project_id),
            source_id=str(source.id),
            type=source.type,
            format=source.format,
            title=source.title,
            content_type=source.content_type,
            content_hash=source.content_hash,
            version=source.version,
            text=text if inline else "",
            text_complete=inline,
            size_bytes=source.size_bytes,
        ),
        changes=changes,
        snapshot=_snapshot(source),
    )


# --- writing ---------------------------------------------------------------------------------


async def create_source(
    uow: UnitOfWork, project_id: str, given: SourceInput, *, title: str = "", max_bytes: int
) -> tuple[Source, bool]:
    """A new source (manage_sources), or the project's source that already holds this content
    (False, nothing changed); ``planning.source.added.v1`` when new."""
    principal = require(context.principal.get(), project_id, Action.MANAGE_SOURCES)
    project = uuid.UUID(project_id)
    read = read_content(given, title=title, max_bytes=max_bytes)
    existing = await repository.source_by_hash(uow, project, read.content_hash)
    if existing is not None:
        return existing, False
    source = await repository.add_source(
        uow,
        {
            "id": uuid7(),
            "project_id": project,
            "type": read.type,
            "format": read.format,
            "title": read.title,
            "content": read.text,
            "content_hash": read.content_hash,
            "content_type": read.content_type,
            "filename": read.filename,
            "size_bytes": read.size_bytes,
            "stats": read.stats,
            "version": 1,
            "created_by": principal.subject,
        },
    )
    if source is None:  # a concurrent call added it first
        existing = await repository.source_by_hash(uow, project, read.content_hash)
        assert existing is not None
        return existing, False
    uow.emit(source_event(source, "added", read.text))
    return source, True


async def replace_content(
    uow: UnitOfWork, project_id: str, source_id: str, given: SourceInput, *, max_bytes: int
) -> tuple[Source, bool]:
    """New content for the source (manage_sources): version + 1 and ``planning.source.updated.v1``;
    False when the content is already this."""
    require(context.principal.get(), project_id, Action.MANAGE_SOURCES)
    source = await _source(uow, project_id, source_id, content=False, lock=True)
    read = read_content(given, max_bytes=max_bytes)
    if read.content_hash == source.content_hash:
        return source, False
    other = await repository.source_by_hash(uow, source.project_id, read.content_hash)
    if other is not None:
        raise Conflict(
            "another source of this project already holds this content",
            slug="source-content-exists",
            existing_source_id=str(other.id),
        )
    changes: dict[str, Any] = {}
    values = {
        "type": read.type,
        "format": read.format,
        "content_type": read.content_type,
        "content_hash": read.content_hash,
        "filename": read.filename,
        "size_bytes": read.size_bytes,
        "version": source.version + 1,
    }
    for name, value in values.items():
        if getattr(source, name) != value:
            changes[name] = {"from": getattr(source, name), "to": value}
            setattr(source, name, value)
    source.content = read.text
    source.stats = read.stats
    source.analyzed = False
    source.updated_at = datetime.now(UTC)
    if not await repository.save_source(uow, source):  # taken by a concurrent call
        raise Conflict("another source of this project already holds this content", slug="source-content-exists")
    uow.emit(source_event(source, "updated", read.text, changes))
    return source, True


async def delete_source(uow: UnitOfWork, project_id: str, source_id: str) -> tuple[uuid.UUID, int]:
    """Delete the source (manage_sources); its insights stay without it. ``planning.source.deleted.v1``."""
    require(context.principal.get(), project_id, Action.MANAGE_SOURCES)
    source = await _source(uow, project_id, source_id, content=False, lock=True)
    detached = await repository.delete_source(uow, source.id)
    uow.emit(source_event(source, "deleted"))
    for insight in detached:
        uow.emit(insight_rules.changed_event(insight, "updated", {"source_id": {"from": source.id, "to": None}}))
    return source.id, len(detached)


# --- reading ---------------------------------------------------------------------------------


async def _source(uow: UnitOfWork, project_id: str, source_id: str, *, content: bool, lock: bool = False) -> Source:
    found = await repository.source_of(
        uow,
        uuid.UUID(project_id),
        parse_id(source_id, "source", missing="source-not-found"),
        content=content,
        lock=lock,
    )
    if found is None:
        raise NotFound("no such source", slug="source-not-found")
    return found


async def get_source(uow: UnitOfWork, project_id: str, source_id: str, *, include_content: bool) -> Source:
    """One source of the project, with its text when asked (read, or another service)."""
    _require_reader(project_id)
    try:
        uuid.UUID(project_id)
    except ValueError as exc:
        raise NotFound("project not found", slug="project-not-found") from exc
    return await _source(uow, project_id, source_id, content=include_content)


async def list_sources(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, source_type: str = "", query: str = ""
) -> tuple[list[Source], str]:
    """One page of the project's sources (newest first, without content) and the next cursor;
    ``query``'s words must all appear in the title."""
    require(context.principal.get(), project_id, Action.READ)
    limit = page_limit(limit)
    if source_type and source_type not in SOURCE_TYPES:
        raise InvalidArgument(f"type must be one of {', '.join(SOURCE_TYPES)}", field="type")
    words = clean_text(query, "query", limit=MAX_QUERY, required=False).split()
    rows = await repository.page_sources(
        uow,
        uuid.UUID(project_id),
        limit=limit + 1,
        after=cursor_time(decode_cursor(cursor)),
        source_type=source_type,
        title_words=words,
    )
    page = rows[:limit]
    next_cursor = ""
    if len(rows) > limit:
        next_cursor = time_cursor(page[-1].created_at, page[-1].id)
    return page, next_cursor
