"""One trace across the running system: the client's span → the gateway → a service → the event a
consumer handles, exported over OTLP to a collector (tests/otlp_collector.py)."""

from __future__ import annotations

import asyncio
import secrets

from tests.e2e.helpers import bearer, create_project, signup
from tests.otlp_collector import OtlpCollector, ReceivedSpan


async def spans_of(collector: OtlpCollector, trace_id: str, ready, timeout: float = 20.0) -> list[ReceivedSpan]:
    """The trace's spans (and those linked to it) once ``ready(spans)`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        spans = [
            s
            for s in collector.received()
            if s.trace_id == trace_id or any(linked == trace_id for linked, _ in s.links)
        ]
        if ready(spans) or asyncio.get_running_loop().time() > deadline:
            return spans
        await asyncio.sleep(0.2)


async def test_a_request_is_one_trace_from_the_client_to_the_event_consumer(system, api, collector) -> None:
    tokens = await signup(api, "Tracy")
    project = await create_project(api, tokens, "Threads")
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    created = await api.post(
        f"/v1/projects/{project['id']}/tasks",
        json={"title": "Follow me"},
        headers={**bearer(tokens), "traceparent": f"00-{trace_id}-{client_span}-01"},
    )
    assert created.status_code == 201, created.text

    def named(spans: list[ReceivedSpan], service: str, name: str) -> list[ReceivedSpan]:
        return [s for s in spans if s.service == service and s.name == name]

    def consumed(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [s for s in spans if s.service == "aira-agents" and "planning" in s.name]

    spans = await spans_of(
        collector, trace_id, lambda spans: consumed(spans) and named(spans, "aira-planning", "Tasks/CreateTask")
    )
    [gateway] = named(spans, "aira-gateway", "POST /v1/projects/{project_id}/tasks")
    assert gateway.parent_span_id == client_span  # the client's span is the root
    assert gateway.attributes["http.response.status_code"].int_value == 201
    [planning] = named(spans, "aira-planning", "Tasks/CreateTask")
    assert (planning.trace_id, planning.parent_span_id) == (trace_id, gateway.span_id)
    # agents' audit log handled the task's event: as a child of planning's span, or (several events
    # fetched together) in a batch span linked to it.
    assert any(
        (s.trace_id, s.parent_span_id) == (trace_id, planning.span_id) or (trace_id, planning.span_id) in s.links
        for s in consumed(spans)
    ), consumed(spans)
    assert all(s.trace_id == trace_id for s in spans if s.service in ("aira-gateway", "aira-planning"))
