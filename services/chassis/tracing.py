"""OpenTelemetry traces across gateway → gRPC → events → jobs, exported over OTLP/HTTP.

W3C trace ids already travel everywhere (``traceparent`` on HTTP and gRPC, ``trace_id`` and
``span_id`` in event envelopes) and sit in every log line. Spans add the tree: each edge — an HTTP
request at the gateway, a gRPC call a service serves, an event a consumer handles, a job — opens a
span whose parent is the caller's span, and makes it current in ``context.span_id``, so the calls
and events it makes name it as their parent.

Spans are exported only when ``AIRA_OTLP_ENDPOINT`` is set (an OpenTelemetry collector's
``http://host:4318``); otherwise nothing is recorded and an edge costs one random span id. The
OpenTelemetry context is deliberately not used: spans are started with explicit parents and never
attached, so a streaming call the client drops (finished in another context) cannot unbalance it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from services.chassis import context
from services.chassis.settings import Settings

log = logging.getLogger(__name__)

SERVER, CONSUMER, INTERNAL = SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.INTERNAL

_tracer: trace.Tracer | None = None  # set when spans are exported


def configure(process: str, settings: Settings) -> Callable[[], None]:
    """Export this process's spans when an OTLP endpoint is set; returns what flushes and stops it."""
    global _tracer
    if not settings.otlp_endpoint:
        return lambda: None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": f"aira-{process}", "service.namespace": "aira"})
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _tracer = provider.get_tracer("aira")
    log.info("exporting traces to %s", settings.otlp_endpoint)

    def stop() -> None:
        global _tracer
        _tracer = None
        provider.shutdown()

    return stop


def _remote(trace_id: str, span_id: str) -> SpanContext:
    return SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))


@contextmanager
def span(
    name: str,
    kind: SpanKind,
    *,
    trace_id: str | None = None,
    parent_span_id: str | None = None,
    links: Sequence[tuple[str, str]] = (),
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """Open a span at an edge, child of ``parent_span_id`` in ``trace_id`` (a new trace when None),
    linked to ``links`` ((trace id, span id) pairs); it is current (``context.trace_id`` and
    ``span_id``) until it ends. Yields the span (a non-recording one when nothing is exported)."""
    tracer = _tracer
    if tracer is None:
        current, trace_id = NonRecordingSpan(SpanContext(0, 0, False)), trace_id or context.new_trace_id()
        span_id = context.new_span_id()
    else:
        parent = None
        if trace_id:  # a trace without its parent span still keeps its id
            remote = _remote(trace_id, parent_span_id or context.new_span_id())
            parent = trace.set_span_in_context(NonRecordingSpan(remote))
        current = tracer.start_span(
            name,
            context=parent,
            kind=kind,
            attributes=dict(attributes or {}),
            links=[Link(_remote(t, s)) for t, s in links],
        )
        ids = current.get_span_context()
        trace_id, span_id = format(ids.trace_id, "032x"), format(ids.span_id, "016x")
    tokens = (context.trace_id.set(trace_id), context.span_id.set(span_id))
    try:
        yield current
    except BaseException as exc:
        current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        current.end()
        # A streaming call the client dropped ends in another context: nothing to restore there.
        with suppress(ValueError):
            context.span_id.reset(tokens[1])
            context.trace_id.reset(tokens[0])
