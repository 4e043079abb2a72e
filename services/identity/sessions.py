"""Sessions: a refresh-token family per sign-in, rotated on every refresh.

Each refresh marks the presented token used and issues its successor in the same family.
Presenting a used token again means someone else holds a copy: the whole family is revoked and
the event logged. Logout revokes the family (or every family of the account).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.chassis.errors import Unauthenticated
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.identity import repository
from services.identity.models import User
from services.identity.security_log import SecurityLog
from services.identity.tokens import AccessTokens, hash_token, new_secret_token


@dataclass(frozen=True)
class Session:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    next_path: str = ""


class Sessions:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        access_tokens: AccessTokens,
        refresh_ttl: timedelta,
        security_log: SecurityLog,
    ) -> None:
        self._uow = uow_factory
        self._access_tokens = access_tokens
        self._refresh_ttl = refresh_ttl
        self._log = security_log

    async def start(self, uow: UnitOfWork, user: User, *, method: str, next_path: str = "") -> Session:
        """Sign ``user`` in with a new session family and log how."""
        if user.status != "active":
            raise Unauthenticated("this account is disabled", slug="account-disabled")
        session, _ = await self._issue(uow, user, uuid7(), next_path)
        await repository.record_login(uow, user.id, datetime.now(UTC))
        self._log.add(uow, "login_succeeded", user.id, method=method)
        return session

    async def _issue(
        self, uow: UnitOfWork, user: User, family_id: uuid.UUID, next_path: str = ""
    ) -> tuple[Session, uuid.UUID]:
        """An access token and a new refresh token of ``family_id``; also the refresh token's id."""
        refresh = new_secret_token()
        stored = await repository.add_refresh_token(
            uow,
            user_id=user.id,
            token_hash=refresh.token_hash,
            family_id=family_id,
            expires_at=datetime.now(UTC) + self._refresh_ttl,
        )
        session = Session(
            user=user,
            access_token=self._access_tokens.issue(user.id, user.email, family_id),
            refresh_token=refresh.token,
            expires_in=self._access_tokens.ttl_seconds,
            next_path=next_path,
        )
        return session, stored.jti

    async def refresh(self, uow: UnitOfWork, refresh_token: str) -> Session:
        """Rotate: the presented token is spent and its successor returned."""
        stored = await repository.refresh_token_by_hash(uow, hash_token(refresh_token)) if refresh_token else None
        if stored is None:
            raise Unauthenticated("refresh token is not valid", slug="invalid-refresh-token")
        if stored.revoked_at is not None:
            await self._log.record_now("refresh_rejected", stored.user_id, reason="revoked", family=stored.family_id)
            raise Unauthenticated("this session has ended; sign in again", slug="session-revoked")
        if stored.expires_at <= datetime.now(UTC):
            raise Unauthenticated("refresh token has expired; sign in again", slug="refresh-token-expired")
        user = await repository.user_by_id(uow, stored.user_id)
        if user is None or user.status != "active":
            raise Unauthenticated("this account is not active", slug="inactive-account")
        # Spending is a conditional update, so of two racing uses exactly one wins; the loser, like
        # any later use, is a replay.
        if stored.used_at is not None or not await repository.spend_refresh_token(uow, stored.jti):
            await self._revoke_family_now(stored.user_id, stored.family_id, "reuse")
            raise Unauthenticated(
                "this refresh token was already used; every session it belongs to has been ended",
                slug="refresh-token-reused",
            )
        session, successor = await self._issue(uow, user, stored.family_id)
        await repository.link_successor(uow, stored.jti, successor)
        return session

    async def _revoke_family_now(self, user_id: uuid.UUID, family_id: uuid.UUID, reason: str) -> None:
        """Theft response, committed at once: the caller's transaction is about to fail."""
        async with self._uow() as uow:
            await repository.revoke_families(uow, user_id, family_id=family_id, reason=reason)
            self._log.add(uow, "refresh_token_reused", user_id, family=family_id)
            await uow.commit()

    async def logout(self, uow: UnitOfWork, refresh_token: str, *, everywhere: bool) -> None:
        """End the session the token belongs to (or all of the account's); unknown tokens are ignored."""
        stored = await repository.refresh_token_by_hash(uow, hash_token(refresh_token)) if refresh_token else None
        if stored is None:
            return
        family = None if everywhere else stored.family_id
        await repository.revoke_families(uow, stored.user_id, family_id=family, reason="logout")
        self._log.add(uow, "logout", stored.user_id, everywhere=everywhere)

    async def end_all(self, uow: UnitOfWork, user_id: uuid.UUID, reason: str) -> None:
        """Revoke every session of the account (e.g. after a password change)."""
        await repository.revoke_families(uow, user_id, family_id=None, reason=reason)
