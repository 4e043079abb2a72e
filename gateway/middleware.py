"""ASGI middleware: request context and access log, and the request body size limit."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.problems import MEDIA_TYPE, problem_body
from services.chassis import context, metrics, tracing
from services.chassis.ids import uuid7

access_log = logging.getLogger("gateway.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def send_problem(send: Send, status: int, slug: str, detail: str, instance: str) -> None:
    """Answer directly from middleware, before any route ran."""
    body = problem_body(status, slug, detail, instance)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_of(scope: Scope) -> str:
    """The matched route's template (``/v1/projects/{project_id}/tasks``), a bounded metrics label;
    ``unmatched`` for paths no route took (their raw paths would be unbounded)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestContext:
    """Gives each request an id and a trace, echoes the id, and writes one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, b"x-request-id")
        request_id = offered if offered and _REQUEST_ID.match(offered) else uuid7().hex
        trace, parent = context.parse_traceparent(_header(scope, b"traceparent"))
        client = scope.get("client")
        agent = _header(scope, b"user-agent")
        tokens = (
            context.request_id.set(request_id),
            context.client_ip.set(client[0] if client else None),
            context.user_agent.set(agent[:512] if agent else None),
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            with tracing.span(scope["method"], tracing.SERVER, trace_id=trace, parent_span_id=parent) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    _measure(scope, span, status, time.perf_counter() - started)
        finally:
            for var, token in zip((context.request_id, context.client_ip, context.user_agent), tokens, strict=True):
                var.reset(token)


def _measure(scope: Scope, span: Any, status: int, elapsed: float) -> None:
    """Name the request's span by its route, count and time it, and write its access log line."""
    method, path, route = scope["method"], scope["path"], _route_of(scope)
    span.update_name(f"{method} {route}")  # the template, never the raw path
    span.set_attributes({"http.request.method": method, "http.route": route, "http.response.status_code": status})
    metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
    metrics.HTTP_SECONDS.labels(method, route).observe(elapsed)
    ms = round(elapsed * 1000, 2)
    access_log.info(
        "%s %s %s", method, path, status, extra={"method": method, "path": path, "status": status, "ms": ms}
    )


class BodyTooLarge(Exception):
    """A streamed request body passed the limit."""

    def __init__(self, detail: str, slug: str = "body-too-large") -> None:
        super().__init__(detail)
        self.slug = slug


@dataclass(frozen=True)
class LargerBodies:
    """Requests allowed a larger body than the global limit (file uploads): ``methods`` on paths
    matching ``path``, up to ``max_bytes``, refused with ``slug`` and ``detail``."""

    methods: frozenset[str]
    path: re.Pattern[str]
    max_bytes: int
    slug: str
    detail: str


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, declared or streamed; the routes named
    in ``larger`` have their own, larger limit (so only they can make the gateway hold big bodies)."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[LargerBodies] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Scope) -> tuple[int, str, str]:
        for rule in self.larger:
            if scope["method"] in rule.methods and rule.path.match(scope["path"]):
                return rule.max_bytes, rule.slug, rule.detail
        return self.max_bytes, "body-too-large", f"request bodies are limited to {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, slug, detail = self._limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, 400, "invalid-content-length", "Content-Length is not a number", scope["path"])
                return
            if int(declared) > max_bytes:
                await send_problem(send, 413, slug, detail, scope["path"])
                return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise BodyTooLarge(detail, slug)
            return message

        async def send_or_refuse(message: Message) -> None:
            # However the framework reported the aborted read, the client hears 413.
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await send_problem(send, 413, slug, detail, scope["path"])

        await self.app(scope, counting_receive, send_or_refuse)
