"""Accounts: sign-up and password login, each ending in a fresh token pair."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from aira.identity.v1 import events_pb2
from services.chassis.errors import InvalidArgument, Unauthenticated
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.models import User
from services.identity.passwords import Passwords, check_strength
from services.identity.tokens import AccessTokens, new_refresh_token

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Session:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


def normalise_email(raw: str) -> str:
    """The canonical form of an email address (lower case); InvalidArgument when it is not one."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidArgument(f"email is not valid: {exc}", slug="invalid-email") from exc


def clean_name(raw: str) -> str:
    """A display name: trimmed, NFC, 1..200 characters without control characters."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidArgument("name must not be empty", slug="invalid-name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"name must be at most {MAX_NAME_LENGTH} characters", slug="invalid-name")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidArgument("name must not contain control characters", slug="invalid-name")
    return name


async def current_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    """The signed-in user; Unauthenticated when the account is gone or disabled."""
    user = await repository.user_by_id(uow, user_id)
    if user is None or user.status != "active":
        raise Unauthenticated("this account is not active", slug="inactive-account")
    return user


class Accounts:
    """Signs people up and in."""

    def __init__(self, passwords: Passwords, access_tokens: AccessTokens, refresh_ttl: timedelta) -> None:
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._refresh_ttl = refresh_ttl

    async def sign_up(self, uow: UnitOfWork, *, email: str, password: str, name: str) -> Session:
        """Create an account and sign it in; raises on an invalid email, weak password or taken email."""
        email = normalise_email(email)
        name = clean_name(name)
        check_strength(password, email=email, name=name)
        user = await repository.add_user(
            uow, email=email, name=name, password_hash=await self._passwords.hash(password)
        )
        uow.emit(
            Event(
                entity_type="user",
                action="signed_up",
                entity_id=str(user.id),
                payload=events_pb2.UserSignedUp(user_id=str(user.id), email=user.email, name=user.name),
                snapshot={"id": user.id, "email": user.email, "name": user.name, "status": user.status},
            )
        )
        return await self._start_session(uow, user)

    async def log_in(self, uow: UnitOfWork, *, email: str, password: str) -> Session:
        """Check the password and sign in; one answer for unknown email and wrong password."""
        try:
            email = normalise_email(email)
        except InvalidArgument:
            email = ""
        user = await repository.user_by_email(uow, email) if email else None
        valid = await self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not valid:
            raise Unauthenticated("email or password is wrong", slug="invalid-credentials")
        if user.status != "active":
            raise Unauthenticated("this account is disabled", slug="account-disabled")
        if self._passwords.needs_rehash(user.password_hash or ""):
            user.password_hash = await self._passwords.hash(password)
        await repository.record_login(uow, user.id, datetime.now(UTC))
        return await self._start_session(uow, user)

    async def _start_session(self, uow: UnitOfWork, user: User) -> Session:
        refresh = new_refresh_token()
        await repository.add_refresh_token(
            uow,
            user_id=user.id,
            token_hash=refresh.token_hash,
            family_id=uuid7(),
            expires_at=datetime.now(UTC) + self._refresh_ttl,
        )
        return Session(
            user=user,
            access_token=self._access_tokens.issue(user.id, user.email),
            refresh_token=refresh.token,
            expires_in=self._access_tokens.ttl_seconds,
        )
