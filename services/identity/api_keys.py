"""API keys: a person's credential for scripts, bound to one project and limited by scopes.

The secret (``aira_k_…``) is shown once; only its SHA-256 is kept. A key acts with its creator's
*current* role in the project, narrowed by its scopes, so it can never do more than its creator;
creating a key with a scope the creator's role could not use is refused and logged.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aira.identity.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import SCOPES, Action, grantable_scopes
from services.chassis.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.access import authorize, caller
from services.identity.models import ApiKey
from services.identity.projects import clean_text
from services.identity.security_log import SecurityLog
from services.identity.tokens import hash_token

PREFIX = "aira_k_"
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365


@dataclass(frozen=True)
class KeyIdentity:
    key: ApiKey
    role: str


def is_api_key(secret: str) -> bool:
    """Whether a presented credential looks like one of our keys (not a JWT)."""
    return secret.startswith(PREFIX)


def _event(key: ApiKey, action: str) -> Event:
    return Event(
        entity_type="api_key",
        action=action,
        entity_id=str(key.id),
        project_id=key.project_id,
        payload=events_pb2.ApiKeyChanged(
            project_id=str(key.project_id), key_id=str(key.id), user_id=str(key.user_id), scopes=key.scopes
        ),
        snapshot={"name": key.name, "scopes": key.scopes, "prefix": key.key_prefix},
    )


class ApiKeys:
    def __init__(self, security_log: SecurityLog) -> None:
        self._log = security_log

    async def create(
        self, uow: UnitOfWork, project_id: str, *, name: str, scopes: list[str], expires_in_days: int
    ) -> tuple[ApiKey, str]:
        """A new key and its secret (shown this once)."""
        principal = caller()
        if principal.kind != "user":
            raise PermissionDenied("keys are created by a signed-in person", slug="person-required")
        access = await authorize(uow, project_id, Action.READ)
        wanted = sorted(set(scopes))
        unknown = [s for s in wanted if s not in SCOPES]
        if not wanted or unknown:
            raise InvalidArgument(
                f"scopes must be some of {', '.join(SCOPES)}" + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                slug="invalid-scopes",
            )
        beyond = [s for s in wanted if s not in grantable_scopes(access.role)]
        if beyond:
            await self._log.record_now(
                "api_key_scope_escalation",
                access.user_id,
                project_id=access.project_id,
                role=access.role,
                scopes=beyond,
            )
            raise PermissionDenied(
                f"your role ({access.role}) cannot grant {', '.join(beyond)}", slug="scope-escalation"
            )
        days = expires_in_days or DEFAULT_LIFETIME_DAYS
        if not 1 <= days <= MAX_LIFETIME_DAYS:
            raise InvalidArgument(f"expires_in_days must be 1-{MAX_LIFETIME_DAYS}", slug="validation-failed")
        secret = PREFIX + secrets.token_urlsafe(32)
        key = await repository.add_api_key(
            uow,
            ApiKey(
                id=uuid7(),
                user_id=access.user_id,
                project_id=access.project_id,
                key_hash=hash_token(secret),
                key_prefix=secret[: len(PREFIX) + 6],
                name=clean_text(name, "name", required=True, limit=100),
                scopes=wanted,
                expires_at=datetime.now(UTC) + timedelta(days=days),
            ),
        )
        self._log.add(uow, "api_key_created", access.user_id, key_id=key.id, project_id=key.project_id, scopes=wanted)
        uow.emit(_event(key, "created"))
        return key, secret

    async def of_caller(self, uow: UnitOfWork, project_id: str) -> list[ApiKey]:
        principal = caller()
        assert principal.user_id is not None
        project = None
        if project_id:
            project = (await authorize(uow, project_id, Action.READ)).project_id
        return await repository.api_keys_of(uow, principal.user_id, project)

    async def revoke(self, uow: UnitOfWork, key_id: str) -> ApiKey:
        """Revoke one of your keys (at once: the gateway forgets keys within its cache lifetime)."""
        principal = caller()
        try:
            key = await repository.api_key(uow, uuid.UUID(key_id))
        except ValueError:
            key = None
        if key is None or key.user_id != principal.user_id:
            raise NotFound("no such key", slug="api-key-not-found")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
            key = await repository.save(uow, key)
            self._log.add(uow, "api_key_revoked", key.user_id, key_id=key.id)
            uow.emit(_event(key, "revoked"))
        return key

    async def authenticate(self, uow: UnitOfWork, secret: str) -> KeyIdentity:
        """Who a presented key acts as (called by the gateway)."""
        principal = context.principal.get()
        if principal is None or principal.kind != "service":
            raise PermissionDenied("only the gateway authenticates keys")
        key = await repository.api_key_by_hash(uow, hash_token(secret)) if is_api_key(secret) else None
        if key is None:
            raise Unauthenticated("this API key is not valid", slug="invalid-api-key")
        refusal = None
        if key.revoked_at is not None:
            refusal = ("api-key-revoked", "this API key was revoked")
        elif key.expires_at is not None and key.expires_at <= datetime.now(UTC):
            refusal = ("api-key-expired", "this API key has expired")
        else:
            user = await repository.user_by_id(uow, key.user_id)
            role = await repository.member_role(uow, key.project_id, key.user_id)
            if user is None or user.status != "active" or role is None:
                refusal = ("api-key-orphaned", "the person who created this key is no longer in the project")
        if refusal:
            await self._log.record_now("api_key_rejected", key.user_id, key_id=key.id, reason=refusal[0])
            raise Unauthenticated(refusal[1], slug=refusal[0])
        assert role is not None
        await repository.touch_api_key(uow, key.id)
        return KeyIdentity(key, role)
