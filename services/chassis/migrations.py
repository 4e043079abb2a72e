"""Schemas, roles and Alembic migrations, one environment per service.

``prepare_database`` (run by ``aira migrate`` and ``aira up`` as the administrative user) creates
each service's role and schema; ``upgrade`` then runs that service's migrations *as its role*, so
the tables belong to the role and no other role can touch them. Each service's
``migrations/env.py`` is one call to :func:`run_env`.
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from services.chassis import db
from services.chassis.infra_tables import add_infrastructure_tables
from services.chassis.keys import SecretKey
from services.chassis.settings import SERVICES, Settings

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Serialises concurrent `aira migrate` runs (e.g. two Kubernetes Jobs) on one database.
_MIGRATION_LOCK = 0x41495241  # "AIRA"


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe SQL identifier: {name!r}")
    return f'"{name}"'


def script_location(service: str) -> Path:
    """Folder of ``service``'s Alembic environment."""
    module = importlib.import_module(f"services.{service}")
    return Path(next(iter(module.__path__))) / "migrations"


def alembic_config(service: str, connection: Connection | None = None) -> Config:
    """An Alembic config for ``service`` that reuses ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(script_location(service)))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["schema"] = service
    return config


def comparison_options(schema: str) -> dict:
    """How Alembic compares models with a database: this schema's objects only."""

    def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        return name == schema if type_ == "schema" else True

    def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        if type_ == "table" and name == "alembic_version":
            return False
        return getattr(table, "schema", schema) == schema

    return {
        "include_schemas": True,
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": True,
    }


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py``: migrate ``metadata.schema`` on the given connection."""
    schema = metadata.schema
    if schema is None:
        raise ValueError("a service's MetaData must name its schema")
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `aira migrate` (it supplies the connection)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        **comparison_options(schema),
    )
    with context.begin_transaction():
        context.run_migrations()


def create_infrastructure_v1(schema: str) -> None:
    """Create outbox, inbox, jobs and idempotency_keys in ``schema`` (call from a first migration).

    Built from the current definitions in ``infra_tables``. When those change, freeze this
    function first (copy today's definitions here) and add ``upgrade_infrastructure_v2``.
    """
    bind = op.get_bind()
    tables = add_infrastructure_tables(MetaData(schema=schema))
    for table in (tables.outbox, tables.inbox, tables.jobs, tables.idempotency_keys):
        table.create(bind)


def drop_infrastructure_v1(schema: str) -> None:
    """Undo :func:`create_infrastructure_v1`."""
    for name in ("idempotency_keys", "jobs", "inbox", "outbox"):
        op.drop_table(name, schema=schema)


async def prepare_database(engine: AsyncEngine, settings: Settings, secret: SecretKey) -> None:
    """Create every service's role (with its derived password) and schema; safe to repeat."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            database = (await conn.execute(text("SELECT current_database()"))).scalar_one()
            await conn.execute(text(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC"))
            await conn.execute(text("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
            for service in SERVICES:
                role = db.role_name(settings, service)
                password = db.role_password(secret, role)
                exists = (await conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})).scalar()
                if not exists:  # created without SUPERUSER, CREATEDB or CREATEROLE (the defaults)
                    await conn.execute(text(f"CREATE ROLE {_ident(role)} LOGIN"))
                # Naming role attributes such as NOSUPERUSER is refused to a non-superuser admin
                # (PostgreSQL 16+, e.g. a CloudNativePG owner), so only login and password change here.
                await conn.execute(text(f"ALTER ROLE {_ident(role)} WITH LOGIN PASSWORD '{password}'"))
                is_member = (
                    await conn.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": role})
                ).scalar()
                if not is_member:
                    await conn.execute(text(f"GRANT {_ident(role)} TO current_user"))
                await conn.execute(text(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {_ident(role)}"))
                await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_ident(service)} AUTHORIZATION {_ident(role)}"))
                await conn.execute(text(f"ALTER SCHEMA {_ident(service)} OWNER TO {_ident(role)}"))
                await conn.execute(text(f"REVOKE ALL ON SCHEMA {_ident(service)} FROM PUBLIC"))
                await conn.execute(
                    text(
                        f"ALTER ROLE {_ident(role)} IN DATABASE {_ident(database)} SET search_path = {_ident(service)}"
                    )
                )
            await conn.commit()
        finally:
            await _unlock(conn)


async def _unlock(conn: AsyncConnection) -> None:
    """Release the migration lock, after rolling back a failed step so its error stays the one reported."""
    await conn.rollback()
    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
    await conn.commit()


async def as_role(conn: AsyncConnection, settings: Settings, service: str) -> None:
    """Act as the service's role. The search path leaves the service schema out on purpose:
    Alembic then sees every table under its real schema name, so autogenerate compares like
    with like (migrations always qualify names with the schema)."""
    await conn.execute(text(f"SET ROLE {_ident(db.role_name(settings, service))}"))
    await conn.execute(text("SET search_path = pg_catalog"))


async def _runas_role(engine: AsyncEngine, settings: Settings, service: str, step) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            await as_role(conn, settings, service)
            await conn.run_sync(lambda sync: step(alembic_config(service, sync)))
            await conn.commit()
        finally:
            await conn.rollback()
            await conn.execute(text("RESET ROLE"))
            await _unlock(conn)


async def upgrade(engine: AsyncEngine, settings: Settings, service: str, revision: str = "head") -> None:
    """Run ``service``'s migrations up to ``revision`` as the service's own role."""
    await _runas_role(engine, settings, service, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, settings: Settings, service: str, revision: str) -> None:
    """Undo ``service``'s migrations down to ``revision`` (``base`` removes every table)."""
    await _runas_role(engine, settings, service, lambda config: command.downgrade(config, revision))


async def migrate_all(settings: Settings, secret: SecretKey, services: tuple[str, ...] = SERVICES) -> None:
    """Prepare the database and bring every service's schema to head."""
    engine = create_async_engine(db.admin_url(settings), pool_size=1, max_overflow=0)
    try:
        await prepare_database(engine, settings, secret)
        for service in services:
            await upgrade(engine, settings, service)
            log.info("migrated %s", service)
    finally:
        await engine.dispose()


async def new_revision(settings: Settings, service: str, message: str) -> None:
    """Autogenerate a migration for ``service`` from the difference between its models and the database."""
    engine = create_async_engine(db.admin_url(settings), pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            await as_role(conn, settings, service)
            await conn.run_sync(
                lambda sync: command.revision(alembic_config(service, sync), message=message, autogenerate=True)
            )
            await conn.rollback()
    finally:
        await engine.dispose()


async def current_revision(conn: AsyncConnection, schema: str) -> str:
    """The Alembic revision ``schema`` is at (empty before the first migration)."""
    result = await conn.execute(text(f"SELECT version_num FROM {_ident(schema)}.alembic_version"))
    return result.scalar_one_or_none() or ""


def head_revision(service: str) -> str:
    """The newest revision among ``service``'s migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(service)).get_current_head() or ""
