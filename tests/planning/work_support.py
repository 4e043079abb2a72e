"""What the feature, task and pull request tests share: a project planning knows (its profile
written as identity's events would; the ``project`` fixture), its people, stubs of the three
contracts, and readers of planning's outbox and tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from aira.planning.v1 import sources_pb2, sources_pb2_grpc, work_pb2, work_pb2_grpc
from services.chassis.events import decode_envelope
from services.chassis.ids import uuid7
from services.chassis.principal import Principal
from services.planning.models import ProjectProfile, Sprint, Task, infra


@dataclass
class Project:
    """A project of the test's own, with stubs that act in it."""

    project_id: str
    engine: object
    principals: object
    features: work_pb2_grpc.FeaturesStub
    tasks: work_pb2_grpc.TasksStub
    pull_requests: work_pb2_grpc.PullRequestsStub
    insights: sources_pb2_grpc.InsightsStub

    def as_role(self, role: str, user_id: str | None = None):
        return self.principals.user(user_id or str(uuid.uuid4()), self.project_id, role)

    @property
    def pm(self):
        return self.as_role("product_manager")

    @property
    def project(self) -> uuid.UUID:
        return uuid.UUID(self.project_id)

    def service(self, name: str = "integrations"):
        return self.principals.metadata(Principal(subject=name, kind="service"))

    # --- features ---

    async def feature(self, title: str = "A feature", **fields) -> work_pb2.Feature:
        return await self.features.CreateFeature(
            work_pb2.CreateFeatureRequest(project_id=self.project_id, title=title, **fields), metadata=self.pm
        )

    async def update_feature(self, feature_id: str, metadata=None, **fields) -> work_pb2.Feature:
        return await self.features.UpdateFeature(
            work_pb2.UpdateFeatureRequest(project_id=self.project_id, feature_id=feature_id, **fields),
            metadata=metadata or self.pm,
        )

    async def get_feature(self, feature_id: str) -> work_pb2.Feature:
        return await self.features.GetFeature(
            work_pb2.FeatureRef(project_id=self.project_id, feature_id=feature_id), metadata=self.pm
        )

    # --- tasks ---

    async def task(self, title: str = "A task", metadata=None, **fields) -> work_pb2.Task:
        return await self.tasks.CreateTask(
            work_pb2.CreateTaskRequest(project_id=self.project_id, title=title, **fields), metadata=metadata or self.pm
        )

    async def update_task(self, task_id: str, metadata=None, **fields) -> work_pb2.Task:
        return await self.tasks.UpdateTask(
            work_pb2.UpdateTaskRequest(project_id=self.project_id, task_id=task_id, **fields),
            metadata=metadata or self.pm,
        )

    async def delete_task(self, task_id: str, metadata=None) -> work_pb2.DeleteTaskReply:
        return await self.tasks.DeleteTask(
            work_pb2.TaskRef(project_id=self.project_id, task_id=task_id), metadata=metadata or self.pm
        )

    async def get_task(self, task_id: str, metadata=None) -> work_pb2.Task:
        return await self.tasks.GetTask(
            work_pb2.TaskRef(project_id=self.project_id, task_id=task_id), metadata=metadata or self.pm
        )

    async def list_tasks(self, **fields) -> list[work_pb2.Task]:
        """Every task the filters let through, following the cursor."""
        items, cursor = [], ""
        while True:
            page = await self.tasks.ListTasks(
                work_pb2.ListTasksRequest(project_id=self.project_id, page={"limit": 2, "cursor": cursor}, **fields),
                metadata=self.pm,
            )
            items.extend(page.items)
            cursor = page.page.next_cursor
            if not cursor:
                return items

    # --- insights ---

    async def insight(self, title: str, *, impact: str = "high", confidence: float = 0.8, **fields):
        fields.setdefault("type", "pain_point")
        return await self.insights.CreateInsight(
            sources_pb2.CreateInsightRequest(
                project_id=self.project_id, title=title, impact=impact, confidence=confidence, **fields
            ),
            metadata=self.pm,
        )

    async def get_insight(self, insight_id: str):
        return await self.insights.GetInsight(
            sources_pb2.InsightRef(project_id=self.project_id, insight_id=insight_id), metadata=self.pm
        )

    # --- tables ---

    async def add_sprint(self, status: str = "planned") -> str:
        """A sprint row of the project (sprints are another module's; tasks only join them)."""
        sprint_id = uuid7()
        async with self.engine.begin() as conn:
            number = (
                await conn.execute(
                    select(Sprint.number).where(Sprint.project_id == self.project).order_by(Sprint.number.desc())
                )
            ).scalar() or 0
            await conn.execute(
                Sprint.__table__.insert().values(
                    id=sprint_id,
                    project_id=self.project,
                    number=number + 1,
                    name=f"Sprint {number + 1}",
                    status=status,
                    created_by="tests",
                )
            )
        return str(sprint_id)

    async def sprint_hours(self, sprint_id: str) -> tuple[Decimal, Decimal]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(Sprint.committed_hours, Sprint.completed_hours).where(Sprint.id == uuid.UUID(sprint_id))
                )
            ).one()
        return row.committed_hours, row.completed_hours

    async def sprint_stories(self, sprint_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(Sprint.story_ids).where(Sprint.id == uuid.UUID(sprint_id)))).scalar_one()

    async def task_row(self, task_id: str):
        async with self.engine.connect() as conn:
            return (await conn.execute(select(Task.__table__).where(Task.id == uuid.UUID(task_id)))).one()

    async def events(self, subject_prefix: str = "planning.") -> list:
        """Envelopes planning raised for the project (published or not), oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(infra.outbox.c.payload).order_by(infra.outbox.c.id))
            envelopes = [decode_envelope(payload) for (payload,) in rows]
        return [e for e in envelopes if e.project_id == self.project_id and e.type.startswith(subject_prefix)]


async def new_project(
    channel, engine, principals, *, name: str = "Aira", prefix: str = "AIR", pr_automation: bool = True
) -> Project:
    """A project planning already knows (as if identity's events had arrived)."""
    project = Project(
        str(uuid.uuid4()),
        engine,
        principals,
        work_pb2_grpc.FeaturesStub(channel),
        work_pb2_grpc.TasksStub(channel),
        work_pb2_grpc.PullRequestsStub(channel),
        sources_pb2_grpc.InsightsStub(channel),
    )
    async with engine.begin() as conn:
        await conn.execute(
            ProjectProfile.__table__.insert().values(
                project_id=project.project,
                name=name,
                task_key_prefix=prefix,
                pr_automation_enabled=pr_automation,
            )
        )
    return project


@pytest.fixture
async def project(planning_channel, engine, principals) -> Project:
    """A new project of the test's own, named Aira (keys AIR-n), with PR automation on."""
    return await new_project(planning_channel, engine, principals)


def payload_of(envelope, message_type):
    message = message_type()
    assert envelope.payload.Unpack(message)
    return message
