"""Assertions on gRPC calls that a service refuses: the status code and the problem it carries."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import orjson
import pytest


def problem(exc: grpc.aio.AioRpcError) -> dict:
    """The problem document (``aira-problem`` trailing metadata) of a refused call; {} when it has none."""
    for key, value in exc.trailing_metadata() or ():
        if key == "aira-problem":
            return orjson.loads(value)
    return {}


def _checked(exc: grpc.aio.AioRpcError, code: grpc.StatusCode, slug: str) -> dict:
    assert exc.code() == code, exc.details()
    found = problem(exc)
    assert found.get("type") == slug, found
    return found


async def refused(call: Any, request: Any, metadata: Any, code: grpc.StatusCode, slug: str) -> dict:
    """``call(request, metadata=metadata)`` fails with ``code`` and the problem ``slug``; the problem."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call(request, metadata=metadata)
    return _checked(failure.value, code, slug)


async def refusal_of(pending: Awaitable[Any], code: grpc.StatusCode, slug: str) -> dict:
    """Like :func:`refused`, for a call already made (or a helper that makes one): its problem."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await pending
    return _checked(failure.value, code, slug)
