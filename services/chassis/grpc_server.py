"""gRPC server plumbing: interceptors, health, reflection, ServiceInfo and graceful shutdown.

Every service's server runs three interceptors, outermost first:

1. ``PrincipalInterceptor`` verifies the internal principal token and sets the call context
   (principal, request id, trace id). Health and reflection stay open for probes.
2. ``ErrorInterceptor`` maps ``DomainError`` to its status (with a JSON problem in the trailing
   metadata key ``aira-problem``) and anything else to INTERNAL, logged with its stack; it also
   counts and times every call (``metrics.GRPC_*``).
3. ``IdempotencyInterceptor`` replays the stored reply of a mutating call retried with the same
   ``idempotency-key``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import grpc
import orjson
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import MethodOptions
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aira.common.v1 import service_info_pb2, service_info_pb2_grpc
from services.chassis import context, idempotency, metrics, tracing
from services.chassis.errors import DomainError
from services.chassis.infra_tables import InfraTables
from services.chassis.principal import METADATA_KEY, PrincipalVerifier

log = logging.getLogger(__name__)

PROBLEM_METADATA_KEY = "aira-problem"
REQUEST_ID_KEY = "x-request-id"
TRACEPARENT_KEY = "traceparent"
IDEMPOTENCY_KEY = "idempotency-key"
CLIENT_IP_KEY = "x-client-ip"
USER_AGENT_KEY = "x-user-agent"
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
# Health names: "" and each service follow readiness (database reachable); this one only says
# the process is alive, for liveness probes that must not restart pods during a database outage.
LIVENESS = "aira.liveness"
# Messages up to the default upload limit (Settings.grpc_max_message_bytes), not gRPC's 4 MiB.
DEFAULT_MAX_MESSAGE_BYTES = 11 * 1024 * 1024

Around = Callable[[grpc.aio.ServicerContext], Any]


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    return {k: v for k, v in (details.invocation_metadata or ()) if isinstance(v, str)}


def _wrap(
    handler: grpc.RpcMethodHandler, around: Callable[[Any, grpc.aio.ServicerContext], Any]
) -> grpc.RpcMethodHandler:
    """``handler`` with every call run inside the async context manager ``around(request, ctx)``."""
    if handler.unary_unary:
        inner = handler.unary_unary

        async def unary_unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
            async with around(request, ctx):
                return await inner(request, ctx)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream:
        inner_stream = handler.unary_stream

        async def unary_stream(request: Any, ctx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with around(request, ctx):
                async for item in inner_stream(request, ctx):
                    yield item

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, handler.request_deserializer, handler.response_serializer
        )
    raise TypeError("the chassis serves unary-request methods only; a contract test keeps it so")


class PrincipalInterceptor(grpc.aio.ServerInterceptor):
    """Rejects calls without a valid principal token; sets the call context for the rest."""

    def __init__(self, verifier: PrincipalVerifier) -> None:
        self._verifier = verifier

    async def intercept_service(self, continuation, details):  # type: ignore[override]
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        metadata = _metadata(details)
        verifier = self._verifier
        rpc_service, _, rpc_method = details.method.lstrip("/").partition("/")
        name = _labels(details.method)[1]
        trace, parent = context.parse_traceparent(metadata.get(TRACEPARENT_KEY))
        attributes = {"rpc.system": "grpc", "rpc.service": rpc_service, "rpc.method": rpc_method}

        @asynccontextmanager
        async def around(request: Any, ctx: grpc.aio.ServicerContext):
            try:
                principal = verifier.verify(metadata.get(METADATA_KEY))
            except DomainError as exc:
                await ctx.abort(exc.status, exc.detail, trailing_metadata=_problem_metadata(exc))
            tokens = [
                (context.principal, context.principal.set(principal)),
                (context.principal_token, context.principal_token.set(metadata.get(METADATA_KEY))),
                (context.request_id, context.request_id.set(metadata.get(REQUEST_ID_KEY))),
                (context.client_ip, context.client_ip.set(metadata.get(CLIENT_IP_KEY))),
                (context.user_agent, context.user_agent.set(metadata.get(USER_AGENT_KEY))),
            ]
            try:
                with tracing.span(name, tracing.SERVER, trace_id=trace, parent_span_id=parent, attributes=attributes):
                    yield
            finally:
                # A streaming call the client dropped is closed by the loop's generator finaliser, in
                # another context: nothing to restore there (each call runs in its own task anyway).
                with suppress(ValueError):
                    for var, token in reversed(tokens):
                        var.reset(token)

        return _wrap(handler, around)


def _problem_metadata(exc: DomainError) -> tuple[tuple[str, str], ...]:
    problem = {"type": exc.slug, "title": exc.title, "detail": exc.detail, **exc.extra}
    return ((PROBLEM_METADATA_KEY, orjson.dumps(problem).decode("ascii", "replace")),)


@functools.lru_cache(maxsize=1024)  # method names are few; both interceptors ask on every call
def _labels(method: str) -> tuple[str, str]:
    """``/aira.planning.v1.Tasks/CreateTask`` → (``planning``, ``Tasks/CreateTask``) for metrics."""
    package, _, name = method.lstrip("/").rpartition(".")
    parts = package.split(".")
    return (parts[1] if len(parts) > 1 else package), name


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """The one place domain errors become gRPC statuses; also logs, counts and times each call."""

    async def intercept_service(self, continuation, details):  # type: ignore[override]
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        method = details.method
        service, short = _labels(method)
        seconds = metrics.GRPC_SECONDS.labels(service, short)

        @asynccontextmanager
        async def around(request: Any, ctx: grpc.aio.ServicerContext):
            started = time.perf_counter()
            outcome = "OK"
            try:
                yield
            except DomainError as exc:
                outcome = exc.status.name
                await ctx.abort(exc.status, exc.detail, trailing_metadata=_problem_metadata(exc))
            except grpc.aio.AbortError:
                code = ctx.code()  # the handler aborted with it
                outcome = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
                raise
            except Exception:
                outcome = "INTERNAL"
                log.exception("unhandled error in %s", method)
                await ctx.abort(grpc.StatusCode.INTERNAL, "internal error")
            finally:
                elapsed = time.perf_counter() - started
                seconds.observe(elapsed)
                metrics.GRPC_HANDLED.labels(service, short, outcome).inc()
                log.debug("grpc call", extra={"method": method, "status": outcome, "ms": round(elapsed * 1000, 2)})

        return _wrap(handler, around)


def _mutating(method: str) -> Any | None:
    """The reply class of ``method`` when the contract does not declare it free of side effects."""
    name = method.lstrip("/").replace("/", ".")
    try:
        descriptor = descriptor_pool.Default().FindMethodByName(name)
    except KeyError:
        return None
    if descriptor.GetOptions().idempotency_level != MethodOptions.IDEMPOTENCY_UNKNOWN:
        return None
    return message_factory.GetMessageClass(descriptor.output_type)


class IdempotencyInterceptor(grpc.aio.ServerInterceptor):
    """Answers a retried mutating call (same caller, same key) with the first call's reply."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], infra: InfraTables) -> None:
        self._sessionmaker = sessionmaker
        self._infra = infra

    async def _stored(self, call: idempotency.IdempotentCall) -> bytes | None:
        async with self._sessionmaker() as session:
            return await idempotency.stored_reply(session, self._infra, call)

    async def intercept_service(self, continuation, details):  # type: ignore[override]
        handler = await continuation(details)
        key = _metadata(details).get(IDEMPOTENCY_KEY)
        if handler is None or key is None or not handler.unary_unary:
            return handler
        reply_class = _mutating(details.method)
        if reply_class is None:
            return handler
        inner = handler.unary_unary
        method = details.method

        async def unary_unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
            principal = context.principal.get()
            fingerprint = idempotency.request_hash(method, request.SerializeToString(deterministic=True))
            # Anonymous callers cannot be told apart, so their key is scoped to the request itself:
            # an exact retry gets the first reply, and strangers choosing the same key never collide.
            if principal is None or principal.kind == "anonymous":
                scope = "anonymous:" + fingerprint.hex()
            else:
                scope = f"{principal.kind}:{principal.subject}"
            call = idempotency.IdempotentCall(
                scope=scope, key=idempotency.validate_key(key), method=method, request_hash=fingerprint
            )
            if (stored := await self._stored(call)) is not None:
                return reply_class.FromString(stored)
            token = idempotency.current_call.set(call)
            try:
                return await inner(request, ctx)
            except idempotency.IdempotencyRace:
                stored = await self._stored(call)
                if stored is None:
                    raise
                return reply_class.FromString(stored)
            finally:
                idempotency.current_call.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, handler.request_deserializer, handler.response_serializer
        )


class GrpcServer:
    """A grpc.aio server with the Aira interceptors, health, reflection and ServiceInfo."""

    def __init__(
        self,
        *,
        listen: str,
        verifier: PrincipalVerifier,
        sessionmaker: async_sessionmaker[AsyncSession],
        infra: InfraTables,
        servicers: Sequence[tuple[Callable[[Any, grpc.aio.Server], None], Any, str]],
        service_info: service_info_pb2_grpc.ServiceInfoServicer,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.server = grpc.aio.server(
            interceptors=[
                PrincipalInterceptor(verifier),
                ErrorInterceptor(),
                IdempotencyInterceptor(sessionmaker, infra),
            ],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.http2.max_pings_without_data", 0),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ],
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        service_info_pb2_grpc.add_ServiceInfoServicer_to_server(service_info, self.server)
        self.service_names = [service_info_pb2.DESCRIPTOR.services_by_name["ServiceInfo"].full_name]
        for add, servicer, full_name in servicers:
            add(servicer, self.server)
            self.service_names.append(full_name)
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = self.server.add_insecure_port(listen)
        if self.port == 0:
            raise OSError(f"cannot listen on {listen}")

    async def start(self) -> None:
        await self.server.start()

    async def start_liveness(self) -> None:
        """Report ``aira.liveness`` SERVING for as long as the process answers, whatever its dependencies."""
        await self.health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)

    async def set_serving(self, serving: bool) -> None:
        """Report SERVING or NOT_SERVING for the whole server and each service."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *self.service_names):
            await self.health.set(name, status)

    async def set_dependency(self, name: str, ok: bool) -> None:
        """Report a dependency (``aira.dependency.database`` …) through the health service."""
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        await self.health.set(f"aira.dependency.{name}", status)

    async def stop(self, grace: float) -> None:
        """Refuse new calls, let in-flight ones finish within ``grace`` seconds."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
