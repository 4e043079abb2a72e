"""SQL of passkeys: WebAuthn credentials and the one-time challenges of their ceremonies.

Functions flush; the edge commits. A challenge is spent with a conditional UPDATE, so of two
verifications racing with one challenge exactly one gets it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity.models import WebauthnChallenge, WebauthnCredential

# --- challenges ----------------------------------------------------------------------------


async def add_challenge(
    uow: UnitOfWork, *, challenge: bytes, purpose: str, user_id: uuid.UUID | None, expires_at: datetime
) -> None:
    uow.session.add(
        WebauthnChallenge(id=uuid7(), challenge=challenge, purpose=purpose, user_id=user_id, expires_at=expires_at)
    )
    await uow.session.flush()


async def spend_challenge(
    uow: UnitOfWork, challenge: bytes, purpose: str, *, owner: uuid.UUID | None
) -> WebauthnChallenge | None:
    """Mark a live challenge used and return it; None when it is unknown, spent or expired.

    With ``owner``, only a challenge issued to that user is spent (nobody burns another's).
    """
    statement = update(WebauthnChallenge).where(
        WebauthnChallenge.challenge == challenge,
        WebauthnChallenge.purpose == purpose,
        WebauthnChallenge.consumed_at.is_(None),
        WebauthnChallenge.expires_at > func.now(),
    )
    if owner is not None:
        statement = statement.where(WebauthnChallenge.user_id == owner)
    return (
        await uow.session.execute(statement.values(consumed_at=func.now()).returning(WebauthnChallenge))
    ).scalar_one_or_none()


async def challenge_by_value(uow: UnitOfWork, challenge: bytes, purpose: str) -> WebauthnChallenge | None:
    return (
        await uow.session.execute(
            select(WebauthnChallenge).where(
                WebauthnChallenge.challenge == challenge, WebauthnChallenge.purpose == purpose
            )
        )
    ).scalar_one_or_none()


async def purge_expired_challenges(uow: UnitOfWork) -> None:
    """Drop challenges a day after they stopped working (refusals are in the security log)."""
    await uow.session.execute(
        delete(WebauthnChallenge).where(WebauthnChallenge.expires_at < func.now() - timedelta(days=1))
    )


# --- credentials ---------------------------------------------------------------------------


async def add_credential(uow: UnitOfWork, credential: WebauthnCredential) -> WebauthnCredential:
    """Insert a credential; Conflict when its credential id is already registered (to anyone)."""
    uow.session.add(credential)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("this passkey is already registered", slug="passkey-already-registered") from exc
    await uow.session.refresh(credential)
    return credential


async def credentials_of(uow: UnitOfWork, user_id: uuid.UUID) -> list[WebauthnCredential]:
    """The user's passkeys, oldest first."""
    rows = await uow.session.execute(
        select(WebauthnCredential)
        .where(WebauthnCredential.user_id == user_id)
        .order_by(WebauthnCredential.created_at, WebauthnCredential.id)
    )
    return list(rows.scalars())


async def credential_for_sign_in(uow: UnitOfWork, credential_id: bytes) -> WebauthnCredential | None:
    """The credential with this WebAuthn id, locked, so concurrent sign-ins compare counts in turn."""
    return (
        await uow.session.execute(
            select(WebauthnCredential).where(WebauthnCredential.credential_id == credential_id).with_for_update()
        )
    ).scalar_one_or_none()


async def record_use(uow: UnitOfWork, passkey_id: uuid.UUID, *, sign_count: int, backed_up: bool) -> None:
    await uow.session.execute(
        update(WebauthnCredential)
        .where(WebauthnCredential.id == passkey_id)
        .values(sign_count=sign_count, backed_up=backed_up, last_used_at=func.now())
    )


async def delete_credential(uow: UnitOfWork, passkey_id: uuid.UUID, user_id: uuid.UUID) -> WebauthnCredential | None:
    """Delete one of the user's passkeys and return it; None when the user has no such passkey."""
    return (
        await uow.session.execute(
            delete(WebauthnCredential)
            .where(WebauthnCredential.id == passkey_id, WebauthnCredential.user_id == user_id)
            .returning(WebauthnCredential)
        )
    ).scalar_one_or_none()
