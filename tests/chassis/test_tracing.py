"""Spans at the edges: current for what they call, children of the caller's span, exported over OTLP."""

from __future__ import annotations

import secrets

from services.chassis import context, tracing
from services.chassis.settings import Settings
from tests.otlp_collector import OtlpCollector


def test_without_an_exporter_a_span_still_names_itself_the_parent_of_what_it_calls() -> None:
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    with tracing.span("Tasks/CreateTask", tracing.SERVER, trace_id=trace_id, parent_span_id=caller):
        current = context.span_id.get()
        assert context.trace_id.get() == trace_id and current and current != caller
        assert context.traceparent(trace_id) == f"00-{trace_id}-{current}-01"
        with tracing.span("job report", tracing.CONSUMER):  # a new trace of its own
            assert context.trace_id.get() != trace_id
        assert context.span_id.get() == current
    assert context.span_id.get() is None and context.trace_id.get() is None


def test_traceparent_headers_are_read_strictly() -> None:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    assert context.parse_traceparent(f"00-{trace_id}-{span_id}-01") == (trace_id, span_id)
    assert context.parse_traceparent(f"00-{trace_id.upper()}-{'0' * 16}-01") == (trace_id, None)
    for broken in (None, "", "garbage", f"00-{'0' * 32}-{span_id}-01", f"00-{trace_id[:-1]}x-{span_id}-01"):
        assert context.parse_traceparent(broken) == (None, None)


def test_spans_are_exported_with_their_parents_and_links() -> None:
    with OtlpCollector().serving() as collector:
        stop = tracing.configure("planning", Settings(otlp_endpoint=collector.url))
        trace_id, caller, linked = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(8)
        try:
            with tracing.span("Tasks/CreateTask", tracing.SERVER, trace_id=trace_id, parent_span_id=caller):
                served = context.span_id.get()
            with tracing.span("agents-planning batch", tracing.CONSUMER, links=[(trace_id, linked)]):
                pass
        finally:
            stop()  # flushes
        spans = {s.name: s for s in collector.received()}
    assert (spans["Tasks/CreateTask"].trace_id, spans["Tasks/CreateTask"].parent_span_id) == (trace_id, caller)
    assert spans["Tasks/CreateTask"].span_id == served and spans["Tasks/CreateTask"].service == "aira-planning"
    assert spans["agents-planning batch"].links == ((trace_id, linked),)
