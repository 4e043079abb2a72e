"""Names of people, learnt from identity's events, so the activity feed can say who did what.

Identity owns users; agents keeps only a user id → name map (``known_people``), updated by a
reaction to the events in :data:`NAME_EVENTS` (registered in ``consumers``): a sign-up, and a
rename from then on (sentences already written keep the name they were written with). Someone
agents has not heard of reads as "someone".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aira.common.v1 import events_pb2
from aira.identity.v1 import events_pb2 as identity_events
from services.agents import audit_repository
from services.chassis.events import unpack
from services.chassis.uow import UnitOfWork

# The events that carry a person's name, and how to read it.
NAME_EVENTS = {
    "identity.user.signed_up.v1": identity_events.UserSignedUp,
    "identity.user.renamed.v1": identity_events.UserRenamed,
}


async def learn_name(uow: UnitOfWork, envelope: events_pb2.EventEnvelope) -> None:
    """Remember the name an event carries (a reaction, see ``consumers.react_to``)."""
    for user_id, name in name_in(envelope).items():
        await audit_repository.remember_name(uow.session, uuid.UUID(user_id), name)


def name_in(envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    """The name a sign-up or a rename carries ({} for any other event), for events recorded with it."""
    if (message_type := NAME_EVENTS.get(envelope.type)) is None:
        return {}
    named = unpack(envelope, message_type)
    return {named.user_id: named.name} if named.user_id and named.name else {}


async def names_of(uow: UnitOfWork, user_ids: Iterable[str]) -> dict[str, str]:
    """The known names of ``user_ids`` (valid UUID strings)."""
    return await audit_repository.names_of(uow.session, user_ids)
