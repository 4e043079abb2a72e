"""gRPC client plumbing: channels with retries, and stubs that put a deadline and the call
context on every call.

Retries come from each contract: methods declared ``idempotency_level = NO_SIDE_EFFECTS`` or
``IDEMPOTENT`` in their .proto are retried on UNAVAILABLE by gRPC's own retry policy; others are
not (only transparently, when the call never left the client). Every call gets a deadline and
carries the principal token, request id and trace context of the call that made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import grpc
import orjson
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions

from services.chassis import context
from services.chassis.grpc_server import (
    CLIENT_IP_KEY,
    DEFAULT_MAX_MESSAGE_BYTES,
    IDEMPOTENCY_KEY,
    REQUEST_ID_KEY,
    TRACEPARENT_KEY,
    USER_AGENT_KEY,
)
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


def outgoing_metadata(explicit: Sequence[tuple[str, str]] = ()) -> tuple[tuple[str, str], ...]:
    """``explicit`` metadata plus the ambient principal, request id, trace and idempotency key."""
    present = {key for key, _ in explicit}
    extra: list[tuple[str, str]] = []
    if METADATA_KEY not in present and (token := context.principal_token.get()):
        extra.append((METADATA_KEY, token))
    if REQUEST_ID_KEY not in present and (rid := context.request_id.get()):
        extra.append((REQUEST_ID_KEY, rid))
    if TRACEPARENT_KEY not in present and (trace := context.trace_id.get()):
        extra.append((TRACEPARENT_KEY, context.traceparent(trace)))
    if IDEMPOTENCY_KEY not in present and (key := context.idempotency_key.get()):
        extra.append((IDEMPOTENCY_KEY, key))
    if CLIENT_IP_KEY not in present and (ip := context.client_ip.get()):
        extra.append((CLIENT_IP_KEY, ip))
    if USER_AGENT_KEY not in present and (agent := context.user_agent.get()):
        extra.append((USER_AGENT_KEY, agent))
    return (*explicit, *extra)


class ServiceClient:
    """A generated stub whose every call gets a deadline and the caller's context.

    A thin wrapper rather than a grpc.aio client interceptor: interceptors run each call in an
    extra task, which costs more than the call itself on a fast path.
    """

    def __init__(self, stub: Any, deadline_seconds: float) -> None:
        for name, method in vars(stub).items():
            setattr(self, name, self._wrap(method, deadline_seconds))

    @staticmethod
    def _wrap(method: Any, deadline: float) -> Any:
        def call(request: Any, *, metadata: Sequence[tuple[str, str]] = (), timeout: float | None = None) -> Any:
            return method(
                request, metadata=outgoing_metadata(metadata), timeout=deadline if timeout is None else timeout
            )

        return call


def open_channel(
    target: str, services: Iterable[ServiceDescriptor], *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> grpc.aio.Channel:
    """A channel to ``target`` retrying the side-effect-free methods of ``services``, carrying
    messages up to ``max_message_bytes`` (Settings.grpc_max_message_bytes) each way."""
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", retry_service_config(services)),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.max_reconnect_backoff_ms", 2_000),
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ],
    )
