"""Events agents consumes: every domain's events feed the audit log, and some also drive a reaction.

A service holds one durable consumer per source domain, so one dispatcher handles every event:
it records the event (errors go to the error log, everything else to the project's audit log),
then runs the reactions registered for its type in :data:`REACTIONS`, all in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aira.common.v1 import events_pb2
from services.agents import audit_log, known_people
from services.chassis.inbox import Subscription
from services.chassis.settings import SERVICES
from services.chassis.uow import UnitOfWork

Reaction = Callable[[UnitOfWork, events_pb2.EventEnvelope], Awaitable[None]]

# event type (subject) → what agents does beyond recording it.
REACTIONS: dict[str, list[Reaction]] = {}


def react_to(event_type: str, reaction: Reaction) -> None:
    """Register ``reaction`` for every event of ``event_type``."""
    REACTIONS.setdefault(event_type, []).append(reaction)


async def dispatch(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    await audit_log.record(uow, envelope)
    for reaction in REACTIONS.get(envelope.type, ()):
        await reaction(uow, envelope)


async def dispatch_batch(uow: UnitOfWork, envelopes: list[events_pb2.EventEnvelope]) -> None:
    """:func:`dispatch` for a fetched batch: the audit log written in one go, then the reactions in
    order (none of them reads the audit log, and the feed learns names from the batch itself)."""
    await audit_log.record_all(uow, envelopes)
    for envelope in envelopes:
        for reaction in REACTIONS.get(envelope.type, ()):
            await reaction(uow, envelope)


for _name_event in known_people.NAME_EVENTS:  # names for the activity feed
    react_to(_name_event, known_people.learn_name)

SUBSCRIPTIONS = [Subscription(domain=domain, handler=dispatch, batch_handler=dispatch_batch) for domain in SERVICES]
