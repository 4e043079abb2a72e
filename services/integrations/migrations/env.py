"""Alembic environment of schema ``integrations`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.integrations.models import metadata

run_env(metadata)
