"""Fixtures that run real services in this process, on real ports."""

from __future__ import annotations

import pytest

from services.agents.__main__ import SPEC as AGENTS
from services.identity.__main__ import SPEC as IDENTITY
from services.identity.settings import IdentitySettings
from services.planning.__main__ import SPEC as PLANNING
from services.team.__main__ import SPEC as TEAM
from tests.harness import running_service


def identity_settings(settings, smtp, **overrides) -> IdentitySettings:
    """Identity's settings for tests: mail to the test SMTP server, cheap password hashing (the
    real cost is measured in tests/perf/auth.py)."""
    values = settings.model_dump() | {"smtp_url": smtp.url, "argon2_memory_kib": 1024, "argon2_time_cost": 1}
    return IdentitySettings(**(values | overrides))


@pytest.fixture(scope="module")
async def identity_channel(settings, smtp):
    async with running_service(IDENTITY, identity_settings(settings, smtp)) as channel:
        yield channel


@pytest.fixture(scope="module")
async def agents_channel(settings):
    async with running_service(AGENTS, settings) as channel:
        yield channel


@pytest.fixture(scope="module")
async def planning_channel(settings):
    async with running_service(PLANNING, settings) as channel:
        yield channel


@pytest.fixture(scope="module")
async def team_channel(settings):
    async with running_service(TEAM, settings) as channel:
        yield channel
