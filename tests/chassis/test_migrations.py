"""Migrations build every schema from nothing, agree with the models, and isolate the services."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis import db
from services.chassis.keys import SecretKey
from services.chassis.migrations import as_role, comparison_options, downgrade, migrate_all
from services.chassis.settings import SERVICES, Settings
from tests.harness import create_database, drop_database, make_settings, unique_name


@pytest.mark.parametrize("service", SERVICES)
async def test_models_match_migrations(service: str, admin_engine: AsyncEngine, settings: Settings) -> None:
    metadata = importlib.import_module(f"services.{service}.models").metadata

    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn, opts=comparison_options(service)), metadata)

    async with admin_engine.connect() as conn:
        await as_role(conn, settings, service)  # as `aira revision` compares
        differences = await conn.run_sync(diff)
    assert differences == [], f"models and migrations of {service} differ; run `aira revision {service} -m ...`"


@pytest.mark.parametrize("service", SERVICES)
async def test_tables_belong_to_the_service_role(service: str, admin_engine: AsyncEngine, settings: Settings) -> None:
    async with admin_engine.connect() as conn:
        owners = set(
            (
                await conn.execute(
                    text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :s"), {"s": service}
                )
            ).scalars()
        )
    assert owners == {db.role_name(settings, service)}


@pytest.mark.parametrize(
    ("service", "statement"),
    [
        ("planning", "SELECT count(*) FROM identity.users"),
        ("identity", "INSERT INTO agents.outbox (id, subject, payload) VALUES (gen_random_uuid(), 'x', '')"),
        ("agents", "UPDATE identity.projects SET name = 'taken'"),
        ("identity", "CREATE TABLE public.sneaky (id int)"),
        ("team", "CREATE TABLE planning.sneaky (id int)"),
    ],
)
async def test_a_service_cannot_touch_another_schema(
    service: str, statement: str, service_engines: dict[str, AsyncEngine]
) -> None:
    async with service_engines[service].connect() as conn:
        with pytest.raises(DBAPIError, match="permission denied"):
            await conn.execute(text(statement))


async def test_migrations_are_repeatable_and_reversible(infra, tmp_path) -> None:
    """From an empty database to head, down to nothing and up again; a second run changes nothing."""
    name = unique_name("aira_mig")
    url = await create_database(infra.server_url, name)
    try:
        settings = make_settings(tmp_path, url, infra.nats_url)
        secret = SecretKey.load(settings.keys_path)
        await migrate_all(settings, secret)
        await migrate_all(settings, secret)
        engine = db.create_engine(db.admin_url(settings), application_name="test", pool_size=1)
        try:
            for service in SERVICES:
                await downgrade(engine, settings, service, "base")
                async with engine.connect() as conn:
                    left = (
                        await conn.execute(
                            text(
                                "SELECT count(*) FROM pg_tables "
                                "WHERE schemaname = :s AND tablename <> 'alembic_version'"
                            ),
                            {"s": service},
                        )
                    ).scalar_one()
                assert left == 0, f"{service} left {left} tables after downgrade"
            await migrate_all(settings, secret)
        finally:
            await engine.dispose()
    finally:
        await drop_database(infra.server_url, name)


async def test_socket_urls_work(infra, tmp_path) -> None:
    """A plain ``postgresql://user@/db?host=/dir`` URL migrates like a TCP one."""
    if infra.postgres is None or infra.postgres.socket_dir is None:
        pytest.skip("needs the embedded server's socket")
    name = unique_name("aira_sock")
    await create_database(infra.server_url, name)
    try:
        settings = make_settings(tmp_path, infra.postgres.socket_url(name), infra.nats_url)
        await migrate_all(settings, SecretKey.load(settings.keys_path), services=("identity",))
        engine = db.create_engine(
            db.service_url(settings, "identity", SecretKey.load(settings.keys_path)), application_name="t", pool_size=1
        )
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "aira_identity"
        finally:
            await engine.dispose()
    finally:
        await drop_database(infra.server_url, name)
