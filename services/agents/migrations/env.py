"""Alembic environment of schema ``agents`` (run through ``aira migrate``)."""

from services.agents.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
