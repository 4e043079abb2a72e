"""Alembic environment of schema ``ledger`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.ledger.models import metadata

run_env(metadata)
