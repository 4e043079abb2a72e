"""RFC 9457 problem details: the only error shape the API returns.

Every error leaves as ``application/problem+json`` with a stable ``type`` URI built from a slug.
gRPC failures from services map here, by status and by the problem the service attached.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.chassis import context

log = logging.getLogger(__name__)

TYPE_BASE = "https://aira.dev/problems/"
MEDIA_TYPE = "application/problem+json"

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}
# A service refusing the gateway's own principal is our fault, never the caller's.
_INTERNAL_SLUGS = {"missing-principal", "invalid-principal"}

TITLES = {
    400: "Bad request",
    401: "Authentication is required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    423: "Locked",
    415: "Unsupported media type",
    422: "The request is not valid",
    429: "Too many requests",
    500: "Internal error",
    501: "Not implemented",
    503: "Service unavailable",
    504: "Upstream timeout",
}


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None


class ApiProblem(Exception):
    """Raised by route code to answer with a problem."""

    def __init__(self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, slug: str, detail: str | None, instance: str | None, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": extra.pop("title", None) or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": context.request_id.get(),
        **extra,
    }
    return orjson.dumps({k: v for k, v in body.items() if v is not None})


def problem_response(
    status: int,
    slug: str,
    detail: str | None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    return Response(
        problem_body(status, slug, detail, instance, **extra),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def from_grpc(exc: grpc.aio.AioRpcError, instance: str) -> Response:
    """The problem for a failed call to a service."""
    attached: dict[str, Any] = {}
    for key, value in exc.trailing_metadata() or ():
        if key == "aira-problem":
            try:
                attached = orjson.loads(value)
            except orjson.JSONDecodeError:
                attached = {}
    slug = attached.pop("type", None)
    status = GRPC_TO_HTTP.get(exc.code(), 500)
    if slug in _INTERNAL_SLUGS:
        log.error("a service rejected the gateway's principal token: %s", exc.details())
        return problem_response(
            500, "internal-error", "the request could not be authorised internally", instance=instance
        )
    if status >= 500:
        if status == 500:
            log.error("service call failed: %s %s", exc.code().name, exc.details())
        detail = "a service is unavailable, try again shortly" if status in (503, 504) else "internal error"
        headers = {"Retry-After": "1"} if status == 503 else None
        return problem_response(
            status, slug or exc.code().name.lower().replace("_", "-"), detail, instance=instance, headers=headers
        )
    attached.pop("detail", None)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429 and "retry_after" in attached:
        headers = {"Retry-After": str(attached["retry_after"])}
    return problem_response(status, slug or "error", exc.details(), instance=instance, headers=headers, **attached)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Field errors without the offending input (it may be a password)."""
    return [
        {
            "location": ".".join(str(p) for p in error.get("loc", ())),
            "message": error.get("msg"),
            "type": error.get("type"),
        }
        for error in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document."""

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        return problem_response(
            exc.status, exc.slug, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(grpc.aio.AioRpcError)
    async def grpc_failure(request: Request, exc: grpc.aio.AioRpcError) -> Response:
        return from_grpc(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(
                400, "malformed-json", "the request body is not valid JSON", instance=request.url.path
            )
        return problem_response(
            422, "validation-failed", "the request does not match the schema", instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code, slug, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal-error", "internal error", instance=request.url.path)
