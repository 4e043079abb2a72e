"""Alembic environment of schema ``team`` (run through ``aira migrate``)."""

from services.team.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
