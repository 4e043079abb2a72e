"""Idempotent event consumers: durable JetStream pull consumers backed by ``<schema>.inbox``.

The consumer records ``(consumer, event id)`` in the inbox and runs the handler's effect in the
same transaction, commits, and only then acks. A redelivered event finds its inbox row and is
acked without a second effect. A failing handler is retried with backoff (``nak`` with delay) up to
``max_deliver`` times, then reported as an error; a message that is not an event at all is
terminated at once so it cannot block the stream.

Messages fetched together are handled in one transaction (one inbox insert, one commit), which is
what makes ingestion fast; if anything in the batch fails, the batch is rolled back and its
messages are handled one by one, so one bad event cannot hold the others back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api as js_api
from sqlalchemy import text

from aira.common.v1 import events_pb2
from services.chassis import context, metrics, tracing
from services.chassis.events import decode_envelope, ensure_stream, error_event, stream_name
from services.chassis.settings import Settings
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, events_pb2.EventEnvelope], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[events_pb2.EventEnvelope]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """Events of one domain (optionally narrowed by subject) handled by one function.

    ``batch_handler``, when given, receives every new event of a fetched batch at once (in order);
    otherwise ``handler`` runs for each. Both must give the same result.
    """

    domain: str
    handler: Handler
    subjects: str | None = None  # default: every subject of the domain, "<domain>.>"
    batch_handler: BatchHandler | None = None

    @property
    def filter_subject(self) -> str:
        return self.subjects or f"{self.domain}.>"

    async def handle_all(self, uow: UnitOfWork, envelopes: list[events_pb2.EventEnvelope]) -> None:
        if self.batch_handler is not None:
            await self.batch_handler(uow, envelopes)
            return
        for envelope in envelopes:
            await self.handler(uow, envelope)


async def claim(
    uow: UnitOfWork, consumer: str, envelopes: list[events_pb2.EventEnvelope]
) -> list[events_pb2.EventEnvelope]:
    """Record the events in the inbox (one statement); the ones this consumer had not handled yet.

    Ids travel as text arrays that PostgreSQL casts, so no id is parsed in Python on this hot path.
    """
    inbox = uow.infra.inbox
    rows = await uow.session.execute(
        text(
            f"INSERT INTO {inbox.schema}.{inbox.name} (consumer, event_id, subject) "
            "SELECT :consumer, CAST(id AS uuid), subject FROM unnest(CAST(:ids AS text[]), CAST(:subjects AS text[])) "
            "AS fetched(id, subject) ON CONFLICT DO NOTHING RETURNING CAST(event_id AS text)"
        ),
        {"consumer": consumer, "ids": [e.event_id for e in envelopes], "subjects": [e.type for e in envelopes]},
    )
    fresh = set(rows.scalars())
    new = []
    for envelope in envelopes:  # keep the stream's order, and a duplicate inside the batch once
        if envelope.event_id in fresh:
            fresh.discard(envelope.event_id)
            new.append(envelope)
    return new


class EventConsumer:
    """Runs a service's subscriptions as durable pull consumers named ``<name>-<domain>``."""

    def __init__(
        self,
        *,
        name: str,
        nc: NatsClient,
        uow_factory: Callable[[], UnitOfWork],
        subscriptions: Sequence[Subscription],
        settings: Settings,
        batch_size: int = 256,
        max_deliver: int = 10,
        ack_wait: float = 30.0,
    ) -> None:
        self.name = name
        self._nc = nc
        self._js = nc.jetstream()
        self._uow_factory = uow_factory
        self._subscriptions = subscriptions
        self._settings = settings
        self._batch_size = batch_size
        self._max_deliver = max_deliver
        self._ack_wait = ack_wait

    def durable_name(self, subscription: Subscription) -> str:
        return f"{self.name}-{subscription.domain}"

    async def handle(self, subscription: Subscription, msg: Msg) -> None:
        """Process one message: effect and inbox row in one transaction, ack after commit."""
        envelope = await self._decode(msg)
        if envelope is not None:
            await self._handle_one(subscription, msg, envelope)

    async def handle_batch(self, subscription: Subscription, messages: list[Msg]) -> None:
        """Process fetched messages in one transaction; on any failure, one by one instead."""
        decoded = [(msg, envelope) for msg in messages if (envelope := await self._decode(msg)) is not None]
        if len(decoded) <= 1:
            for msg, envelope in decoded:
                await self._handle_one(subscription, msg, envelope)
            return
        consumer = self.durable_name(subscription)
        links = [(e.trace_id, e.span_id) for _, e in decoded if e.trace_id and e.span_id]
        try:
            with tracing.span(f"{consumer} batch", tracing.CONSUMER, links=links, attributes={"events": len(decoded)}):
                async with self._uow_factory() as uow:
                    fresh = await claim(uow, consumer, [e for _, e in decoded])
                    if fresh:
                        await subscription.handle_all(uow, fresh)
                    await uow.commit()
        except Exception as exc:  # the slow path below sorts out which message failed
            log.warning("batch of %d failed (%s); handling its events one by one", len(decoded), exc)
            for msg, envelope in decoded:
                await self._handle_one(subscription, msg, envelope)
            return
        metrics.EVENTS_HANDLED.labels(self.durable_name(subscription), "done").inc(len(decoded))
        for msg, _ in decoded:
            await self._ack(msg)

    async def _decode(self, msg: Msg) -> events_pb2.EventEnvelope | None:
        try:
            return decode_envelope(msg.data)
        except ValueError as exc:
            log.error("dropping a message that is not an event", extra={"subject": msg.subject, "error": str(exc)})
            await msg.term()
            return None

    async def _ack(self, msg: Msg) -> None:
        try:
            await msg.ack()
        except Exception as exc:  # the redelivery will find the inbox row
            log.warning("ack failed after commit; redelivery will be ignored", extra={"error": str(exc)})

    async def _handle_one(self, subscription: Subscription, msg: Msg, envelope: events_pb2.EventEnvelope) -> None:
        """Handle one event in its own span (a child of the span that raised it) and request id."""
        consumer = self.durable_name(subscription)
        token = context.request_id.set(envelope.request_id or None)
        try:
            with tracing.span(
                f"{consumer} {envelope.type}",
                tracing.CONSUMER,
                trace_id=envelope.trace_id or None,
                parent_span_id=envelope.span_id or None,
                attributes={"messaging.system": "nats", "messaging.message.id": envelope.event_id},
            ):
                await self._apply(subscription, consumer, msg, envelope)
        finally:
            context.request_id.reset(token)

    async def _apply(
        self, subscription: Subscription, consumer: str, msg: Msg, envelope: events_pb2.EventEnvelope
    ) -> None:
        """Effect and inbox row in one transaction, ack after commit; a failure is retried later
        (nak with backoff) or, on the last delivery, given up and reported."""
        try:
            async with self._uow_factory() as uow:
                if await claim(uow, consumer, [envelope]):
                    await subscription.handle_all(uow, [envelope])
                await uow.commit()
        except Exception:  # a failed effect is retried, never lost
            delivered = msg.metadata.num_delivered if msg.metadata else 1
            log.exception(
                "event handler failed",
                extra={
                    "consumer": consumer,
                    "event_id": envelope.event_id,
                    "event_type": envelope.type,
                    "delivery": delivered,
                },
            )
            if delivered >= self._max_deliver:
                log.error("giving up on event after %d deliveries", delivered, extra={"event_id": envelope.event_id})
                metrics.EVENTS_HANDLED.labels(consumer, "given_up").inc()
                await self._report_abandoned(consumer, envelope, delivered)
                await msg.term()
            else:
                metrics.EVENTS_HANDLED.labels(consumer, "failed").inc()
                await msg.nak(delay=min(0.5 * 2 ** (delivered - 1), 30.0))
            return
        metrics.EVENTS_HANDLED.labels(consumer, "done").inc()
        await self._ack(msg)

    async def _report_abandoned(self, consumer: str, envelope: events_pb2.EventEnvelope, delivered: int) -> None:
        """An event no delivery could handle becomes an error in agents' error log."""
        try:
            async with self._uow_factory() as uow:
                uow.emit(
                    error_event(
                        "event_abandoned",
                        f"{consumer} gave up on {envelope.type} after {delivered} deliveries",
                        reference=f"event:{envelope.event_id}",
                        project_id=envelope.project_id or None,
                        details={"consumer": consumer, "event_type": envelope.type, "deliveries": delivered},
                    )
                )
                await uow.commit()
        except Exception:  # the database may be what failed; the log line above remains
            log.exception("could not record the abandoned event")

    async def _run_one(self, subscription: Subscription, stop: asyncio.Event) -> None:
        await ensure_stream(self._js, subscription.domain, self._settings)
        config = js_api.ConsumerConfig(
            durable_name=self.durable_name(subscription),
            ack_policy=js_api.AckPolicy.EXPLICIT,
            deliver_policy=js_api.DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_deliver=self._max_deliver,
            filter_subject=subscription.filter_subject,
        )
        sub = await self._js.pull_subscribe(
            subscription.filter_subject,
            durable=self.durable_name(subscription),
            stream=stream_name(subscription.domain),
            config=config,
        )
        try:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(self._batch_size, timeout=1.0)
                except (NatsTimeoutError, TimeoutError):
                    continue
                except Exception as exc:  # NATS outages are waited out
                    log.warning("fetch failed on %s: %r", self.durable_name(subscription), exc)
                    await asyncio.sleep(1.0)
                    continue
                await self.handle_batch(subscription, messages)
        finally:
            try:
                await sub.unsubscribe()  # the durable consumer stays on the server
            except Exception:  # the connection may be gone already
                pass

    async def run(self, stop: asyncio.Event) -> None:
        """Consume every subscription until ``stop`` is set."""
        await asyncio.gather(*(self._supervise(s, stop) for s in self._subscriptions))

    async def _supervise(self, subscription: Subscription, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._run_one(subscription, stop)
            except Exception as exc:  # e.g. NATS down while creating the consumer
                log.warning("consumer %s restarting: %s", self.durable_name(subscription), exc)
                await asyncio.sleep(1.0)
