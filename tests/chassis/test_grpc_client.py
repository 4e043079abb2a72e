"""Outgoing calls carry a deadline and the caller's context."""

from __future__ import annotations

from services.chassis import context
from services.chassis.grpc_client import ServiceClient, outgoing_metadata


class RecordingStub:
    """Stands in for a generated stub: records what each call was given."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.Ping = lambda request, **kwargs: self.calls.append({"request": request, **kwargs})


def test_every_call_gets_a_deadline_unless_it_has_one() -> None:
    stub = RecordingStub()
    client = ServiceClient(stub, deadline_seconds=3.0)
    client.Ping("a")
    client.Ping("b", timeout=0.5)
    assert [c["timeout"] for c in stub.calls] == [3.0, 0.5]


def test_the_ambient_principal_request_and_trace_travel_along() -> None:
    tokens = [
        context.principal_token.set("signed-principal"),
        context.request_id.set("req-1"),
        context.trace_id.set("0af7651916cd43dd8448eb211c80319c"),
    ]
    try:
        metadata = dict(outgoing_metadata())
    finally:
        for var, token in zip((context.principal_token, context.request_id, context.trace_id), tokens, strict=True):
            var.reset(token)
    assert metadata["x-aira-principal"] == "signed-principal"
    assert metadata["x-request-id"] == "req-1"
    assert metadata["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")


def test_an_explicit_principal_wins_over_the_ambient_one() -> None:
    token = context.principal_token.set("ambient")
    try:
        metadata = outgoing_metadata((("x-aira-principal", "explicit"),))
    finally:
        context.principal_token.reset(token)
    assert [v for k, v in metadata if k == "x-aira-principal"] == ["explicit"]
