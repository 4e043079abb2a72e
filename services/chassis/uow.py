"""The unit of work: one transaction at the edge that also writes raised events to the outbox.

Edges (gRPC handlers, event consumers, job steps) open a unit of work, call domain code that only
flushes, then ``commit``. Events raised with ``emit`` are written to ``<schema>.outbox`` in the same
transaction and the relay is woken by NOTIFY when it commits, so a change and its events are
never separated. A mutating call's reply is remembered here for its Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import orjson
from google.protobuf.message import Message
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis import idempotency
from services.chassis.events import Event, headers_for, to_envelope
from services.chassis.infra_tables import InfraTables


def outbox_channel(schema: str) -> str:
    """The NOTIFY channel the outbox relay of ``schema`` listens on."""
    return f"aira_outbox_{schema}"


class UnitOfWork:
    """A session plus the events raised while it was open."""

    session: AsyncSession

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        domain: str,
        producer: str,
        infra: InfraTables,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.domain = domain
        self.producer = producer
        self.infra = infra
        self._events: list[Event] = []

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessionmaker()
        self._events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back anything uncommitted; unlike rollback() it leaves loaded objects
        # readable (detached, not expired), so edges may build replies after the block.
        await self.session.close()

    def emit(self, event: Event) -> None:
        """Raise ``event``; it reaches the bus only if this unit of work commits."""
        self._events.append(event)

    async def commit(self, reply: Message | None = None) -> None:
        """Write pending events (and the idempotent reply, if any) and commit once."""
        if self._events:
            rows = []
            for event in self._events:
                envelope = to_envelope(event, domain=self.domain, producer=self.producer)
                rows.append(
                    {
                        "id": event.event_id,
                        "subject": envelope.type,
                        "payload": envelope.SerializeToString(),
                        "headers": orjson.loads(orjson.dumps(headers_for(envelope))),
                    }
                )
            await self.session.execute(insert(self.infra.outbox), rows)
            await self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": outbox_channel(self.domain)})
            self._events = []
        call = idempotency.current_call.get()
        try:
            if reply is not None and call is not None:
                await self.session.execute(
                    insert(self.infra.idempotency_keys).values(
                        scope=call.scope,
                        key=call.key,
                        method=call.method,
                        request_hash=call.request_hash,
                        reply=reply.SerializeToString(),
                    )
                )
            await self.session.commit()
        except IntegrityError as exc:
            if call is not None and "idempotency_keys_pkey" in str(exc.orig):
                await self.session.rollback()
                raise idempotency.IdempotencyRace() from exc
            raise


UnitOfWorkFactory = Callable[[], UnitOfWork]
