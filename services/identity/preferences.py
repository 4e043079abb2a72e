"""Per-user, per-project UI preferences: a small JSON object the web app keeps for itself."""

from __future__ import annotations

from typing import Any

import orjson

from services.chassis.authz import Action
from services.chassis.errors import InvalidArgument
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.access import authorize
from services.identity.models import UserPreferences

MAX_BYTES = 16 * 1024


async def get(uow: UnitOfWork, project_id: str) -> UserPreferences | None:
    access = await authorize(uow, project_id, Action.READ)
    return await repository.preferences(uow, access.user_id, access.project_id)


async def put(uow: UnitOfWork, project_id: str, values: dict[str, Any]) -> UserPreferences:
    access = await authorize(uow, project_id, Action.READ)
    if len(orjson.dumps(values)) > MAX_BYTES:
        raise InvalidArgument(f"preferences are limited to {MAX_BYTES} bytes of JSON", slug="preferences-too-large")
    return await repository.put_preferences(uow, access.user_id, access.project_id, values)
