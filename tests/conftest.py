"""Session fixtures: infrastructure, a migrated database, settings and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis import db
from services.chassis.keys import SecretKey
from services.chassis.migrations import migrate_all
from services.chassis.settings import SERVICES, Settings
from tests.harness import (
    Infra,
    PrincipalFactory,
    create_database,
    drop_database,
    infrastructure,
    make_settings,
    unique_name,
)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Infra:
    with infrastructure(tmp_path_factory.mktemp("infra")) as running:
        yield running


@pytest.fixture(scope="session")
async def settings(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """Settings of the session's deployment: a fresh, migrated database of its own."""
    name = unique_name("aira_test")
    url = await create_database(infra.server_url, name)
    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, url, infra.nats_url)
    await migrate_all(settings, SecretKey.load(settings.keys_path))
    yield settings
    await drop_database(infra.server_url, name)


@pytest.fixture(scope="session")
def principals(settings: Settings) -> PrincipalFactory:
    return PrincipalFactory(settings)


@pytest.fixture(scope="session")
async def admin_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(db.admin_url(settings), application_name="aira-tests", pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def service_engines(settings: Settings) -> AsyncIterator[dict[str, AsyncEngine]]:
    """One engine per service, connected as that service's own role."""
    secret = SecretKey.load(settings.keys_path)
    engines = {
        name: db.create_engine(db.service_url(settings, name, secret), application_name=f"test-{name}", pool_size=2)
        for name in SERVICES
    }
    yield engines
    for engine in engines.values():
        await engine.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table of every service schema (not the migration history)."""
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname = ANY(:schemas) AND tablename <> 'alembic_version'"
            ),
            {"schemas": list(SERVICES)},
        )
        tables = ", ".join(f'"{s}"."{t}"' for s, t in rows)
        if tables:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture
async def clean_db(admin_engine: AsyncEngine) -> AsyncIterator[None]:
    """A test that needs empty tables; they are emptied before it runs."""
    await truncate_all(admin_engine)
    yield


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    return tmp_path


from tests.mail import smtp  # noqa: E402,F401
from tests.services_fixtures import (  # noqa: E402,F401
    agents_channel,
    identity_channel,
    planning_channel,
    team_channel,
)
