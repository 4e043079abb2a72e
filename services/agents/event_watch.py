"""Live audit events for streams (WatchEvents, the gateway's SSE): one LISTEN per agents process.

``audit_log.record`` sends ``NOTIFY aira_audit, '<project id>'`` in the transaction that records an
event, so PostgreSQL delivers it only once the event is visible. :class:`EventWatch` holds one
listening connection and wakes the streams following that project; each stream then asks the
database for everything after the last sequence it sent. A notification is only a hint, so a lost
or spurious one costs nothing:

- a stream registers before its first query and clears its flag before every query, so an event
  committed after a query always wakes it again, and one committed before is in the query;
- per project, sequence n+1 cannot commit before n (the counter row stays locked until commit),
  so "after the last sequence sent" never skips an event;
- streams also look again every ``poll_seconds``, and all of them when the listener reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import URL

from services.agents import audit_log
from services.agents.audit_repository import AUDIT_CHANNEL
from services.agents.models import AuditEvent
from services.chassis.db import asyncpg_connect_kwargs
from services.chassis.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
BATCH = 500


class EventWatch:
    """Fans ``aira_audit`` notifications out to the streams waiting on each project."""

    def __init__(
        self,
        reader: UnitOfWorkFactory,
        url: URL | None,
        *,
        poll_seconds: float = POLL_SECONDS,
        batch: int = BATCH,
    ) -> None:
        self._reader = reader
        self._url = url  # None: no listener, streams poll only (tests)
        self._poll_seconds = poll_seconds
        self._batch = batch
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._closed = False

    def _wake(self, project_id: str) -> None:
        for flag in self._waiting.get(project_id, ()):
            flag.set()

    def _wake_all(self) -> None:
        for flags in self._waiting.values():
            for flag in flags:
                flag.set()

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self._wake(payload)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set (reconnecting as needed), then end every stream."""
        try:
            if self._url is not None:
                await self._listen(stop)
            else:
                await stop.wait()
        finally:
            self._closed = True
            self._wake_all()

    async def _listen(self, stop: asyncio.Event) -> None:
        assert self._url is not None
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(**asyncpg_connect_kwargs(self._url))
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("audit listener cannot connect: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                continue
            try:
                await conn.add_listener(AUDIT_CHANNEL, self._notified)
                self._wake_all()  # anything recorded while nobody listened
                while not conn.is_closed():  # checked each second: a dropped connection is reopened
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1.0)
                        return
            finally:
                await conn.close()

    async def follow(self, project_id: uuid.UUID, after_sequence: int) -> AsyncIterator[AuditEvent]:
        """The project's events after ``after_sequence`` in order, then each new one, until the
        caller stops iterating or the process stops."""
        key = str(project_id)
        flag = asyncio.Event()
        self._waiting.setdefault(key, set()).add(flag)
        try:
            after = after_sequence
            while not self._closed:
                flag.clear()
                async with self._reader() as uow:
                    batch = await audit_log.events_after(uow, project_id, after, self._batch)
                for event in batch:
                    yield event
                    after = event.sequence
                if len(batch) == self._batch:
                    continue  # more backlog
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(flag.wait(), timeout=self._poll_seconds)
        finally:
            flags = self._waiting.get(key)
            if flags is not None:
                flags.discard(flag)
                if not flags:
                    del self._waiting[key]
