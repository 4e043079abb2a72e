"""SQL of the MCP OAuth authorization server (``mcp_oauth_*`` tables). Functions flush; the edge commits.

Codes and refresh tokens are looked up by their SHA-256. Spending either is one conditional
UPDATE, so of two concurrent uses exactly one wins. Dead ones are purged a day after they died.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis.errors import Conflict
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork
from services.identity.models import McpOAuthAuthorizationCode, McpOAuthClient, McpOAuthRefreshToken

# --- clients -------------------------------------------------------------------------------


async def add_client(uow: UnitOfWork, client: McpOAuthClient) -> McpOAuthClient:
    uow.session.add(client)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("this client id is already registered", slug="mcp-client-exists") from exc
    await uow.session.refresh(client)
    return client


async def client(uow: UnitOfWork, client_id: str) -> McpOAuthClient | None:
    """An active client, or None."""
    return (
        await uow.session.execute(
            select(McpOAuthClient).where(McpOAuthClient.client_id == client_id, McpOAuthClient.is_active.is_(True))
        )
    ).scalar_one_or_none()


# --- authorization codes -------------------------------------------------------------------


async def add_code(uow: UnitOfWork, **values: Any) -> McpOAuthAuthorizationCode:
    code = McpOAuthAuthorizationCode(id=uuid7(), **values)
    uow.session.add(code)
    await uow.session.flush()
    return code


async def code_by_hash(uow: UnitOfWork, code_hash: str) -> McpOAuthAuthorizationCode | None:
    return (
        await uow.session.execute(
            select(McpOAuthAuthorizationCode).where(McpOAuthAuthorizationCode.code_hash == code_hash)
        )
    ).scalar_one_or_none()


async def spend_code(uow: UnitOfWork, code_hash: str, client_id: str) -> McpOAuthAuthorizationCode | None:
    """Mark a live code of ``client_id`` consumed and return it; None when it is spent, expired or unknown."""
    return (
        await uow.session.execute(
            update(McpOAuthAuthorizationCode)
            .where(
                McpOAuthAuthorizationCode.code_hash == code_hash,
                McpOAuthAuthorizationCode.client_id == client_id,
                McpOAuthAuthorizationCode.consumed_at.is_(None),
                McpOAuthAuthorizationCode.expires_at > func.now(),
            )
            .values(consumed_at=func.now())
            .returning(McpOAuthAuthorizationCode)
        )
    ).scalar_one_or_none()


# --- refresh tokens ------------------------------------------------------------------------


async def add_refresh_token(
    uow: UnitOfWork,
    *,
    token_hash: str,
    client_id: str,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    family_id: uuid.UUID,
    scopes: list[str],
    resource: str | None,
    expires_at: datetime,
) -> McpOAuthRefreshToken:
    token = McpOAuthRefreshToken(
        id=uuid7(),
        token_hash=token_hash,
        client_id=client_id,
        user_id=user_id,
        project_id=project_id,
        family_id=family_id,
        scopes=scopes,
        resource=resource,
        expires_at=expires_at,
    )
    uow.session.add(token)
    await uow.session.flush()
    return token


async def refresh_token_by_hash(uow: UnitOfWork, token_hash: str) -> McpOAuthRefreshToken | None:
    return (
        await uow.session.execute(select(McpOAuthRefreshToken).where(McpOAuthRefreshToken.token_hash == token_hash))
    ).scalar_one_or_none()


async def spend_refresh_token(uow: UnitOfWork, token_id: uuid.UUID) -> bool:
    """Mark a live token used; False when it was used, revoked or expired in the meantime."""
    result = await uow.session.execute(
        update(McpOAuthRefreshToken)
        .where(
            McpOAuthRefreshToken.id == token_id,
            McpOAuthRefreshToken.used_at.is_(None),
            McpOAuthRefreshToken.revoked_at.is_(None),
            McpOAuthRefreshToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
    )
    return result.rowcount == 1


async def revoke_family(uow: UnitOfWork, family_id: uuid.UUID) -> int:
    """Revoke every live token of a family; how many there were."""
    result = await uow.session.execute(
        update(McpOAuthRefreshToken)
        .where(McpOAuthRefreshToken.family_id == family_id, McpOAuthRefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return result.rowcount or 0


async def family_is_live(uow: UnitOfWork, family_id: uuid.UUID) -> bool:
    """Whether the family has a token nobody revoked (revocation marks every one of them)."""
    return bool(
        await uow.session.scalar(
            select(
                exists().where(McpOAuthRefreshToken.family_id == family_id, McpOAuthRefreshToken.revoked_at.is_(None))
            )
        )
    )


async def live_tokens_of(uow: UnitOfWork, user_id: uuid.UUID) -> list[McpOAuthRefreshToken]:
    """The person's refresh tokens that are neither revoked nor expired, oldest first."""
    query = (
        select(McpOAuthRefreshToken)
        .where(
            McpOAuthRefreshToken.user_id == user_id,
            McpOAuthRefreshToken.revoked_at.is_(None),
            McpOAuthRefreshToken.expires_at > func.now(),
        )
        .order_by(McpOAuthRefreshToken.created_at, McpOAuthRefreshToken.id)
    )
    return list((await uow.session.execute(query)).scalars())


async def connected_at(uow: UnitOfWork, family_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each family began (its first token still kept)."""
    query = (
        select(McpOAuthRefreshToken.family_id, func.min(McpOAuthRefreshToken.created_at))
        .where(McpOAuthRefreshToken.family_id.in_(family_ids))
        .group_by(McpOAuthRefreshToken.family_id)
    )
    return {key: value for key, value in (await uow.session.execute(query)).all()}


async def clients_named(uow: UnitOfWork, client_ids: list[str]) -> dict[str, str]:
    query = select(McpOAuthClient.client_id, McpOAuthClient.client_name).where(McpOAuthClient.client_id.in_(client_ids))
    return {client_id: name or "" for client_id, name in (await uow.session.execute(query)).all()}


async def revoke_family_of(uow: UnitOfWork, user_id: uuid.UUID, family_id: uuid.UUID) -> McpOAuthRefreshToken | None:
    """Revoke the person's family; one of its tokens when there was anything live to revoke."""
    result = await uow.session.execute(
        update(McpOAuthRefreshToken)
        .where(
            McpOAuthRefreshToken.user_id == user_id,
            McpOAuthRefreshToken.family_id == family_id,
            McpOAuthRefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
        .returning(McpOAuthRefreshToken)
    )
    return result.scalars().first()


# --- housekeeping --------------------------------------------------------------------------


async def purge_dead_credentials(uow: UnitOfWork) -> None:
    """Drop codes a day after they expired, refresh tokens a day after they expired or were revoked,
    and clients with neither left.

    Until then a replayed one is still recognised as such and logged for its owner; after, it is
    simply unknown, and refused all the same. No grant changes: a family is live while it has an
    unrevoked token (``family_is_live``), and an unrevoked token goes only a day after it expired,
    long after the hour-long access token issued with it.
    """
    cutoff = func.now() - timedelta(days=1)
    await uow.session.execute(delete(McpOAuthAuthorizationCode).where(McpOAuthAuthorizationCode.expires_at < cutoff))
    await uow.session.execute(
        delete(McpOAuthRefreshToken).where(
            or_(McpOAuthRefreshToken.expires_at < cutoff, McpOAuthRefreshToken.revoked_at < cutoff)
        )
    )
    # A client with no code and no token left is unused: registered and abandoned, or every grant
    # it had ended more than a day ago. Registration is open, so they would otherwise pile up; a
    # client that comes back registers again.
    await uow.session.execute(
        delete(McpOAuthClient).where(
            McpOAuthClient.created_at < cutoff,
            ~exists().where(McpOAuthAuthorizationCode.client_id == McpOAuthClient.client_id),
            ~exists().where(McpOAuthRefreshToken.client_id == McpOAuthClient.client_id),
        )
    )
