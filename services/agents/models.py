"""Tables of schema ``agents``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, MetaData, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "agents"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)

# Scope of the sequence of events that belong to no project (e.g. sign-ups).
GLOBAL_SCOPE = uuid.UUID(int=0)


class Base(DeclarativeBase):
    metadata = metadata


class AuditEvent(Base):
    """One domain event in a project's ordered, append-only audit log."""

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event_type: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(Text, nullable=False)
    entity_id: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    actor_type: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[str] = mapped_column(Text, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    producer: Mapped[str] = mapped_column(Text, nullable=False)
    trace_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint(
            "project_id", "sequence", name="uq_events_project_sequence", postgresql_nulls_not_distinct=True
        ),
        Index("ix_events_project_entity", "project_id", "entity_type", "sequence"),
    )


class EventSequence(Base):
    """The last sequence number handed out per project (GLOBAL_SCOPE for project-less events)."""

    __tablename__ = "event_sequences"

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
