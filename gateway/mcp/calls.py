"""What every MCP tool needs: the grant it acts under, and service calls whose refusals the model can read."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from gateway.mcp.provider import McpAccessToken


def grant_of(ctx: Context) -> McpAccessToken:
    """The verified grant this tool call acts under."""
    token = get_access_token()
    if token is None:
        request = getattr(ctx.request_context, "request", None)
        user = request.scope.get("user") if request is not None else None
        token = getattr(user, "access_token", None)
    if not isinstance(token, McpAccessToken):
        raise ToolError("this connection is not authorized")
    return token


async def call(pending: Awaitable[Any]) -> Any:
    """A service call whose refusals become tool errors the model can read."""
    try:
        return await pending
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise ToolError("a service is unavailable; try again shortly") from exc
        if exc.code() in (
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.FAILED_PRECONDITION,
        ):
            raise ToolError(exc.details() or exc.code().name.lower()) from exc
        raise
