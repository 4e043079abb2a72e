"""Alembic environment of schema ``team`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.team.models import metadata

run_env(metadata)
