"""Fixtures that run real services in this process, on real ports."""

from __future__ import annotations

import pytest

from services.agents.__main__ import SPEC as AGENTS
from services.identity.__main__ import SPEC as IDENTITY
from services.identity.settings import IdentitySettings
from tests.harness import running_service


@pytest.fixture(scope="module")
async def identity_channel(settings):
    """The identity service, with cheap password hashing for speed (the cost is measured in perf)."""
    fast = IdentitySettings(**settings.model_dump(), argon2_memory_kib=1024, argon2_time_cost=1)
    async with running_service(IDENTITY, fast) as channel:
        yield channel


@pytest.fixture(scope="module")
async def agents_channel(settings):
    async with running_service(AGENTS, settings) as channel:
        yield channel
