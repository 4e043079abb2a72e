"""Events published on the bus as services would, including the repeats consumers must absorb."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aira.common.v1 import events_pb2
from services.chassis.events import connect_nats, headers_for
from services.chassis.settings import Settings


async def publish(
    settings: Settings, envelopes: Sequence[events_pb2.EventEnvelope], *, copies: int = 1, concurrently: bool = False
) -> None:
    """Publish each event ``copies`` times, every copy under its own message id (as a publish retried
    past JetStream's duplicate window): in order, or all at once for concurrent deliveries."""
    nc = await connect_nats(settings.nats_url, name="test-publisher")
    try:
        js = nc.jetstream()
        sends = (
            js.publish(e.type, e.SerializeToString(), headers=headers_for(e) | {"Nats-Msg-Id": f"{e.event_id}:{copy}"})
            for copy in range(copies)
            for e in envelopes
        )
        if concurrently:
            await asyncio.gather(*sends)
        else:
            for send in sends:
                await send
    finally:
        await nc.close()
