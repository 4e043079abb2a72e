"""Typed errors: each carries its gRPC status and a stable problem ``type`` slug.

Domain code raises these; exactly one place maps them to the wire (the gRPC error interceptor),
and the gateway turns the status and slug into an RFC 9457 problem.
"""

from __future__ import annotations

from typing import Any

import grpc


class DomainError(Exception):
    """Base of every error a caller may see; the message is safe to show to the caller."""

    status: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION
    slug: str = "failed-precondition"
    title: str = "The request cannot be carried out in the current state"

    def __init__(self, detail: str, *, slug: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if slug:
            self.slug = slug
        self.extra = extra


class InvalidArgument(DomainError):
    status = grpc.StatusCode.INVALID_ARGUMENT
    slug = "validation-failed"
    title = "The request is not valid"


class Unauthenticated(DomainError):
    status = grpc.StatusCode.UNAUTHENTICATED
    slug = "unauthenticated"
    title = "Authentication is required"


class PermissionDenied(DomainError):
    status = grpc.StatusCode.PERMISSION_DENIED
    slug = "forbidden"
    title = "Your role does not allow this"


class NotFound(DomainError):
    status = grpc.StatusCode.NOT_FOUND
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = grpc.StatusCode.ALREADY_EXISTS
    slug = "conflict"
    title = "The request conflicts with the current state"


class FailedPrecondition(DomainError):
    pass


class RateLimited(DomainError):
    status = grpc.StatusCode.RESOURCE_EXHAUSTED
    slug = "rate-limited"
    title = "Too many requests"


class Unavailable(DomainError):
    status = grpc.StatusCode.UNAVAILABLE
    slug = "unavailable"
    title = "A dependency is unavailable"
