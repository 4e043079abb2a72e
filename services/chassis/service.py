"""The life of a service process: build its parts, serve until signalled, shut down cleanly.

A service's ``__main__`` is its composition root: it hands :func:`run` a :class:`ServiceSpec`
whose ``build`` turns a :class:`ServiceContext` (engine, unit of work, NATS, settings) into
:class:`ServiceParts` (gRPC servicers, event subscriptions, job handlers). Everything else —
outbox relay, consumers, job runner, health reporting, housekeeping, signals and graceful
shutdown — happens here the same way for all seven services.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aira.common.v1 import service_info_pb2, service_info_pb2_grpc
from services.chassis import db, idempotency, metrics, tracing
from services.chassis import log as logsetup
from services.chassis.events import connect_nats, ensure_stream, error_event
from services.chassis.grpc_server import GrpcServer
from services.chassis.inbox import EventConsumer, Subscription
from services.chassis.infra_tables import InfraTables
from services.chassis.jobs import DeadJobHook, Job, JobHandler, JobQueue, JobRunner
from services.chassis.keys import SecretKey
from services.chassis.migrations import current_revision
from services.chassis.outbox import OutboxRelay
from services.chassis.principal import PrincipalVerifier
from services.chassis.settings import Settings
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0
HEALTH_INTERVAL_SECONDS = 2.0
HOUSEKEEPING_INTERVAL_SECONDS = 600.0


@dataclass
class ServiceContext:
    """What a service's parts may use; built once per process."""

    name: str
    settings: Settings
    secret: SecretKey
    url: URL
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    infra: InfraTables
    nc: NatsClient
    pool: asyncpg.Pool  # for compiled hot-path reads (services.chassis.sql)

    def __post_init__(self) -> None:
        self._read_sessionmaker = db.create_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"))

    def uow(self) -> UnitOfWork:
        """A new unit of work on this service's schema."""
        return UnitOfWork(self.sessionmaker, domain=self.name, producer=self.name, infra=self.infra)

    def reader(self) -> UnitOfWork:
        """A read-only unit of work without a transaction (one round trip per query)."""
        return UnitOfWork(
            self._read_sessionmaker,
            domain=self.name,
            producer=self.name,
            infra=self.infra,
            read_only=True,
            pool=self.pool,
        )


@dataclass
class ServiceParts:
    """The domain pieces a service contributes."""

    servicers: Sequence[tuple[Callable[[Any, Any], None], Any, str]] = ()
    subscriptions: Sequence[Subscription] = ()
    job_handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    # What a job kind's owner does when such a job is out of attempts, in the same transaction as
    # burying it (e.g. settle the run it served), after it is reported to the error log.
    dead_job_hooks: Mapping[str, DeadJobHook] = field(default_factory=dict)
    background: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = ()


def servicer(contract: Any, stubs: Any, name: str, implementation: Any) -> tuple[Any, Any, str]:
    """An entry of ``ServiceParts.servicers``: the generated add function, the servicer, its full name."""
    add = getattr(stubs, f"add_{name}Servicer_to_server")
    return add, implementation, contract.DESCRIPTOR.services_by_name[name].full_name


def _no_parts(ctx: ServiceContext) -> ServiceParts:
    return ServiceParts()


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a service: its name (= schema), tables, parts and settings class."""

    name: str
    infra: InfraTables
    build: Callable[[ServiceContext], ServiceParts] = _no_parts
    settings_class: type[Settings] = Settings


class ServiceInfo(service_info_pb2_grpc.ServiceInfoServicer):
    """Answers Describe from the service's own connection: its role, schema and revision."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def Describe(self, request, context):
        async with self._ctx.engine.connect() as conn:
            role = (await conn.execute(text("SELECT current_user"))).scalar_one()
            revision = await current_revision(conn, self._ctx.name)
        return service_info_pb2.ServiceDescription(
            service=self._ctx.name,
            version=version(),
            schema=self._ctx.name,
            schema_revision=revision,
            database_role=role,
            nats_connected=self._ctx.nc.is_connected,
        )


def version() -> str:
    """The installed Aira version."""
    try:
        return importlib.metadata.version("aira")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


async def report_dead_job(uow: UnitOfWork, job: Job, error: str) -> None:
    """A job out of attempts becomes an error in agents' error log."""
    uow.emit(
        error_event(
            "job_dead",
            f"job {job.kind} gave up after {job.attempts} attempts: {error}",
            reference=f"job:{job.id}",
            project_id=job.extra.get("project_id"),
            details={"kind": job.kind, "attempts": job.attempts},
        )
    )


def _on_dead(hooks: Mapping[str, DeadJobHook]) -> DeadJobHook:
    """Report a dead job, then let the owner of its kind react."""

    async def on_dead(uow: UnitOfWork, job: Job, error: str) -> None:
        await report_dead_job(uow, job, error)
        if (hook := hooks.get(job.kind)) is not None:
            await hook(uow, job, error)

    return on_dead


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(HEALTH_INTERVAL_SECONDS):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means not ready
        return False


async def _report_health(ctx: ServiceContext, server: GrpcServer, stop: asyncio.Event) -> None:
    """Keep gRPC health in step with the database and NATS; serving needs the database."""
    was_ready: bool | None = None
    while not stop.is_set():
        database_ok = await _database_ok(ctx.engine)
        await server.set_dependency("database", database_ok)
        await server.set_dependency("nats", ctx.nc.is_connected)
        if database_ok != was_ready:
            await server.set_serving(database_ok)
            log.info("%s %s", ctx.name, "ready" if database_ok else "not ready: database unreachable")
            was_ready = database_ok
        try:
            await asyncio.wait_for(stop.wait(), timeout=HEALTH_INTERVAL_SECONDS)
        except TimeoutError:
            pass


async def housekeeping(ctx: ServiceContext, relay: OutboxRelay) -> None:
    """Forget what no longer matters: sent outbox rows, expired keys, old inbox rows and jobs."""
    await relay.purge_published()
    inbox, jobs = ctx.infra.inbox, ctx.infra.jobs
    async with ctx.uow() as uow:
        await idempotency.purge_expired(uow.session, ctx.infra)
        retention = timedelta(days=ctx.settings.stream_max_age_days)
        await uow.session.execute(delete(inbox).where(inbox.c.received_at < func.now() - retention))
        await uow.session.execute(
            delete(jobs).where(jobs.c.status == "done", jobs.c.finished_at < func.now() - timedelta(days=7))
        )
        await uow.commit()


def backlog_sampler(ctx: ServiceContext, job_kinds: Iterable[str]) -> Callable[[], Awaitable[None]]:
    """What sets the backlog gauges: events not yet published (and the oldest one's age), and jobs
    due by kind (every kind seen stays reported, at 0 once its jobs are gone)."""
    outbox, jobs = ctx.infra.outbox, ctx.infra.jobs
    seen = set(job_kinds)
    age = func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0)

    async def sample() -> None:
        async with ctx.engine.connect() as conn:
            pending, oldest = (
                await conn.execute(select(func.count(), age).where(outbox.c.published_at.is_(None)))
            ).one()
            due = dict(
                (
                    await conn.execute(
                        select(jobs.c.kind, func.count())
                        .where(jobs.c.status == "pending", jobs.c.run_after <= func.now())
                        .group_by(jobs.c.kind)
                    )
                ).all()
            )
        metrics.OUTBOX_PENDING.labels(ctx.name).set(pending)
        metrics.OUTBOX_OLDEST_SECONDS.labels(ctx.name).set(float(oldest))
        seen.update(due)
        for kind in seen:
            metrics.JOBS_DUE.labels(ctx.name, kind).set(due.get(kind, 0))

    return sample


def periodically(
    work: Callable[[], Awaitable[Any]], *, every_seconds: float, what: str
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A background task (for ``ServiceParts.background``) running ``work`` now and then every
    ``every_seconds`` until stopped; a failed round is logged and retried next round."""

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await work()
            except Exception as exc:  # retried next round
                log.warning("%s failed: %s", what, exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every_seconds)
            except TimeoutError:
                pass

    return loop


async def serve(spec: ServiceSpec, settings: Settings, stop: asyncio.Event) -> None:
    """Run the service until ``stop`` is set, then drain and release everything."""
    secret = SecretKey.load(settings.keys_path)
    verifier = PrincipalVerifier.from_keys_dir(settings.keys_path)
    url = db.service_url(settings, spec.name, secret)
    engine = db.create_engine(url, application_name=f"aira-{spec.name}", pool_size=settings.db_pool_size)
    if not settings.nats_url:
        raise RuntimeError("AIRA_NATS_URL is not set")
    nc = await connect_nats(settings.nats_url, name=f"aira-{spec.name}")
    pool = await db.create_read_pool(url, application_name=f"aira-{spec.name}-read", size=settings.db_pool_size)
    try:
        await ensure_stream(nc.jetstream(), spec.name, settings)
        ctx = ServiceContext(
            name=spec.name,
            settings=settings,
            secret=secret,
            url=url,
            engine=engine,
            sessionmaker=db.create_sessionmaker(engine),
            infra=spec.infra,
            nc=nc,
            pool=pool,
        )
        parts = spec.build(ctx)
        server = GrpcServer(
            listen=settings.grpc_listen_address(spec.name),
            verifier=verifier,
            sessionmaker=ctx.sessionmaker,
            infra=spec.infra,
            servicers=parts.servicers,
            service_info=ServiceInfo(ctx),
            max_message_bytes=settings.grpc_max_message_bytes,
        )
        relay = OutboxRelay(engine=engine, url=url, schema=spec.name, infra=spec.infra, nc=nc)
        tidy = periodically(
            lambda: housekeeping(ctx, relay), every_seconds=HOUSEKEEPING_INTERVAL_SECONDS, what="housekeeping"
        )
        workers: list[Awaitable[None]] = [
            relay.run(stop),
            _report_health(ctx, server, stop),
            tidy(stop),
            *(task(stop) for task in parts.background),
        ]
        if settings.metrics_port_of(spec.name) is not None:  # sampled only while someone may scrape
            sample = backlog_sampler(ctx, parts.job_handlers)
            workers.append(periodically(sample, every_seconds=metrics.BACKLOG_SECONDS, what="backlog sampling")(stop))
        if parts.subscriptions:
            consumer = EventConsumer(
                name=spec.name, nc=nc, uow_factory=ctx.uow, subscriptions=parts.subscriptions, settings=settings
            )
            workers.append(consumer.run(stop))
        if parts.job_handlers:
            runner = JobRunner(
                uow_factory=ctx.uow,
                queue=JobQueue.of(spec.infra),
                handlers=parts.job_handlers,
                on_dead=_on_dead(parts.dead_job_hooks),
                service=spec.name,
            )
            workers.append(runner.run(stop))
        stop_metrics = metrics.start(settings.metrics_host, settings.metrics_port_of(spec.name))
        stop_tracing = tracing.configure(spec.name, settings)
        await server.start()
        await server.start_liveness()
        log.info("%s listening on %s", spec.name, settings.grpc_listen_address(spec.name))
        tasks = [asyncio.create_task(w) for w in workers]
        await stop.wait()
        log.info("%s shutting down", spec.name)
        await server.stop(SHUTDOWN_GRACE_SECONDS)
        await asyncio.gather(*tasks, return_exceptions=True)
        stop_metrics()
        stop_tracing()
    finally:
        # Consumers have stopped fetching, so there is nothing to drain; flush what we sent.
        try:
            await nc.flush(timeout=2)
        except Exception:  # closing anyway
            pass
        await nc.close()
        await pool.close()
        await engine.dispose()


def run(spec: ServiceSpec) -> None:
    """Entry point of ``aira serve <service>``: serve until SIGTERM or SIGINT."""
    settings = spec.settings_class()
    logsetup.configure(spec.name, settings.log_level, settings.log_format)
    install_event_loop_policy()
    asyncio.run(_main(spec, settings))


async def _main(spec: ServiceSpec, settings: Settings) -> None:
    stop = stop_on_signals()
    await serve(spec, settings, stop)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def install_event_loop_policy() -> None:
    """Use uvloop where it exists."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
