"""Database access: URLs, one async engine per process, and each service's own role.

Every service connects as its own PostgreSQL role (``<prefix><service>``) that owns its schema and
nothing else. Without an explicit ``AIRA_SERVICE_DATABASE_URL`` the URL is derived from the
administrative URL by swapping in that role and a password derived from the secret key, so one
setting configures a whole local install.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services.chassis.keys import SecretKey
from services.chassis.settings import Settings


def to_async_url(url: str | URL) -> URL:
    """A SQLAlchemy asyncpg URL from a plain ``postgresql://`` URL (socket form ``?host=/dir`` kept)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername not in ("postgresql", "postgres", "postgresql+asyncpg"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}://…")
    return parsed.set(drivername="postgresql+asyncpg")


def role_name(settings: Settings, service: str) -> str:
    """The database role ``service`` connects as."""
    return f"{settings.db_role_prefix}{service}"


def role_password(secret: SecretKey, role: str) -> str:
    """The password of ``role``, derived so it never needs storing."""
    return secret.derive(f"database-role:{role}").hex()


def admin_url(settings: Settings) -> URL:
    """The administrative URL (creates schemas and roles, runs migrations)."""
    if not settings.database_url:
        raise RuntimeError("AIRA_DATABASE_URL is not set and no embedded PostgreSQL was started")
    return to_async_url(settings.database_url)


def service_url(settings: Settings, service: str, secret: SecretKey) -> URL:
    """The URL ``service`` connects with: its own role on the shared database."""
    if settings.service_database_url:
        return to_async_url(settings.service_database_url)
    role = role_name(settings, service)
    return admin_url(settings).set(username=role, password=role_password(secret, role))


def asyncpg_connect_kwargs(url: URL) -> dict[str, Any]:
    """Keyword arguments for ``asyncpg.connect`` equivalent to ``url``."""
    kwargs: dict[str, Any] = {
        "user": url.username,
        "password": url.password,
        "database": url.database,
        "host": url.host or url.query.get("host"),
        "port": url.port or (int(url.query["port"]) if "port" in url.query else None),
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def create_engine(url: URL, *, application_name: str, pool_size: int = 10) -> AsyncEngine:
    """The one engine of a process."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": application_name}},
    )


class _ReadConnection(asyncpg.Connection):
    """A connection that only ever runs single read statements outside transactions, so it holds
    no session state and needs no reset (asyncpg's reset costs a round trip on every release)."""

    def get_reset_query(self) -> str:
        return ""


async def create_read_pool(url: URL, *, application_name: str, size: int) -> asyncpg.Pool:
    """The asyncpg pool that serves compiled hot-path reads (``services.chassis.sql``)."""
    return await asyncpg.create_pool(
        **asyncpg_connect_kwargs(url),
        min_size=1,
        max_size=size,
        connection_class=_ReadConnection,
        server_settings={"application_name": application_name, "default_transaction_read_only": "on"},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never expire objects on commit (they are read after the edge commits)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
