"""Names of people, learnt from identity's events, so the activity feed can say who did what.

Identity owns users; agents keeps only a user id → name map (``known_people``), updated by a
reaction to the events in :data:`NAME_EVENTS` (registered in ``consumers``). Identity publishes
no event when a person changes their name yet; when it does, it belongs there. Someone agents has
not heard of reads as "someone".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aira.common.v1 import events_pb2
from aira.identity.v1 import events_pb2 as identity_events
from services.agents import audit_repository
from services.chassis.events import unpack
from services.chassis.uow import UnitOfWork

# The events that carry a person's name (identity publishes no rename event yet).
NAME_EVENTS = ("identity.user.signed_up.v1",)


async def learn_name(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Remember the name an event carries (a reaction, see ``consumers.react_to``)."""
    for user_id, name in name_in(envelope).items():
        await audit_repository.remember_name(uow.session, uuid.UUID(user_id), name)


def name_in(envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    """The name a sign-up carries ({} for any other event), for events recorded with it."""
    if envelope.type not in NAME_EVENTS:
        return {}
    signed_up = unpack(envelope, identity_events.UserSignedUp)
    return {signed_up.user_id: signed_up.name} if signed_up.user_id and signed_up.name else {}


async def names_of(uow: UnitOfWork, user_ids: Iterable[str]) -> dict[str, str]:
    """The known names of ``user_ids`` (valid UUID strings)."""
    return await audit_repository.names_of(uow.session, user_ids)
