"""ai gateway, activity, errors, orchestration

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "billing_usage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=6), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "month", name="uq_billing_usage_project_month"),
        schema="agents",
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("monthly_limit_usd", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("daily_limit_usd", sa.Numeric(precision=14, scale=6), nullable=True),
        sa.Column("alert_threshold", sa.Numeric(precision=4, scale=3), server_default=sa.text("0.8"), nullable=False),
        sa.Column("hard_limit", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("alerted_month", sa.Date(), nullable=True),
        sa.Column("alerted_day", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("alert_threshold > 0 AND alert_threshold <= 1", name="ck_budgets_alert_threshold"),
        sa.CheckConstraint("daily_limit_usd IS NULL OR daily_limit_usd >= 0", name="ck_budgets_daily"),
        sa.CheckConstraint("monthly_limit_usd IS NULL OR monthly_limit_usd >= 0", name="ck_budgets_monthly"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
        schema="agents",
    )
    op.create_table(
        "error_log",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=True),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_event_id"),
        schema="agents",
    )
    op.create_index("ix_error_log_occurred_at", "error_log", ["occurred_at"], unique=False, schema="agents")
    op.create_table(
        "known_people",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        schema="agents",
    )
    op.create_table(
        "orchestration_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("job_type", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempt_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="ck_orchestration_jobs_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        schema="agents",
    )
    op.create_index(
        "ix_orchestration_jobs_claimable",
        "orchestration_jobs",
        ["job_type", "priority", "run_after"],
        unique=False,
        schema="agents",
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.create_index(
        "ix_orchestration_jobs_project",
        "orchestration_jobs",
        ["project_id", "status", "id"],
        unique=False,
        schema="agents",
    )
    op.create_table(
        "project_llm_settings",
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("llm_provider", sa.Text(), nullable=False),
        sa.Column("llm_model", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("project_id"),
        schema="agents",
    )
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "content_hash", name="uq_prompt_versions_name_hash"),
        sa.UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),
        schema="agents",
    )
    op.create_table(
        "trace_spans",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("span_id", sa.Text(), nullable=False),
        sa.Column("parent_span_id", sa.Text(), nullable=True),
        sa.Column("project_id", sa.UUID(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("graph", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=6), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="agents",
    )
    op.create_index("ix_trace_spans_trace", "trace_spans", ["trace_id", "started_at"], unique=False, schema="agents")
    op.create_table(
        "activity_log",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("actor_type", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("verb", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["agents.events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema="agents",
    )
    op.create_index(
        "ix_activity_log_project_sequence", "activity_log", ["project_id", "sequence"], unique=False, schema="agents"
    )
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("prompt_version_id", sa.UUID(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("model_tier", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("output_tokens", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=14, scale=6), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved_usd", sa.Numeric(precision=14, scale=6), server_default=sa.text("0"), nullable=False),
        sa.Column("latency_ms", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("repaired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("trace_id", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('reserved', 'completed', 'no_provider', 'refused_budget', 'invalid_output', 'failed')",
            name="ck_llm_calls_status",
        ),
        sa.ForeignKeyConstraint(
            ["prompt_version_id"],
            ["agents.prompt_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="agents",
    )
    op.create_index(
        "ix_llm_calls_project_created", "llm_calls", ["project_id", "created_at"], unique=False, schema="agents"
    )
    op.create_index(
        "ix_llm_calls_reserved",
        "llm_calls",
        ["project_id"],
        unique=False,
        schema="agents",
        postgresql_where=sa.text("status = 'reserved'"),
    )


def downgrade() -> None:

    op.drop_index(
        "ix_llm_calls_reserved",
        table_name="llm_calls",
        schema="agents",
        postgresql_where=sa.text("status = 'reserved'"),
    )
    op.drop_index("ix_llm_calls_project_created", table_name="llm_calls", schema="agents")
    op.drop_table("llm_calls", schema="agents")
    op.drop_index("ix_activity_log_project_sequence", table_name="activity_log", schema="agents")
    op.drop_table("activity_log", schema="agents")
    op.drop_index("ix_trace_spans_trace", table_name="trace_spans", schema="agents")
    op.drop_table("trace_spans", schema="agents")
    op.drop_table("prompt_versions", schema="agents")
    op.drop_table("project_llm_settings", schema="agents")
    op.drop_index("ix_orchestration_jobs_project", table_name="orchestration_jobs", schema="agents")
    op.drop_index(
        "ix_orchestration_jobs_claimable",
        table_name="orchestration_jobs",
        schema="agents",
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.drop_table("orchestration_jobs", schema="agents")
    op.drop_table("known_people", schema="agents")
    op.drop_index("ix_error_log_occurred_at", table_name="error_log", schema="agents")
    op.drop_table("error_log", schema="agents")
    op.drop_table("budgets", schema="agents")
    op.drop_table("billing_usage", schema="agents")
