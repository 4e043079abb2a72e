"""Alembic environment of schema ``identity`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.identity.models import metadata

run_env(metadata)
