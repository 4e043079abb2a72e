"""Per-request values that follow a call across awaits: request id, trace id and principal.

Set at the edge (HTTP middleware, gRPC interceptor, event consumer) and read by logging, the
outgoing gRPC interceptor and the outbox, so no function has to thread them through arguments.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.chassis.principal import Principal

request_id: ContextVar[str | None] = ContextVar("aira_request_id", default=None)
trace_id: ContextVar[str | None] = ContextVar("aira_trace_id", default=None)
# The current span (16 hex characters): calls and events made now name it as their parent.
span_id: ContextVar[str | None] = ContextVar("aira_span_id", default=None)
principal: ContextVar[Principal | None] = ContextVar("aira_principal", default=None)
# The signed principal token to forward on outgoing gRPC calls.
principal_token: ContextVar[str | None] = ContextVar("aira_principal_token", default=None)
# Idempotency key of the current mutating call, if the caller sent one.
idempotency_key: ContextVar[str | None] = ContextVar("aira_idempotency_key", default=None)
# Where the person behind the call is, as the gateway saw them (for security logs and rate limits).
client_ip: ContextVar[str | None] = ContextVar("aira_client_ip", default=None)
user_agent: ContextVar[str | None] = ContextVar("aira_user_agent", default=None)


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex characters."""
    return secrets.token_hex(16)


def new_span_id() -> str:
    """A W3C span id: 16 lowercase hex characters."""
    return secrets.token_hex(8)


def traceparent(trace: str, span: str | None = None) -> str:
    """A W3C ``traceparent`` header for ``trace`` whose parent is ``span`` (the current span when
    None, a fresh id when there is none)."""
    return f"00-{trace}-{span or span_id.get() or new_span_id()}-01"


def _hex(value: str, length: int) -> str | None:
    candidate = value.lower()
    if len(candidate) != length or candidate == "0" * length or any(c not in "0123456789abcdef" for c in candidate):
        return None
    return candidate


def parse_traceparent(header: str | None) -> tuple[str | None, str | None]:
    """(trace id, parent span id) of a ``traceparent`` header; Nones for what is malformed."""
    if not header:
        return None, None
    parts = header.strip().split("-")
    if len(parts) != 4:
        return None, None
    trace = _hex(parts[1], 32)
    return trace, _hex(parts[2], 16) if trace else None


def trace_from_traceparent(header: str | None) -> str | None:
    """The trace id inside a ``traceparent`` header, or None when it is malformed."""
    return parse_traceparent(header)[0]
