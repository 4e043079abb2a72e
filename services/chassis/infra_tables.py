"""Infrastructure tables every service schema holds: outbox, inbox, jobs and idempotency keys.

A service adds them to its own ``MetaData`` with :func:`add_infrastructure_tables`; its first
migration creates them with :func:`services.chassis.migrations.create_infrastructure_v1`, and a
test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID


@dataclass(frozen=True)
class InfraTables:
    outbox: Table
    inbox: Table
    jobs: Table
    idempotency_keys: Table


def _now() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def add_infrastructure_tables(metadata: MetaData) -> InfraTables:
    """Declare the infrastructure tables in ``metadata`` (whose schema is the service's)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),  # the event id, stable across retries
        Column("subject", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),  # serialized EventEnvelope
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        _now(),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index("ix_outbox_pending", "id", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("subject", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_inbox_received_at", "received_at"),
    )
    jobs = Table(
        "jobs",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("kind", Text, nullable=False),
        Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("status", Text, nullable=False, server_default=text("'pending'")),
        Column("priority", SmallInteger, nullable=False, server_default=text("0")),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("max_attempts", Integer, nullable=False, server_default=text("5")),
        Column("run_after", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("lease_owner", Text),
        Column("lease_expires_at", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("idempotency_key", Text, unique=True),
        _now(),
        Column("finished_at", DateTime(timezone=True)),
        Index(
            "ix_jobs_claimable",
            "priority",
            "run_after",
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("scope", Text, primary_key=True),  # the caller (principal subject)
        Column("key", Text, primary_key=True),
        Column("method", Text, nullable=False),
        Column("request_hash", LargeBinary, nullable=False),
        Column("reply", LargeBinary, nullable=False),
        _now(),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )
    return InfraTables(outbox=outbox, inbox=inbox, jobs=jobs, idempotency_keys=idempotency_keys)
