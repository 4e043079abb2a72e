"""Events agents consumes: every domain's events feed the audit log, and some also drive a reaction.

A service holds one durable consumer per source domain, so one dispatcher handles every event:
it records the event (errors go to the error log, everything else to the project's audit log),
then runs the reactions registered for its type in :data:`REACTIONS`, all in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aira.common.v1 import events_pb2
from services.agents import audit_log
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


SUBSCRIPTIONS = [Subscription(domain=domain, handler=dispatch) for domain in SERVICES]
