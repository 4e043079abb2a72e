"""Protobuf well-known values from Python ones (and back), the same way in every service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_timestamp(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def to_struct(value: Mapping[str, Any] | None) -> Struct | None:
    """A Struct of JSON-compatible ``value`` (None stays None)."""
    if value is None:
        return None
    result = Struct()
    result.update(value)
    return result
