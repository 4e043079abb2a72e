"""Outgoing calls carry a deadline and the caller's context."""

from __future__ import annotations

import grpc

from services.chassis import context
from services.chassis.grpc_client import _CallContext


def _details(**overrides) -> grpc.aio.ClientCallDetails:
    values = {"method": "/x.Y/Z", "timeout": None, "metadata": None, "credentials": None, "wait_for_ready": None}
    return grpc.aio.ClientCallDetails(**(values | overrides))


def test_every_call_gets_a_deadline_unless_it_has_one() -> None:
    interceptor = _CallContext(deadline_seconds=3.0)
    assert interceptor._details(_details()).timeout == 3.0
    assert interceptor._details(_details(timeout=0.5)).timeout == 0.5


def test_the_ambient_principal_request_and_trace_travel_along() -> None:
    tokens = [
        context.principal_token.set("signed-principal"),
        context.request_id.set("req-1"),
        context.trace_id.set("0af7651916cd43dd8448eb211c80319c"),
    ]
    try:
        metadata = dict(_CallContext(1.0)._details(_details()).metadata)
    finally:
        for var, token in zip((context.principal_token, context.request_id, context.trace_id), tokens, strict=True):
            var.reset(token)
    assert metadata["x-aira-principal"] == "signed-principal"
    assert metadata["x-request-id"] == "req-1"
    assert metadata["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")


def test_an_explicit_principal_wins_over_the_ambient_one() -> None:
    token = context.principal_token.set("ambient")
    try:
        details = _CallContext(1.0)._details(_details(metadata=grpc.aio.Metadata(("x-aira-principal", "explicit"))))
    finally:
        context.principal_token.reset(token)
    assert details.metadata.get_all("x-aira-principal") == ["explicit"]
