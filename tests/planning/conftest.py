"""Fixtures of the planning tests: planning's own engine, and a new project of the test's own as
each group of tests knows it (defined beside their helpers in the ``*_support`` modules)."""

from __future__ import annotations

import pytest

from tests.planning.sources_support import team  # noqa: F401
from tests.planning.sprints_support import board  # noqa: F401
from tests.planning.work_support import project  # noqa: F401


@pytest.fixture
def engine(service_engines):
    """Planning's engine, connected as planning's own role."""
    return service_engines["planning"]
