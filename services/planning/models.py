"""Tables of schema ``planning``: sources, insights, features, tasks, sprints, pull requests, sprint
planning requests and repository analyses, plus what planning knows of each project.

Ids of other domains (users, team members, ledger atoms) are plain UUID columns: planning never
joins across schemas (decision 0002); it learns what it needs from events and gRPC.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "planning"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)

# The product's vocabulary (SPEC §2); the API uses these exact words.
SOURCE_TYPES = ("text", "markdown", "pdf", "docx", "json", "csv", "repository_analysis")
INSIGHT_KINDS = (
    "pain_point",
    "feature_request",
    "requirement",
    "risk",
    "decision",
    "question",
    "metric",
    "opportunity",
    "fact",
)
IMPACTS = ("low", "medium", "high", "critical")
INSIGHT_STATUSES = ("new", "kept", "dismissed", "linked")
FEATURE_STATUSES = ("backlog", "planned", "in_progress", "done", "shipped")
TASK_TYPES = ("development", "design", "testing", "documentation", "research", "ops")
TASK_STATUSES = ("backlog", "todo", "in_progress", "review", "done")
PRIORITIES = ("low", "medium", "high", "critical")
COMPLEXITIES = ("low", "medium", "high")
SPRINT_STATUSES = ("planned", "active", "completed")
PR_STATES = ("open", "closed", "merged")
PR_LINK_METHODS = ("branch", "body", "manual")
RUN_STATUSES = ("queued", "running", "completed", "failed")
PLAN_REQUEST_TYPES = ("next_sprint", "features", "backlog")
HOURS = Numeric(10, 2)  # committed and completed hours add up exactly


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True)


def _project() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), nullable=False)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _reference(column: str) -> Mapped[uuid.UUID | None]:
    """An optional reference inside this schema that empties when its row goes."""
    return mapped_column(UUID(as_uuid=True), ForeignKey(column, ondelete="SET NULL"))


def _when() -> Mapped[datetime | None]:
    return mapped_column(DateTime(timezone=True))


def _json_list() -> Mapped[list[Any]]:
    return mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))


def _json_object() -> Mapped[dict[str, Any]]:
    return mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = metadata


class ProjectProfile(Base):
    """What planning knows of a project: its task key prefix, counters and the settings it obeys
    (learnt from identity's events; created on first use)."""

    __tablename__ = "project_profiles"

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    task_key_prefix: Mapped[str] = mapped_column(Text, nullable=False)
    last_task_number: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_sprint_number: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    pr_automation_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    allow_parallel_sprints: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint("task_key_prefix ~ '^[A-Z][A-Z0-9]{0,9}$'", name="ck_profiles_key_prefix"),)


class Source(Base):
    """Raw material a team gave Aira, normalised to text (never raw code or the uploaded bytes)."""

    __tablename__ = "sources"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    type: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    title: Mapped[str] = mapped_column(Text, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    analyzed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    content_hash: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    storage_uri: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    stats: Mapped[dict[str, Any]] = _json_object()
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    last_analyzed_at: Mapped[datetime | None] = _when()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("type", SOURCE_TYPES), name="ck_sources_type"),
        # The same content twice is the same source (SPEC §2).
        UniqueConstraint("project_id", "content_hash", name="uq_sources_project_content"),
        Index("ix_sources_project_created", "project_id", "created_at", "id"),
    )


class Insight(Base):
    """A finding shown to people: the user-facing view of a ledger atom, or written by hand."""

    __tablename__ = "insights"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("sources.id", ondelete="SET NULL")
    )
    atom_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    domain: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    impact: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'new'"))
    linked_feature_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("features.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = _json_list()
    origin: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'manual'"))
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(body, '')), 'B') || "
            "setweight(to_tsvector('english', coalesce(domain, '')), 'C')",
            persisted=True,
        ),
    )
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("type", INSIGHT_KINDS), name="ck_insights_type"),
        CheckConstraint(_in("impact", IMPACTS), name="ck_insights_impact"),
        CheckConstraint(_in("status", INSIGHT_STATUSES), name="ck_insights_status"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="ck_insights_confidence"),
        CheckConstraint("origin IN ('manual', 'ledger')", name="ck_insights_origin"),
        Index("ix_insights_project_created", "project_id", "created_at", "id"),
        Index("ix_insights_search", "search", postgresql_using="gin"),
        Index("ix_insights_tags", "tags", postgresql_using="gin"),
        Index("uq_insights_atom", "project_id", "atom_id", unique=True, postgresql_where=text("atom_id IS NOT NULL")),
    )


class Feature(Base):
    """Something worth building, scored by RICE; moves backlog → planned → in_progress → done → shipped."""

    __tablename__ = "features"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    rationale: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    objective: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    definition_of_done: Mapped[list[str]] = _json_list()
    effort_estimate: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    impact_estimate: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    # RICE inputs; priority_score = reach × impact × confidence ÷ effort, recomputed on every change.
    reach: Mapped[float | None] = mapped_column(Float)
    impact: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    effort: Mapped[float | None] = mapped_column(Float)
    priority_score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'backlog'"))
    atom_ids: Mapped[list[str]] = _json_list()
    origin: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'manual'"))
    shipped_at: Mapped[datetime | None] = _when()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("status", FEATURE_STATUSES), name="ck_features_status"),
        CheckConstraint("origin IN ('manual', 'generated')", name="ck_features_origin"),
        CheckConstraint("effort IS NULL OR effort > 0", name="ck_features_effort"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="ck_features_confidence"),
        Index("ix_features_project_created", "project_id", "created_at", "id"),
    )


class FeatureInsight(Base):
    """Which insights a feature answers."""

    __tablename__ = "feature_insights"

    feature_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("features.id", ondelete="CASCADE"), primary_key=True
    )
    insight_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("insights.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[uuid.UUID] = _project()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_feature_insights_insight", "insight_id"),)


class Sprint(Base):
    """A numbered time box; planned → active → completed."""

    __tablename__ = "sprints"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    goal: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'planned'"))
    committed_hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False, server_default=text("0"))
    completed_hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False, server_default=text("0"))
    velocity: Mapped[Decimal | None] = mapped_column(HOURS)
    story_ids: Mapped[list[str]] = _json_list()
    start_date: Mapped[datetime | None] = _when()
    end_date: Mapped[datetime | None] = _when()
    started_at: Mapped[datetime | None] = _when()
    completed_at: Mapped[datetime | None] = _when()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("status", SPRINT_STATUSES), name="ck_sprints_status"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date > start_date", name="ck_sprints_dates"),
        UniqueConstraint("project_id", "number", name="uq_sprints_project_number"),
    )


class Task(Base):
    """A piece of work with a project-unique key (``AIR-42``); backlog → todo → in_progress → review → done."""

    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    feature_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("features.id", ondelete="SET NULL")
    )
    sprint_id: Mapped[uuid.UUID | None] = _reference("sprints.id")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # a team member (team service)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    proposed_solutions: Mapped[list[str]] = _json_list()
    acceptance_criteria: Mapped[list[str]] = _json_list()
    required_skills: Mapped[list[str]] = _json_list()
    type: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'development'"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'backlog'"))
    priority: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'medium'"))
    complexity: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'medium'"))
    estimated_hours: Mapped[Decimal | None] = mapped_column(HOURS)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    due_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'manual'"))
    completed_at: Mapped[datetime | None] = _when()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("type", TASK_TYPES), name="ck_tasks_type"),
        CheckConstraint(_in("status", TASK_STATUSES), name="ck_tasks_status"),
        CheckConstraint(_in("priority", PRIORITIES), name="ck_tasks_priority"),
        CheckConstraint(_in("complexity", COMPLEXITIES), name="ck_tasks_complexity"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_tasks_progress"),
        CheckConstraint("estimated_hours IS NULL OR estimated_hours >= 0", name="ck_tasks_hours"),
        CheckConstraint("origin IN ('manual', 'breakdown', 'import')", name="ck_tasks_origin"),
        UniqueConstraint("project_id", "number", name="uq_tasks_project_number"),
        UniqueConstraint("project_id", "key", name="uq_tasks_project_key"),
        Index("ix_tasks_project_created", "project_id", "created_at", "id"),
        Index("ix_tasks_sprint", "sprint_id"),
        Index("ix_tasks_feature", "feature_id"),
    )


class TaskPullRequest(Base):
    """A pull request linked to a task, by branch name, by "Closes KEY" in its body, or by hand."""

    __tablename__ = "task_pull_requests"

    id: Mapped[uuid.UUID] = _uuid_pk()
    task_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = _project()
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    repo_full_name: Mapped[str] = mapped_column(Text, nullable=False)
    pr_number: Mapped[int] = mapped_column(Integer, nullable=False)
    pr_state: Mapped[str] = mapped_column(Text, nullable=False)
    pr_url: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    title: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    branch: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    link_method: Mapped[str] = mapped_column(Text, nullable=False)
    merged_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("pr_state", PR_STATES), name="ck_task_prs_state"),
        CheckConstraint(_in("link_method", PR_LINK_METHODS), name="ck_task_prs_link_method"),
        CheckConstraint("pr_number > 0", name="ck_task_prs_number"),
        UniqueConstraint("task_id", "provider", "repo_full_name", "pr_number", name="uq_task_prs_task_pr"),
        Index("ix_task_prs_pr", "project_id", "provider", "repo_full_name", "pr_number"),
    )


class SprintPlanningRequest(Base):
    """A request to plan a sprint, solved in the background; holds the explained plan."""

    __tablename__ = "sprint_planning_requests"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    request_type: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    sprint_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("sprints.id", ondelete="SET NULL")
    )
    parameters: Mapped[dict[str, Any]] = _json_object()
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    applied_at: Mapped[datetime | None] = _when()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = _when()
    finished_at: Mapped[datetime | None] = _when()

    __table_args__ = (
        CheckConstraint(_in("request_type", PLAN_REQUEST_TYPES), name="ck_plan_requests_type"),
        CheckConstraint(_in("status", RUN_STATUSES), name="ck_plan_requests_status"),
        Index("ix_plan_requests_project_created", "project_id", "created_at", "id"),
    )


class _AnalysisRun:
    """Columns of a repository analysis run (quick and full runs keep the same record)."""

    _constraint_prefix: str

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    total_count: Mapped[int] = mapped_column(Integer, nullable=False)
    completed_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    error: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = _when()
    finished_at: Mapped[datetime | None] = _when()

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        prefix = cls._constraint_prefix
        return (
            CheckConstraint(_in("status", RUN_STATUSES), name=f"ck_{prefix}_status"),
            CheckConstraint("completed_count + failed_count <= total_count", name=f"ck_{prefix}_counts"),
            Index(f"ix_{prefix}_project_created", "project_id", "created_at", "id"),
        )


class _AnalysisItem:
    """Columns of one repository of a run: where it is, how it went, the source holding its analysis."""

    _constraint_prefix: str
    _runs_table: str

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project()
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    location: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    summary: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source_id: Mapped[uuid.UUID | None] = _reference("sources.id")
    error: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    error_slug: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    started_at: Mapped[datetime | None] = _when()
    finished_at: Mapped[datetime | None] = _when()

    @declared_attr
    def run_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            UUID(as_uuid=True), ForeignKey(f"{cls._runs_table}.id", ondelete="CASCADE"), nullable=False
        )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        prefix = cls._constraint_prefix
        return (
            CheckConstraint(_in("status", RUN_STATUSES), name=f"ck_{prefix}_status"),
            UniqueConstraint("run_id", "position", name=f"uq_{prefix}_run_position"),
        )


class RepositoryAnalysisRun(_AnalysisRun, Base):
    """A quick analysis of one or more repositories (languages, layout, dependencies, conventions)."""

    __tablename__ = "repository_analysis_runs"
    _constraint_prefix = "repo_runs"


class RepositoryAnalysisItem(_AnalysisItem, Base):
    """One repository of a quick run."""

    __tablename__ = "repository_analysis_items"
    _constraint_prefix = "repo_items"
    _runs_table = "repository_analysis_runs"


class RepositoryFullAnalysisRun(_AnalysisRun, Base):
    """A full (file-level) analysis of one or more repositories: entry points, API surface, history."""

    __tablename__ = "repository_full_analysis_runs"
    _constraint_prefix = "repo_full_runs"


class RepositoryFullAnalysisItem(_AnalysisItem, Base):
    """One repository of a full run, with how many files were read and sources written."""

    __tablename__ = "repository_full_analysis_items"
    _constraint_prefix = "repo_full_items"
    _runs_table = "repository_full_analysis_runs"

    file_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    source_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class RunProgress(Base):
    """Progress of long work (sprint plans, repository analyses), numbered per run so a client's
    event stream resumes after the last number it saw (``Last-Event-ID``)."""

    __tablename__ = "run_progress"

    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[uuid.UUID] = _project()
    step: Mapped[str] = mapped_column(Text, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    total: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    final: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
