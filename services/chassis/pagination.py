"""Cursor pagination: opaque cursors and bounded page sizes for every list call."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

import orjson

from services.chassis.errors import InvalidArgument

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def page_limit(requested: int) -> int:
    """The page size to use: the default for 0, else ``requested`` within 1..MAX_LIMIT."""
    if requested == 0:
        return DEFAULT_LIMIT
    if requested < 0 or requested > MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}", slug="invalid-limit")
    return requested


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor for ``position``."""
    return base64.urlsafe_b64encode(orjson.dumps(position)).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any] | None:
    """The position inside ``cursor`` (None for the first page); InvalidArgument on garbage."""
    if not cursor:
        return None
    try:
        position = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor") from exc
    if not isinstance(position, dict):
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor")
    return position


def cursor_id(position: dict[str, Any] | None, key: str) -> uuid.UUID | None:
    """The UUID a cursor stored under ``key`` (None for the first page); InvalidArgument on garbage."""
    if position is None:
        return None
    try:
        return uuid.UUID(str(position.get(key)))
    except ValueError as exc:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor") from exc


def time_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """A cursor after the row at (created_at, id), for lists ordered by both (newest first)."""
    return encode_cursor({"t": created_at.isoformat(), "id": str(row_id)})


def cursor_time(position: dict[str, Any] | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) a :func:`time_cursor` holds (None for the first page); InvalidArgument on garbage."""
    if position is None:
        return None
    try:
        when, row_id = datetime.fromisoformat(str(position["t"])), uuid.UUID(str(position["id"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor") from exc
    if when.tzinfo is None:
        raise InvalidArgument("cursor is not valid", slug="invalid-cursor")
    return when, row_id
