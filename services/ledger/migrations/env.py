"""Alembic environment of schema ``ledger`` (run through ``aira migrate``)."""

from services.ledger.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
