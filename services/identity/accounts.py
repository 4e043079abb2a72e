"""Accounts: sign-up, password login, email verification, magic links and password reset by code.

Every way in ends in :meth:`Sessions.start`. Refusals are logged in the security log (in their own
transaction) and counted by the rate limiter, and they say the same thing whether or not the email
belongs to an account.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from aira.identity.v1 import events_pb2
from services.chassis import context
from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from services.chassis.events import Event
from services.chassis.keys import SecretKey
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.identity import rate_limits, repository
from services.identity.emails import Emails
from services.identity.models import User
from services.identity.passwords import Passwords, check_strength
from services.identity.rate_limits import RateLimiter
from services.identity.security_log import SecurityLog
from services.identity.sessions import Session, Sessions
from services.identity.tokens import hash_code, hash_token, new_code, new_secret_token

MAX_NAME_LENGTH = 200
MAX_PASSWORD_LENGTH = 1024
VERIFICATION_TTL = timedelta(hours=24)
VERIFICATION_RESEND_GAP = timedelta(seconds=60)
MAGIC_LINK_TTL = timedelta(minutes=15)
RESET_CODE_TTL = timedelta(minutes=10)
_CODE = re.compile(r"^\d{6}$")
MAX_NEXT_PATH = 2048


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


def safe_next_path(raw: str) -> str:
    """``raw`` if it is a relative path on this site, else InvalidArgument (no open redirects).

    Accepted: ``/projects/42?tab=a``. Refused: absolute URLs, scheme-relative ``//host``,
    backslashes (browsers read ``/\\host`` as ``//host``), control characters, and anything that
    does not start with a single ``/``.
    """
    if not raw:
        return "/"
    parts = urlsplit(raw)
    if (
        len(raw) > MAX_NEXT_PATH
        or not raw.startswith("/")
        or raw.startswith("//")
        or "\\" in raw
        or parts.scheme
        or parts.netloc
        or any(unicodedata.category(c).startswith("C") or c.isspace() for c in raw)
    ):
        raise InvalidArgument("next_path must be a relative path on this site", slug="invalid-next-path")
    return raw


def signed_up_event(user: User) -> Event:
    """``identity.user.signed_up.v1`` for a new account, whichever way it was created."""
    return Event(
        entity_type="user",
        action="signed_up",
        entity_id=str(user.id),
        payload=events_pb2.UserSignedUp(user_id=str(user.id), email=user.email, name=user.name),
        snapshot={"id": user.id, "email": user.email, "name": user.name, "status": user.status},
    )


async def current_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    """The signed-in user; Unauthenticated when the account is gone or disabled."""
    user = await repository.user_by_id(uow, user_id)
    if user is None or user.status != "active":
        raise Unauthenticated("this account is not active", slug="inactive-account")
    return user


class Accounts:
    """Signs people up and in, and keeps their credentials."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        passwords: Passwords,
        sessions: Sessions,
        emails: Emails,
        security_log: SecurityLog,
        limiter: RateLimiter,
        secret: SecretKey,
    ) -> None:
        self._uow = uow_factory
        self._passwords = passwords
        self.sessions = sessions
        self._emails = emails
        self._log = security_log
        self._limiter = limiter
        self._secret = secret

    # --- sign-up and login ---------------------------------------------------------------

    async def sign_up(self, uow: UnitOfWork, *, email: str, password: str, name: str) -> Session:
        """Create an account, send the verification email and sign in."""
        email = normalise_email(email)
        name = clean_name(name)
        await self._limiter.hit_per_client(rate_limits.SIGNUP_PER_EMAIL, email, rate_limits.SIGNUP_PER_IP)
        _check_password(password, email=email, name=name)
        user = await repository.add_user(
            uow, email=email, name=name, password_hash=await self._passwords.hash(password)
        )
        uow.emit(signed_up_event(user))
        self._log.add(uow, "signed_up", user.id)
        await self._send_verification(uow, user)
        return await self.sessions.start(uow, user, method="password")

    async def log_in(self, uow: UnitOfWork, *, email: str, password: str) -> Session:
        """Check the password and sign in; one answer for unknown email and wrong password."""
        try:
            email = normalise_email(email)
        except InvalidArgument:
            email = ""
        try:
            await self._limiter.hit_per_client(rate_limits.LOGIN_PER_EMAIL, email, rate_limits.LOGIN_PER_IP)
        except RateLimited:
            await self._log.record_now("login_rate_limited", None, email=email)
            raise
        user = await repository.user_by_email(uow, email) if email else None
        valid = await self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not valid:
            await self._log.record_now("login_failed", user.id if user else None, email=email)
            raise Unauthenticated("email or password is wrong", slug="invalid-credentials")
        if user.password_hash and self._passwords.needs_rehash(user.password_hash):
            user.password_hash = await self._passwords.hash(password)
        return await self.sessions.start(uow, user, method="password")

    # --- email verification --------------------------------------------------------------

    async def _send_verification(self, uow: UnitOfWork, user: User) -> None:
        token = new_secret_token()
        await repository.retire_email_verifications(uow, user.id)
        await repository.add_email_verification(
            uow,
            user_id=user.id,
            email=user.email,
            token_hash=token.token_hash,
            expires_at=datetime.now(UTC) + VERIFICATION_TTL,
        )
        await self._emails.enqueue(uow, self._emails.verification(user.email, user.name, token.token))

    async def resend_verification(self, uow: UnitOfWork, user_id: uuid.UUID) -> None:
        """Send a fresh link (the older ones stop working); at most one a minute and five an hour."""
        user = await current_user(uow, user_id)
        if user.email_verified_at is not None:
            raise Conflict("this email is already verified", slug="already-verified")
        latest = await repository.latest_email_verification(uow, user.id)
        if latest is not None:
            wait = (latest.last_sent_at + VERIFICATION_RESEND_GAP - datetime.now(UTC)).total_seconds()
            if wait > 0:
                raise RateLimited(
                    f"a link was sent moments ago; try again in {int(wait) + 1} seconds",
                    slug="rate-limited",
                    retry_after=int(wait) + 1,
                )
        await self._limiter.hit(rate_limits.VERIFICATION_PER_USER, str(user.id))
        await self._send_verification(uow, user)
        self._log.add(uow, "verification_sent", user.id)

    async def verify_email(self, uow: UnitOfWork, token: str) -> User:
        """Mark the address verified; the link works once, for a day."""
        found = await repository.email_verification_by_hash(uow, hash_token(token)) if token else None
        if found is None:
            raise InvalidArgument("this verification link is not valid", slug="invalid-verification-token")
        if not await repository.consume_email_verification(uow, found.id):
            reason = "used" if found.consumed_at else "expired"
            raise InvalidArgument(f"this verification link has {reason}", slug=f"verification-link-{reason}")
        user = await current_user(uow, found.user_id)
        if user.email != found.email:
            raise InvalidArgument("this link was sent to an address the account no longer uses", slug="stale-link")
        if user.email_verified_at is None:
            user = await repository.update_user(uow, user, email_verified_at=datetime.now(UTC))
            self._log.add(uow, "email_verified", user.id)
            uow.emit(
                Event(
                    entity_type="user",
                    action="email_verified",
                    entity_id=str(user.id),
                    payload=events_pb2.EmailVerified(user_id=str(user.id), email=user.email),
                )
            )
        return user

    # --- magic links ---------------------------------------------------------------------

    async def request_magic_link(self, uow: UnitOfWork, *, email: str, next_path: str) -> None:
        """Email a one-time sign-in link if the address has an account (the answer never says)."""
        try:
            next_path = safe_next_path(next_path)
        except InvalidArgument:
            await self._log.record_now("open_redirect_blocked", None, next_path=next_path[:MAX_NEXT_PATH])
            raise
        email = normalise_email(email)
        await self._limiter.hit_per_client(rate_limits.MAGIC_LINK_PER_EMAIL, email, rate_limits.MAGIC_LINK_PER_IP)
        user = await repository.user_by_email(uow, email)
        if user is None or user.status != "active":
            return
        token = new_secret_token()
        await repository.add_magic_link(
            uow,
            user_id=user.id,
            token_hash=token.token_hash,
            next_path=next_path,
            expires_at=datetime.now(UTC) + MAGIC_LINK_TTL,
            ip=context.client_ip.get(),
        )
        await self._emails.enqueue(uow, self._emails.magic_link(user.email, token.token))
        self._log.add(uow, "magic_link_requested", user.id)

    async def consume_magic_link(self, uow: UnitOfWork, token: str) -> Session:
        """Sign in with a link from the email; it works once, for 15 minutes."""
        link = await repository.magic_link_by_hash(uow, hash_token(token)) if token else None
        if link is None:
            await self._log.record_now("magic_link_rejected", None, reason="unknown")
            raise Unauthenticated("this sign-in link is not valid", slug="invalid-magic-link")
        if not await repository.consume_magic_link(uow, link.id):
            reason = "replayed" if link.consumed_at else "expired"
            await self._log.record_now("magic_link_rejected", link.user_id, reason=reason)
            raise Unauthenticated(
                "this sign-in link was already used" if reason == "replayed" else "this sign-in link has expired",
                slug="magic-link-used" if reason == "replayed" else "magic-link-expired",
            )
        user = await current_user(uow, link.user_id)
        if user.email_verified_at is None:  # the link reached the inbox: the address is verified
            await repository.update_user(uow, user, email_verified_at=datetime.now(UTC))
        return await self.sessions.start(uow, user, method="magic_link", next_path=link.next_path)

    # --- passwords -----------------------------------------------------------------------

    async def request_password_reset(self, uow: UnitOfWork, *, email: str) -> None:
        """Email a six-digit code if the address has an account (the answer never says)."""
        email = normalise_email(email)
        await self._limiter.hit_per_client(rate_limits.RESET_PER_EMAIL, email, rate_limits.RESET_PER_IP)
        user = await repository.user_by_email(uow, email)
        if user is None or user.status != "active":
            return
        code = new_code()
        await repository.add_reset_code(
            uow,
            user_id=user.id,
            otp_hash=hash_code(self._secret, user.id, code),
            expires_at=datetime.now(UTC) + RESET_CODE_TTL,
        )
        await self._emails.enqueue(uow, self._emails.password_reset(user.email, code))
        self._log.add(uow, "password_reset_requested", user.id)

    async def confirm_password_reset(self, uow: UnitOfWork, *, email: str, code: str, new_password: str) -> None:
        """Set a new password with the emailed code; five wrong codes lock it."""
        email = normalise_email(email)
        await self._limiter.hit(rate_limits.RESET_CONFIRM_PER_EMAIL, email)
        if not _CODE.match(code):
            raise InvalidArgument("the code is six digits", slug="invalid-reset-code")
        user = await repository.user_by_email(uow, email)
        attempt = await self._take_reset_attempt(user.id) if user else None
        if user is None or attempt is None:
            await self._log.record_now("password_reset_failed", user.id if user else None, reason="no live code")
            latest = await repository.latest_reset_code(uow, user.id) if user else None
            if latest is not None and latest.locked_at is not None:
                raise FailedPrecondition("too many wrong codes; ask for a new one", slug="reset-code-locked")
            raise InvalidArgument("this code is not valid or has expired; ask for a new one", slug="invalid-reset-code")
        code_id, stored_hash, attempts, max_attempts = attempt
        if not hmac.compare_digest(stored_hash, hash_code(self._secret, user.id, code)):
            locked = attempts >= max_attempts
            await self._record_wrong_code(user.id, code_id, locked)
            if locked:
                raise FailedPrecondition("too many wrong codes; ask for a new one", slug="reset-code-locked")
            raise InvalidArgument(
                "this code is not right", slug="invalid-reset-code", attempts_left=max_attempts - attempts
            )
        _check_password(new_password, email=user.email, name=user.name)
        if not await repository.consume_reset_code(uow, code_id):
            raise InvalidArgument("this code was already used", slug="invalid-reset-code")
        await self._set_password(uow, user, new_password, method="reset")
        if user.email_verified_at is None:
            await repository.update_user(uow, user, email_verified_at=datetime.now(UTC))

    async def _take_reset_attempt(self, user_id: uuid.UUID) -> tuple[uuid.UUID, str, int, int] | None:
        """Count an attempt in its own transaction, so it counts even when the guess is wrong."""
        async with self._uow() as uow:
            row = await repository.take_reset_attempt(uow, user_id)
            await uow.commit()
        return (row.id, row.otp_hash, row.attempts, row.max_attempts) if row else None

    async def _record_wrong_code(self, user_id: uuid.UUID, code_id: uuid.UUID, locked: bool) -> None:
        async with self._uow() as uow:
            if locked:
                await repository.lock_reset_code(uow, code_id)
            self._log.add(
                uow, "password_reset_locked" if locked else "password_reset_failed", user_id, reason="wrong code"
            )
            await uow.commit()

    async def change_password(self, uow: UnitOfWork, user_id: uuid.UUID, *, current: str, new: str) -> None:
        """Replace the password (the current one must be given); every session ends."""
        user = await current_user(uow, user_id)
        if user.password_hash is None or not await self._passwords.verify(user.password_hash, current):
            await self._log.record_now("password_change_failed", user.id)
            raise PermissionDenied("the current password is wrong", slug="wrong-password")
        _check_password(new, email=user.email, name=user.name)
        await self._set_password(uow, user, new, method="change")

    async def _set_password(self, uow: UnitOfWork, user: User, password: str, *, method: str) -> None:
        await repository.update_user(
            uow, user, password_hash=await self._passwords.hash(password), password_changed_at=datetime.now(UTC)
        )
        await self.sessions.end_all(uow, user.id, reason=f"password_{method}")
        self._log.add(uow, "password_changed", user.id, method=method)

    async def update_me(self, uow: UnitOfWork, user_id: uuid.UUID, *, name: str | None) -> User:
        """Change the caller's name; ``identity.user.renamed.v1`` when it changed (others show names)."""
        user = await current_user(uow, user_id)
        if name is None or (new_name := clean_name(name)) == user.name:
            return user
        previous = user.name
        user = await repository.update_user(uow, user, name=new_name)
        uow.emit(
            Event(
                entity_type="user",
                action="renamed",
                entity_id=str(user.id),
                payload=events_pb2.UserRenamed(user_id=str(user.id), name=new_name, previous_name=previous),
                changes={"name": {"from": previous, "to": new_name}},
                snapshot={"id": user.id, "name": new_name},
            )
        )
        return user


def _check_password(password: str, *, email: str, name: str) -> None:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidArgument(f"password must be at most {MAX_PASSWORD_LENGTH} characters", slug="weak-password")
    check_strength(password, email=email, name=name)
