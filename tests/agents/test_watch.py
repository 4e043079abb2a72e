"""WatchEvents: a project's backlog, then each event as it is recorded, in order, exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import grpc
import pytest
from sqlalchemy.exc import IntegrityError

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.identity.v1 import events_pb2
from services.agents import audit_log
from services.agents import models as agents_models
from services.agents.event_watch import EventWatch
from services.chassis import db
from services.chassis.events import Event, to_envelope
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from tests.agents.bus import publish

pytestmark = pytest.mark.usefixtures("clean_db")


def _envelope(project_id: str, domain: str = "identity", n: int = 0):
    return to_envelope(
        Event(
            entity_type="member",
            action="added",
            entity_id=str(uuid.uuid4()),
            project_id=project_id,
            payload=events_pb2.MemberAdded(project_id=project_id),
            snapshot={"n": n},
        ),
        domain=domain,
        producer="test",
    )


def _uow(service_engines, *, read_only: bool = False) -> UnitOfWork:
    sessionmaker = db.create_sessionmaker(service_engines["agents"])
    return UnitOfWork(sessionmaker, domain="agents", producer="test", infra=agents_models.infra, read_only=read_only)


async def _record(service_engines, envelope) -> None:
    """Record straight into agents' schema, as another agents replica would (a redelivery that
    raced the first delivery loses on the unique event id and rolls back its number)."""
    with contextlib.suppress(IntegrityError):
        async with _uow(service_engines) as uow:
            await audit_log.record(uow, envelope)
            await uow.commit()


class Watching:
    """An open WatchEvents call, read in the background."""

    def __init__(self, audit, principals, project_id: str, after: int = 0) -> None:
        metadata = principals.metadata(
            Principal(subject=str(uuid.uuid4()), kind="user", project_id=project_id, role="viewer")
        )
        self.call = audit.WatchEvents(
            audit_pb2.WatchEventsRequest(project_id=project_id, after_sequence=after), metadata=metadata
        )
        self.received: asyncio.Queue = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event in self.call:
            await self.received.put(event)

    async def take(self, count: int, timeout: float = 30.0) -> list[audit_pb2.AuditEvent]:
        return [await asyncio.wait_for(self.received.get(), timeout) for _ in range(count)]

    async def nothing_more(self, wait: float = 1.0) -> None:
        await asyncio.sleep(wait)
        assert self.received.empty(), [e.sequence for e in self.received._queue]  # type: ignore[attr-defined]

    async def close(self) -> None:
        self.call.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


@contextlib.asynccontextmanager
async def watching(audit, principals, project_id: str, after: int = 0):
    stream = Watching(audit, principals, project_id, after)
    try:
        yield stream
    finally:
        await stream.close()


async def test_backlog_then_live_events_in_order(agents_channel, principals, settings, service_engines) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    first = [_envelope(project_id, n=n) for n in range(3)]
    await publish(settings, first)
    async with watching(audit, principals, project_id) as stream:
        backlog = await stream.take(3)
        assert [e.sequence for e in backlog] == [1, 2, 3]
        assert {e.source_event_id for e in backlog} == {e.event_id for e in first}
        await publish(settings, [_envelope(project_id, n=3)])
        assert [e.sequence for e in await stream.take(1)] == [4]
        # Woken by NOTIFY on commit, not by the fallback poll (every few seconds).
        started = time.monotonic()
        await _record(service_engines, _envelope(project_id, n=4))
        live = await stream.take(1)
        assert [e.sequence for e in live] == [5] and time.monotonic() - started < 1.5
        assert live[0].event_type == "identity.member.added.v1" and live[0].snapshot["n"] == 4
        await stream.nothing_more(0.5)


async def test_a_stream_resumes_after_a_sequence(agents_channel, principals, settings) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    await publish(settings, [_envelope(project_id, n=n) for n in range(5)])
    async with watching(audit, principals, project_id) as stream:
        await stream.take(5)
    async with watching(audit, principals, project_id, after=3) as stream:
        assert [e.sequence for e in await stream.take(2)] == [4, 5]
        await stream.nothing_more(0.5)
    async with watching(audit, principals, project_id, after=5) as stream:
        await publish(settings, [_envelope(project_id, n=5)])
        assert [e.sequence for e in await stream.take(1)] == [6]


async def test_another_projects_events_do_not_leak(agents_channel, principals, settings) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    async with watching(audit, principals, mine) as stream:
        await publish(settings, [_envelope(theirs, n=n) for n in range(10)])
        await publish(settings, [_envelope(mine)])
        received = await stream.take(1)
        assert [(e.project_id, e.sequence) for e in received] == [(mine, 1)]
        await stream.nothing_more(0.5)


async def test_concurrent_writers_and_redeliveries_yield_exactly_one_to_n(
    agents_channel, principals, settings, service_engines
) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    # Four domains' consumers write concurrently, each event delivered twice; and forty more are
    # recorded straight into the table by eight concurrent writers, a quarter of them twice.
    over_the_bus = [
        _envelope(project_id, domain, n) for domain in ("identity", "planning", "team", "ledger") for n in range(30)
    ]
    direct = [_envelope(project_id, "integrations", n) for n in range(40)]
    total = len(over_the_bus) + len(direct)
    async with watching(audit, principals, project_id) as stream:
        queue = [*direct, *direct[::4]]

        async def writer() -> None:
            while queue:
                await _record(service_engines, queue.pop())

        await asyncio.gather(
            publish(settings, over_the_bus, copies=2, concurrently=True), *(writer() for _ in range(8))
        )
        received = await stream.take(total)
        await stream.nothing_more(1.0)
    assert [e.sequence for e in received] == list(range(1, total + 1))
    assert sorted(e.source_event_id for e in received) == sorted(e.event_id for e in over_the_bus + direct)


async def test_streams_poll_when_no_notification_comes(service_engines) -> None:
    """The fallback: an event whose notification was lost still arrives within the poll interval."""
    project_id = str(uuid.uuid4())
    watch = EventWatch(lambda: _uow(service_engines, read_only=True), None, poll_seconds=0.2)
    stop = asyncio.Event()
    runner = asyncio.create_task(watch.run(stop))
    follower = watch.follow(uuid.UUID(project_id), 0)
    try:
        pending = asyncio.ensure_future(anext(follower))
        await asyncio.sleep(0.3)
        await _record(service_engines, _envelope(project_id))  # nobody listens: no wake-up
        event = await asyncio.wait_for(pending, 5)
        assert event.sequence == 1
        # Stopping the process ends every stream.
        pending = asyncio.ensure_future(anext(follower))
        stop.set()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(pending, 5)
    finally:
        stop.set()
        await runner
        await follower.aclose()


async def test_only_the_project_may_watch(agents_channel, principals) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    outsider = Principal(subject=str(uuid.uuid4()), kind="user", project_id=str(uuid.uuid4()), role="owner")
    member = Principal(subject=str(uuid.uuid4()), kind="user", project_id=project_id, role="viewer")
    for principal, request, code in (
        (outsider, audit_pb2.WatchEventsRequest(project_id=project_id), grpc.StatusCode.NOT_FOUND),
        (None, audit_pb2.WatchEventsRequest(project_id=project_id), grpc.StatusCode.UNAUTHENTICATED),
        (
            member,
            audit_pb2.WatchEventsRequest(project_id=project_id, after_sequence=-1),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ):
        call = audit.WatchEvents(request, metadata=principals.metadata(principal))
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await asyncio.wait_for(call.read(), 10)
        assert failure.value.code() == code
