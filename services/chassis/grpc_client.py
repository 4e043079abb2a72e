"""gRPC client plumbing: channels with deadlines, retries and the call context on every call.

Retries come from each contract: methods declared ``idempotency_level = NO_SIDE_EFFECTS`` or
``IDEMPOTENT`` in their .proto are retried on UNAVAILABLE by gRPC's own retry policy; others are
not (only transparently, when the call never left the client). Every call gets a deadline and
carries the principal token, request id and trace context of the call that made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
import orjson
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions

from services.chassis import context
from services.chassis.grpc_server import IDEMPOTENCY_KEY, REQUEST_ID_KEY, TRACEPARENT_KEY
from services.chassis.principal import METADATA_KEY


def retry_service_config(services: Iterable[ServiceDescriptor]) -> str:
    """A gRPC service config retrying the side-effect-free and idempotent methods of ``services``."""
    retryable = [
        {"service": service.full_name, "method": method.name}
        for service in services
        for method in service.methods
        if method.GetOptions().idempotency_level != MethodOptions.IDEMPOTENCY_UNKNOWN
    ]
    config: dict[str, Any] = {"methodConfig": []}
    if retryable:
        config["methodConfig"].append(
            {
                "name": retryable,
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        )
    return orjson.dumps(config).decode()


class _CallContext(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Adds the deadline and the ambient call context to every outgoing call."""

    def __init__(self, deadline_seconds: float) -> None:
        self._deadline = deadline_seconds

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if METADATA_KEY not in metadata and (token := context.principal_token.get()):
            metadata.add(METADATA_KEY, token)
        if REQUEST_ID_KEY not in metadata and (rid := context.request_id.get()):
            metadata.add(REQUEST_ID_KEY, rid)
        if TRACEPARENT_KEY not in metadata and (trace := context.trace_id.get()):
            metadata.add(TRACEPARENT_KEY, context.traceparent(trace))
        if IDEMPOTENCY_KEY not in metadata and (key := context.idempotency_key.get()):
            metadata.add(IDEMPOTENCY_KEY, key)
        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self._deadline,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[override]
        return await continuation(self._details(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[override]
        return await continuation(self._details(client_call_details), request)


def open_channel(
    target: str, services: Iterable[ServiceDescriptor], *, deadline_seconds: float = 5.0
) -> grpc.aio.Channel:
    """A channel to ``target`` configured for the contracts in ``services``."""
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", retry_service_config(services)),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.max_reconnect_backoff_ms", 2_000),
        ],
        interceptors=[_CallContext(deadline_seconds)],
    )
