"""Alembic environment of schema ``planning`` (run through ``aira migrate``)."""

from services.planning.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
