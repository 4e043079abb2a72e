"""Tables of schema ``team``: the roster (``team_members``) and the infrastructure tables.

Ids of other domains (projects, users, agent instances) are plain UUID columns: team never joins
across schemas (decision 0002). ``team_id`` points at the ``teams`` table that arrives with the
team issue; until then it has no foreign key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, MetaData, Numeric, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "team"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)

# The product's vocabulary (SPEC §4); the API uses these exact words.
MEMBER_TYPES = ("human", "ai_agent")
SENIORITIES = ("junior", "mid", "senior", "lead", "principal")
SKILL_LEVELS = (1, 5)  # 1 aware … 5 expert
MAX_CAPACITY_HOURS = 200
HOURS = Numeric(7, 2)  # hours add up exactly when planning sums them


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = metadata


class TeamMember(Base):
    """Someone on a project's roster, a person or an AI agent, with skills and capacity per sprint.

    Removal is soft (``removed_at``): tasks keep naming their former assignee, and reads by id still
    find them; lists leave them out.
    """

    __tablename__ = "team_members"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    member_type: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'human'"))
    seniority: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    skills: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    capacity_hours_per_sprint: Mapped[Decimal] = mapped_column(HOURS, nullable=False, server_default=text("0"))
    current_load_hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False, server_default=text("0"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # teams arrive with the team issue
    agent_instance_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # an AI agent (agents)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # the Aira user behind a person
    timezone: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("member_type", MEMBER_TYPES), name="ck_team_members_member_type"),
        CheckConstraint(f"seniority = '' OR {_in('seniority', SENIORITIES)}", name="ck_team_members_seniority"),
        CheckConstraint(
            "jsonb_typeof(skills) = 'object' AND NOT jsonb_path_exists(skills, "
            "'$.* ? (@.type() != \"number\" || @ < 1 || @ > 5 || @ != @.floor())')",
            name="ck_team_members_skills",
        ),
        CheckConstraint(
            f"capacity_hours_per_sprint >= 0 AND capacity_hours_per_sprint <= {MAX_CAPACITY_HOURS}",
            name="ck_team_members_capacity",
        ),
        CheckConstraint("current_load_hours >= 0", name="ck_team_members_load"),
        CheckConstraint("user_id IS NULL OR member_type = 'human'", name="ck_team_members_user_is_human"),
        CheckConstraint("agent_instance_id IS NULL OR member_type = 'ai_agent'", name="ck_team_members_agent_is_agent"),
        # A person is on a project's roster once (removed entries do not count).
        Index(
            "uq_team_members_project_user",
            "project_id",
            "user_id",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL AND removed_at IS NULL"),
        ),
        # Lists: the project's current roster in creation order (ids are UUIDv7, so id order).
        Index("ix_team_members_project", "project_id", "id", postgresql_where=text("removed_at IS NULL")),
    )
