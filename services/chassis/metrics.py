"""Prometheus metrics: every one a process exposes is defined here, and served on a port of its own.

Each process (the gateway and every service) serves ``/metrics`` on ``Settings.metrics_port_of``
— never on the public HTTP port — when metrics are on (``AIRA_METRICS_PORT`` or
``AIRA_METRICS_PORT_BASE``). Labels are bounded sets (services, gRPC methods, route templates,
status codes, job kinds, consumer names), never ids, so the series count stays small.

What is measured, and where:

- gRPC calls a service handled (``grpc_server.ErrorInterceptor``): count by status code, latency.
- HTTP requests the gateway answered (``gateway.middleware.RequestContext``): count by route
  template and status, latency.
- Events: published by the outbox relay, and handled by consumers (by outcome); the outbox's
  backlog and the jobs due, sampled every BACKLOG_SECONDS while metrics are served.
- Jobs run (by kind and outcome: done, retry, dead, lease_lost) and their duration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

BACKLOG_SECONDS = 15.0
# Latency buckets from a cache hit to a slow AI call (seconds).
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)

GRPC_HANDLED = Counter(
    "aira_grpc_server_handled", "gRPC calls a service finished, by status code", ["service", "method", "code"]
)
GRPC_SECONDS = Histogram(
    "aira_grpc_server_handling_seconds", "Time a service spent on a gRPC call", ["service", "method"], buckets=_SECONDS
)
HTTP_REQUESTS = Counter("aira_http_requests", "HTTP requests the gateway answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "aira_http_request_seconds", "Time the gateway took to answer", ["method", "route"], buckets=_SECONDS
)
EVENTS_PUBLISHED = Counter("aira_events_published", "Events the outbox relay published", ["service"])
EVENTS_HANDLED = Counter(
    "aira_events_handled", "Events a consumer handled: done, failed (retried) or given up", ["consumer", "outcome"]
)
OUTBOX_PENDING = Gauge("aira_outbox_pending", "Events written but not yet published", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge(
    "aira_outbox_oldest_pending_seconds", "Age of the oldest event not yet published (0 when none)", ["service"]
)
JOBS_DUE = Gauge("aira_jobs_due", "Jobs due to run and not yet claimed, by kind", ["service", "kind"])
JOBS = Counter("aira_jobs", "Jobs run: done, retry, dead or lease_lost", ["service", "kind", "outcome"])
JOB_SECONDS = Histogram("aira_job_seconds", "Time a job took", ["service", "kind"], buckets=_SECONDS)


def start(host: str, port: int | None) -> Callable[[], None]:
    """Serve ``/metrics`` on ``host:port`` in a background thread (nothing when ``port`` is None);
    returns what stops it."""
    if port is None:
        return lambda: None
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)

    return stop
