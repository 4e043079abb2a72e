"""Alembic environment of schema ``rebalance`` (run through ``aira migrate``)."""

from services.rebalance.models import metadata
from services.chassis.migrations import run_env

run_env(metadata)
