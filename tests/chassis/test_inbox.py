"""Idempotent consumers: one effect per event, whatever the redeliveries and failures."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from aira.common.v1 import events_pb2
from aira.identity.v1 import events_pb2 as identity_events
from services.chassis import db
from services.chassis.events import Event, connect_nats, ensure_stream, headers_for, to_envelope
from services.chassis.inbox import EventConsumer, Subscription
from services.chassis.settings import Settings
from services.chassis.uow import UnitOfWork
from services.team.models import infra
from tests.harness import private_nats


def _envelope(n: int) -> events_pb2.EventEnvelope:
    return to_envelope(
        Event(
            entity_type="project",
            action="created",
            entity_id=str(uuid.uuid4()),
            payload=identity_events.ProjectCreated(name=f"p{n}"),
        ),
        domain="identity",
        producer="test",
    )


class Effects:
    """A handler whose effect is an event in team's outbox, failing the first ``fail_first`` times."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def __call__(self, uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
        self.calls += 1
        uow.emit(
            Event(
                entity_type="echo",
                action="seen",
                entity_id=envelope.event_id,
                payload=identity_events.ProjectCreated(project_id=envelope.event_id),
            )
        )
        if self.calls <= self.fail_first:
            raise RuntimeError("transient failure")


async def _effects(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(infra.outbox.c.subject, infra.outbox.c.payload))
        from services.chassis.events import decode_envelope

        return [decode_envelope(r.payload).entity_id for r in rows]


async def _run_until(consumer: EventConsumer, condition, timeout: float = 15.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await condition():
            assert asyncio.get_running_loop().time() < deadline, "consumer did not finish in time"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task


@pytest.fixture
async def nats_js(tmp_path: Path, settings: Settings):
    async with private_nats(tmp_path) as server:
        nc = await connect_nats(server.url, name="test")
        await ensure_stream(nc.jetstream(), "identity", settings)
        try:
            yield nc
        finally:
            await nc.close()


def _consumer(nc, settings: Settings, engine: AsyncEngine, handler) -> EventConsumer:
    sessionmaker = db.create_sessionmaker(engine)
    return EventConsumer(
        name="team",
        nc=nc,
        uow_factory=lambda: UnitOfWork(sessionmaker, domain="team", producer="team", infra=infra),
        subscriptions=[Subscription(domain="identity", handler=handler)],
        settings=settings,
        ack_wait=2.0,
    )


async def test_duplicates_have_one_effect(settings, service_engines, clean_db, nats_js) -> None:
    engine = service_engines["team"]
    js = nats_js.jetstream()
    envelopes = [_envelope(n) for n in range(4)]
    for envelope in envelopes:
        # Each event arrives three times, as a producer retrying past the dedup window would send it.
        for copy in range(3):
            headers = headers_for(envelope) | {"Nats-Msg-Id": f"{envelope.event_id}-{copy}"}
            await js.publish(envelope.type, envelope.SerializeToString(), headers=headers)
    handler = Effects()
    consumer = _consumer(nats_js, settings, engine, handler)

    async def all_seen() -> bool:
        try:
            info = await js.consumer_info("IDENTITY", "team-identity")
        except NotFoundError:  # not created yet
            return False
        return info.num_ack_pending == 0 and info.num_pending == 0

    await _run_until(consumer, all_seen)
    assert sorted(await _effects(engine)) == sorted(e.event_id for e in envelopes)
    assert handler.calls == 4


async def test_a_failing_handler_is_retried_and_its_effect_happens_once(
    settings, service_engines, clean_db, nats_js
) -> None:
    engine = service_engines["team"]
    js = nats_js.jetstream()
    envelope = _envelope(1)
    await js.publish(envelope.type, envelope.SerializeToString(), headers=headers_for(envelope))
    handler = Effects(fail_first=2)
    consumer = _consumer(nats_js, settings, engine, handler)

    async def done() -> bool:
        return len(await _effects(engine)) == 1

    await _run_until(consumer, done)
    assert handler.calls == 3
    assert await _effects(engine) == [envelope.event_id]


async def test_garbage_is_dropped_without_blocking_the_stream(settings, service_engines, clean_db, nats_js) -> None:
    engine = service_engines["team"]
    js = nats_js.jetstream()
    await js.publish("identity.user.signed_up.v1", b"\xff\x00 not protobuf")
    good = _envelope(2)
    await js.publish(good.type, good.SerializeToString(), headers=headers_for(good))
    consumer = _consumer(nats_js, settings, engine, Effects())

    async def done() -> bool:
        return len(await _effects(engine)) == 1

    await _run_until(consumer, done)
    assert await _effects(engine) == [good.event_id]
