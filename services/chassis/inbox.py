"""Idempotent event consumers: durable JetStream pull consumers backed by ``<schema>.inbox``.

For each message the consumer opens a unit of work, records ``(consumer, event id)`` in the inbox
and runs the handler's effect in the same transaction, commits, and only then acks. A redelivered
event finds its inbox row and is acked without a second effect. A failing handler is retried with
backoff (``nak`` with delay) up to ``max_deliver`` times; a message that is not an event at all is
terminated at once so it cannot block the stream.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api as js_api
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aira.common.v1 import events_pb2
from services.chassis import context
from services.chassis.events import decode_envelope, ensure_stream, error_event, stream_name
from services.chassis.settings import Settings
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, events_pb2.EventEnvelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """Events of one domain (optionally narrowed by subject) handled by one function."""

    domain: str
    handler: Handler
    subjects: str | None = None  # default: every subject of the domain, "<domain>.>"

    @property
    def filter_subject(self) -> str:
        return self.subjects or f"{self.domain}.>"


async def claim(uow: UnitOfWork, consumer: str, envelope: events_pb2.EventEnvelope) -> bool:
    """Record the event in the inbox; False when this consumer has already handled it."""
    table = uow.infra.inbox
    result = await uow.session.execute(
        pg_insert(table)
        .values(consumer=consumer, event_id=uuid.UUID(envelope.event_id), subject=envelope.type)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None


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
        batch_size: int = 64,
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
        try:
            envelope = decode_envelope(msg.data)
        except ValueError as exc:
            log.error("dropping a message that is not an event", extra={"subject": msg.subject, "error": str(exc)})
            await msg.term()
            return
        consumer = self.durable_name(subscription)
        tokens = (
            context.trace_id.set(envelope.trace_id or None),
            context.request_id.set(envelope.request_id or None),
        )
        try:
            async with self._uow_factory() as uow:
                if await claim(uow, consumer, envelope):
                    await subscription.handler(uow, envelope)
                await uow.commit()
        except Exception:
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
                await self._report_abandoned(consumer, envelope, delivered)
                await msg.term()
            else:
                await msg.nak(delay=min(0.5 * 2 ** (delivered - 1), 30.0))
            return
        finally:
            context.trace_id.reset(tokens[0])
            context.request_id.reset(tokens[1])
        try:
            await msg.ack()
        except Exception as exc:
            log.warning("ack failed after commit; redelivery will be ignored", extra={"error": str(exc)})

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
                except Exception as exc:
                    log.warning("fetch failed on %s: %r", self.durable_name(subscription), exc)
                    await asyncio.sleep(1.0)
                    continue
                for msg in messages:
                    await self.handle(subscription, msg)
        finally:
            try:
                await sub.unsubscribe()  # the durable consumer stays on the server
            except Exception:
                pass

    async def run(self, stop: asyncio.Event) -> None:
        """Consume every subscription until ``stop`` is set."""
        await asyncio.gather(*(self._supervise(s, stop) for s in self._subscriptions))

    async def _supervise(self, subscription: Subscription, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._run_one(subscription, stop)
            except Exception as exc:
                log.warning("consumer %s restarting: %s", self.durable_name(subscription), exc)
                await asyncio.sleep(1.0)
