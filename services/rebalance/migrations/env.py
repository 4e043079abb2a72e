"""Alembic environment of schema ``rebalance`` (run through ``aira migrate``)."""

from services.chassis.migrations import run_env
from services.rebalance.models import metadata

run_env(metadata)
