"""Alembic environment of schema ``identity`` (run through ``aira migrate``)."""

from services.identity.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
