"""The outbox relay: publishes committed events from ``<schema>.outbox`` to JetStream.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several replicas may relay), published with
``Nats-Msg-Id`` = event id (JetStream drops a repeat within its duplicate window), and marked sent
in the same transaction that claimed them. While NATS is unreachable rows simply stay pending and
are retried with backoff; nothing is lost. The relay wakes on NOTIFY from the unit of work and
polls as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis import metrics
from services.chassis.db import asyncpg_connect_kwargs
from services.chassis.infra_tables import InfraTables
from services.chassis.uow import outbox_channel

log = logging.getLogger(__name__)

PUBLISHED_RETENTION = timedelta(days=3)


class OutboxRelay:
    """Moves pending outbox rows of one schema onto the bus."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        url: URL,
        schema: str,
        infra: InfraTables,
        nc: NatsClient,
        batch_size: int = 256,
        poll_interval: float = 1.0,
        publish_timeout: float = 5.0,
    ) -> None:
        self._engine = engine
        self._url = url
        self._schema = schema
        self._outbox = infra.outbox
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream()
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._wakeup = asyncio.Event()

    async def relay_once(self) -> int:
        """Publish one batch of pending events; returns how many were published."""
        if not self._nc.is_connected:
            return 0
        table = self._outbox
        published: list = []
        failure: tuple | None = None
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(table.c.id, table.c.subject, table.c.payload, table.c.headers)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                try:
                    await self._js.publish(row.subject, row.payload, headers=row.headers, timeout=self._publish_timeout)
                except Exception as exc:  # any publish failure leaves the row pending
                    failure = (row.id, f"{type(exc).__name__}: {exc}")
                    break
                published.append(row.id)
            if published:
                await conn.execute(
                    update(table)
                    .where(table.c.id.in_(bindparam("ids", expanding=True)))
                    .values(published_at=func.now(), attempts=table.c.attempts + 1, last_error=None),
                    {"ids": published},
                )
            if failure:
                await conn.execute(
                    update(table)
                    .where(table.c.id == failure[0])
                    .values(attempts=table.c.attempts + 1, last_error=failure[1][:2000])
                )
        metrics.EVENTS_PUBLISHED.labels(self._schema).inc(len(published))
        if failure:
            # Raised after commit, so the rows published before the failure stay marked sent.
            raise ConnectionError(f"publishing event {failure[0]} failed: {failure[1]}")
        return len(published)

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention; returns how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(self._outbox).where(self._outbox.c.published_at < func.now() - PUBLISHED_RETENTION)
            )
            return result.rowcount or 0

    async def _listen(self, stop: asyncio.Event) -> None:
        """Wake the relay whenever a unit of work in this schema commits events."""
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(**asyncpg_connect_kwargs(self._url))
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox listener cannot connect: %s", exc)
                await asyncio.sleep(1.0)
                continue
            try:
                await conn.add_listener(outbox_channel(self._schema), lambda *_: self._wakeup.set())
                self._wakeup.set()  # catch anything committed while we were not listening
                while not conn.is_closed():  # checked each second: a dropped connection is reopened
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=1.0)
                        return
                    except TimeoutError:
                        pass
            finally:
                await conn.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set."""
        listener = asyncio.create_task(self._listen(stop), name=f"outbox-listen-{self._schema}")
        waker = asyncio.create_task(self._wake_on(stop))
        backoff = self._poll_interval
        try:
            while not stop.is_set():
                self._wakeup.clear()
                try:
                    published = await self.relay_once()
                    backoff = self._poll_interval
                except Exception as exc:  # the relay must outlive every outage
                    log.warning("outbox relay pass failed: %s", exc)
                    backoff = min(backoff * 2, 15.0)
                    published = 0
                if published == self._batch_size:
                    continue  # more waiting
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=backoff)
                except TimeoutError:
                    pass
        finally:
            for task in (listener, waker):
                task.cancel()
            await asyncio.gather(listener, waker, return_exceptions=True)

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wakeup.set()
