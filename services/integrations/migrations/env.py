"""Alembic environment of schema ``integrations`` (run through ``aira migrate``)."""

from services.integrations.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
