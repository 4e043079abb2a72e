"""What the sprint, sprint plan and repository analysis tests share: a project's board (its profile,
people and tasks written straight into planning's tables; the ``board`` fixture) and readers of
runs and progress."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from services.chassis.ids import uuid7
from services.planning.models import ProjectProfile, RunProgress, Task


@dataclass
class Board:
    """A project of the tests' own: its id, the service engine and its people's principals."""

    project_id: str
    engine: object
    principals: object
    _numbers: list[int] = field(default_factory=lambda: [0])

    def as_role(self, role: str):
        return self.principals.user(str(uuid.uuid4()), self.project_id, role)

    @property
    def pm(self):
        return self.as_role("product_manager")

    @property
    def viewer(self):
        return self.as_role("viewer")

    @property
    def project(self) -> uuid.UUID:
        return uuid.UUID(self.project_id)

    async def add_task(
        self,
        title: str = "A task",
        *,
        hours: str | None = "4.00",
        status: str = "backlog",
        priority: str = "medium",
        skills: tuple[str, ...] = (),
        feature_id: str | None = None,
        sprint_id: str | None = None,
        assignee_id: str | None = None,
    ) -> str:
        """A task row of the project (tasks are another module's; these tests move them around)."""
        self._numbers[0] += 1
        number = self._numbers[0]
        task_id = uuid7()
        async with self.engine.begin() as conn:
            await conn.execute(
                Task.__table__.insert().values(
                    id=task_id,
                    project_id=self.project,
                    number=number,
                    key=f"SPR-{number}",
                    title=title,
                    status=status,
                    priority=priority,
                    estimated_hours=Decimal(hours) if hours is not None else None,
                    required_skills=list(skills),
                    feature_id=uuid.UUID(feature_id) if feature_id else None,
                    sprint_id=uuid.UUID(sprint_id) if sprint_id else None,
                    assignee_id=uuid.UUID(assignee_id) if assignee_id else None,
                    created_by="tests",
                )
            )
        return str(task_id)

    async def set_status(self, task_id: str, status: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(Task.__table__).where(Task.id == uuid.UUID(task_id)).values(status=status))

    async def task(self, task_id: str):
        async with self.engine.connect() as conn:
            return (await conn.execute(select(Task.__table__).where(Task.id == uuid.UUID(task_id)))).one()


async def new_board(engine, principals, *, allow_parallel_sprints: bool = False) -> Board:
    """A project planning already knows (as if identity's events had arrived)."""
    board = Board(str(uuid.uuid4()), engine, principals)
    async with engine.begin() as conn:
        await conn.execute(
            ProjectProfile.__table__.insert().values(
                project_id=board.project,
                name="Sprint Board",
                task_key_prefix="SPR",
                allow_parallel_sprints=allow_parallel_sprints,
            )
        )
    return board


@pytest.fixture
async def board(engine, principals) -> Board:
    """A new project of the test's own."""
    return await new_board(engine, principals)


async def progress_of(engine, run_id: str) -> list:
    """The run's progress rows in order."""
    async with engine.connect() as conn:
        query = select(RunProgress.__table__).where(RunProgress.run_id == uuid.UUID(run_id)).order_by("sequence")
        return list(await conn.execute(query))


async def eventually(read, done, *, timeout: float = 20.0, every: float = 0.1):
    """``await read()`` until ``done(result)``; the last result (asserted done)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await read()
        if done(result) or loop.time() > deadline:
            assert done(result), result
            return result
        await asyncio.sleep(every)
