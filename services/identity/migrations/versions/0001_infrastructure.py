"""Infrastructure tables of schema identity: outbox, inbox, jobs, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from services.chassis.migrations import create_infrastructure_v1, drop_infrastructure_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_infrastructure_v1("identity")


def downgrade() -> None:
    drop_infrastructure_v1("identity")
