"""Tables of schema ``agents``: the audit log and its readable feed, errors, the AI gateway's calls,
prompts, budgets, usage and traces, and the orchestration queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "agents"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)

# Scope of the sequence of events that belong to no project (e.g. sign-ups).
GLOBAL_SCOPE = uuid.UUID(int=0)

LLM_CALL_STATUSES = ("reserved", "completed", "no_provider", "refused_budget", "invalid_output", "failed")
JOB_STATUSES = ("pending", "running", "done", "dead")
USD = Numeric(14, 6)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = metadata


# --- the audit log -------------------------------------------------------------------------


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
    recorded_at: Mapped[datetime] = _created()
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


class ActivityEntry(Base):
    """The audit log as people read it: one sentence per event, in the same order."""

    __tablename__ = "activity_log"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    actor_type: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[str] = mapped_column(Text, nullable=False)
    actor_name: Mapped[str] = mapped_column(Text, nullable=False)
    verb: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(Text, nullable=False)
    entity_id: Mapped[str] = mapped_column(Text, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_activity_log_project_sequence", "project_id", "sequence"),)


class KnownPerson(Base):
    """Names of people, learnt from identity's events, so the activity feed can say who did what."""

    __tablename__ = "known_people"

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = _created()


class ErrorEntry(Base):
    """An error a service reported through its ``<service>.error.recorded.v1`` events."""

    __tablename__ = "error_log"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    service: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    reference: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    trace_id: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_error_log_occurred_at", "occurred_at"),)


# --- the AI gateway ------------------------------------------------------------------------


class PromptVersion(Base):
    """An immutable prompt template; a new text under the same name is the next version."""

    __tablename__ = "prompt_versions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)  # usually the task, e.g. "features.generate"
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    content_hash: Mapped[str] = mapped_column(Text, nullable=False)  # SHA-256 of the template
    template: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),
        UniqueConstraint("name", "content_hash", name="uq_prompt_versions_name_hash"),
    )


class LlmCall(Base):
    """One request to the AI gateway: reserved before the provider is called, settled after."""

    __tablename__ = "llm_calls"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    agent: Mapped[str] = mapped_column(Text, nullable=False)  # the calling service
    task: Mapped[str] = mapped_column(Text, nullable=False)
    prompt_version_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("prompt_versions.id"))
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    model: Mapped[str] = mapped_column(Text, nullable=False)
    model_tier: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(USD, nullable=False, server_default=text("0"))
    reserved_usd: Mapped[Decimal] = mapped_column(USD, nullable=False, server_default=text("0"))
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default=text("0"))
    repaired: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    error: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", LLM_CALL_STATUSES), name="ck_llm_calls_status"),
        Index("ix_llm_calls_project_created", "project_id", "created_at"),
        Index("ix_llm_calls_reserved", "project_id", postgresql_where=text("status = 'reserved'")),
    )


class Budget(Base):
    """A project's spending limits for AI calls (USD); the hard limit refuses before any spend."""

    __tablename__ = "budgets"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    monthly_limit_usd: Mapped[Decimal | None] = mapped_column(USD)
    daily_limit_usd: Mapped[Decimal | None] = mapped_column(USD)
    alert_threshold: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, server_default=text("0.8"))
    hard_limit: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    alerted_month: Mapped[date | None] = mapped_column(Date)  # the month whose alert was sent
    alerted_day: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint("alert_threshold > 0 AND alert_threshold <= 1", name="ck_budgets_alert_threshold"),
        CheckConstraint("monthly_limit_usd IS NULL OR monthly_limit_usd >= 0", name="ck_budgets_monthly"),
        CheckConstraint("daily_limit_usd IS NULL OR daily_limit_usd >= 0", name="ck_budgets_daily"),
    )


class BillingUsage(Base):
    """What a project's AI calls cost in one month (kept exact as calls settle)."""

    __tablename__ = "billing_usage"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)  # first day of the month
    calls: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    input_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(USD, nullable=False, server_default=text("0"))
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("project_id", "month", name="uq_billing_usage_project_month"),)


class ProjectLlmSettings(Base):
    """Each project's provider and model choice, kept from identity's settings events."""

    __tablename__ = "project_llm_settings"

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    llm_provider: Mapped[str] = mapped_column(Text, nullable=False)
    llm_model: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = _created()


class TraceSpan(Base):
    """One timed step of a trace (e.g. an AI call inside a domain's workflow)."""

    __tablename__ = "trace_spans"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    trace_id: Mapped[str] = mapped_column(Text, nullable=False)
    span_id: Mapped[str] = mapped_column(Text, nullable=False)
    parent_span_id: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    agent: Mapped[str] = mapped_column(Text, nullable=False)  # the service that did the work
    graph: Mapped[str] = mapped_column(Text, nullable=False)  # the task or workflow
    name: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(USD, nullable=False, server_default=text("0"))
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_trace_spans_trace", "trace_id", "started_at"),)


# --- orchestration -------------------------------------------------------------------------


class OrchestrationJob(Base):
    """A unit of long work in the shared lease queue (heartbeats, reports, onboarding steps …)."""

    __tablename__ = "orchestration_jobs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    job_type: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[str | None] = mapped_column(Text)  # the workflow run the job belongs to
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'pending'"))
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default=text("0"))
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("5"))
    run_after: Mapped[datetime] = _created()
    lease_owner: Mapped[str | None] = mapped_column(Text)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text, unique=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="ck_orchestration_jobs_status"),
        Index(
            "ix_orchestration_jobs_claimable",
            "job_type",
            "priority",
            "run_after",
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
        Index("ix_orchestration_jobs_project", "project_id", "status", "id"),
    )
