"""The outbox relay: no event lost while NATS is down, each delivered exactly once after."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from aira.identity.v1 import events_pb2
from services.chassis import db
from services.chassis.events import Event, connect_nats, decode_envelope, ensure_stream
from services.chassis.keys import SecretKey
from services.chassis.outbox import OutboxRelay
from services.chassis.settings import Settings
from services.chassis.uow import UnitOfWork
from services.identity.models import infra
from tests.harness import private_nats


def _event(n: int) -> Event:
    return Event(
        entity_type="user",
        action="signed_up",
        entity_id=f"user-{n}",
        payload=events_pb2.UserSignedUp(user_id=f"user-{n}", email=f"u{n}@example.com", name=f"User {n}"),
        snapshot={"n": n},
    )


async def _write_events(engine: AsyncEngine, first: int, count: int) -> list[str]:
    uow = UnitOfWork(db.create_sessionmaker(engine), domain="identity", producer="test", infra=infra)
    async with uow:
        events = [_event(n) for n in range(first, first + count)]
        for event in events:
            uow.emit(event)
        await uow.commit()
    return [str(e.event_id) for e in events]


async def _pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).where(infra.outbox.c.published_at.is_(None)))).scalar_one()


async def _stream_event_ids(js) -> list[str]:
    info = await js.stream_info("IDENTITY")
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg("IDENTITY", seq)
        ids.append(decode_envelope(message.data).event_id)
    return ids


@contextlib.asynccontextmanager
async def relay_rig(settings: Settings, engine: AsyncEngine, workdir: Path, **options):
    """A private NATS with the IDENTITY stream, a connection to it, and a relay of identity's outbox."""
    url = db.service_url(settings, "identity", SecretKey.load(settings.keys_path))
    async with private_nats(workdir) as nats_server:
        nc = await connect_nats(nats_server.url, name="test-relay")
        try:
            await ensure_stream(nc.jetstream(), "identity", settings)
            yield nats_server, nc, OutboxRelay(engine=engine, url=url, schema="identity", infra=infra, nc=nc, **options)
        finally:
            await nc.close()


async def test_events_survive_a_nats_outage_and_arrive_once(
    settings: Settings, service_engines: dict[str, AsyncEngine], clean_db, tmp_path: Path
) -> None:
    engine = service_engines["identity"]
    async with relay_rig(settings, engine, tmp_path, publish_timeout=1.0) as (nats_server, nc, relay):
        js = nc.jetstream()
        before = await _write_events(engine, 0, 5)
        assert await relay.relay_once() == 5

        nats_server.stop()
        during = await _write_events(engine, 5, 5)
        for _ in range(3):
            try:
                await relay.relay_once()
            except ConnectionError:
                pass
        assert await _pending(engine) == 5, "events written during the outage must wait in the outbox"

        await nats_server.start()
        for _ in range(100):
            if nc.is_connected:
                break
            await asyncio.sleep(0.1)
        assert await relay.relay_once() == 5
        assert await _pending(engine) == 0

        # A relay that crashed after publishing but before marking rows sent publishes again:
        # JetStream drops the repeats by Nats-Msg-Id.
        async with engine.begin() as conn:
            await conn.execute(update(infra.outbox).values(published_at=None))
        assert await relay.relay_once() == 10
        assert sorted(await _stream_event_ids(js)) == sorted(before + during)


async def test_the_relay_wakes_on_commit(
    settings: Settings, service_engines: dict[str, AsyncEngine], clean_db, tmp_path: Path
) -> None:
    """NOTIFY from the unit of work wakes the relay long before its poll interval."""
    engine = service_engines["identity"]
    async with relay_rig(settings, engine, tmp_path, poll_interval=60.0) as (_, nc, relay):
        js = nc.jetstream()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            await asyncio.sleep(0.5)  # let it listen
            ids = await _write_events(engine, 0, 3)
            for _ in range(50):
                if (await js.stream_info("IDENTITY")).state.messages == 3:
                    break
                await asyncio.sleep(0.1)
            assert sorted(await _stream_event_ids(js)) == sorted(ids)
        finally:
            stop.set()
            await task
