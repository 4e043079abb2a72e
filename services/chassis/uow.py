"""The unit of work: one transaction at the edge that also writes raised events to the outbox.

A read-only unit of work (``ServiceContext.reader``) runs without a transaction: a single query
costs one round trip instead of BEGIN, query, ROLLBACK, and compiled ``Query`` objects go
straight to the asyncpg read pool. Use it for reads that need no snapshot across statements.

Edges (gRPC handlers, event consumers, job steps) open a unit of work, call domain code that only
flushes, then ``commit``. Events raised with ``emit`` are written to ``<schema>.outbox`` in the same
transaction and the relay is woken by NOTIFY when it commits, so a change and its events are
never separated. A mutating call's reply is remembered here for its Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import asyncpg
import orjson
from google.protobuf.message import Message
from sqlalchemy import Table, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis import idempotency
from services.chassis.events import Event, headers_for, to_envelope
from services.chassis.infra_tables import InfraTables
from services.chassis.sql import Query


def outbox_channel(schema: str) -> str:
    """The NOTIFY channel the outbox relay of ``schema`` listens on."""
    return f"aira_outbox_{schema}"


class UnitOfWork:
    """A session plus the events raised while it was open."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        domain: str,
        producer: str,
        infra: InfraTables,
        read_only: bool = False,
        pool: asyncpg.Pool | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pool = pool
        self.domain = domain
        self.producer = producer
        self.infra = infra
        self.read_only = read_only
        self._events: list[Event] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The ORM session, opened on first use (compiled reads may never need one)."""
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._events = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back anything uncommitted; unlike rollback() it leaves loaded objects
        # readable (detached, not expired), so edges may build replies after the block.
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, query: Query, **params: Any) -> list[asyncpg.Record]:
        """Rows of a compiled query: in this transaction, or on the read pool when read-only."""
        if self.read_only and self._pool is not None:
            return await self._pool.fetch(query.sql, *query.args(params))
        return await (await self._driver()).fetch(query.sql, *query.args(params))

    async def fetchrow(self, query: Query, **params: Any) -> asyncpg.Record | None:
        """The first row of a compiled query, or None."""
        if self.read_only and self._pool is not None:
            return await self._pool.fetchrow(query.sql, *query.args(params))
        return await (await self._driver()).fetchrow(query.sql, *query.args(params))

    async def copy(self, table: Table, columns: Sequence[str], records: Sequence[Sequence[Any]]) -> None:
        """Insert many rows with PostgreSQL's COPY, inside this transaction (columns left out take
        their defaults). Far cheaper than an INSERT per row or a long VALUES list, for bulk writes."""
        if not records:
            return
        try:
            await (await self._driver()).copy_records_to_table(
                table.name, schema_name=table.schema, columns=list(columns), records=records
            )
        except asyncpg.IntegrityConstraintViolationError as exc:
            # Callers handle constraint violations as SQLAlchemy's, whichever path wrote the rows.
            raise IntegrityError(f"COPY {table.schema}.{table.name}", None, exc) from exc

    async def _driver(self) -> asyncpg.Connection:
        """The asyncpg connection under the session, with pending ORM changes flushed to it."""
        await self.session.flush()
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    def emit(self, event: Event) -> None:
        """Raise ``event``; it reaches the bus only if this unit of work commits."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot raise events")
        self._events.append(event)

    async def commit(self, reply: Message | None = None) -> None:
        """Write pending events (and the idempotent reply, if any) and commit once."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
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
