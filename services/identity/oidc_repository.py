"""SQL of OIDC sign-in: the (issuer, subject) links in ``auth_oidc_identities``. Functions flush; the edge commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity.models import OidcIdentity


async def identity_by_subject(uow: UnitOfWork, issuer: str, subject: str) -> OidcIdentity | None:
    return (
        await uow.session.execute(
            select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
        )
    ).scalar_one_or_none()


async def add_identity(
    uow: UnitOfWork, *, user_id: uuid.UUID, provider: str, issuer: str, subject: str, email: str | None
) -> OidcIdentity:
    """Link (issuer, subject) to a user; Conflict when a concurrent sign-in linked it first."""
    row = OidcIdentity(
        id=uuid7(),
        user_id=user_id,
        provider=provider,
        issuer=issuer,
        subject=subject,
        email=email,
        last_login_at=func.now(),
    )
    uow.session.add(row)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("this sign-in is already linked to an account", slug="oidc-identity-linked") from exc
    return row


async def record_identity_login(uow: UnitOfWork, identity_id: uuid.UUID, email: str | None) -> None:
    """Stamp the link's last sign-in and keep the email the provider reports now."""
    values: dict[str, object] = {"last_login_at": func.now()}
    if email:
        values["email"] = email
    await uow.session.execute(update(OidcIdentity).where(OidcIdentity.id == identity_id).values(**values))
