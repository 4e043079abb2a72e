"""Alembic environment of schema ``planning`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.planning.models import metadata

run_env(metadata)
