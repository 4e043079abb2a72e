"""What the sources and insights tests share: the stubs, principals of a project's people (the
``team`` fixture), and readers of planning's outbox and tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from aira.common.v1 import events_pb2
from aira.planning.v1 import sources_pb2, sources_pb2_grpc
from services.chassis.events import decode_envelope
from services.chassis.ids import uuid7
from services.planning.models import Feature, infra


@dataclass
class Team:
    """A project and the metadata of its people, one per role."""

    project_id: str
    principals: object

    def as_role(self, role: str):
        return self.principals.user(str(uuid.uuid4()), self.project_id, role)

    @property
    def pm(self):
        return self.as_role("product_manager")


def new_team(principals) -> Team:
    return Team(str(uuid.uuid4()), principals)


@pytest.fixture
def team(principals) -> Team:
    """The people of a new project of the test's own."""
    return new_team(principals)


def text_request(team: Team, text: str, title: str = "") -> sources_pb2.CreateSourceRequest:
    return sources_pb2.CreateSourceRequest(
        project_id=team.project_id, title=title, content=sources_pb2.SourceContent(text=text)
    )


def file_request(
    team: Team, data: bytes, filename: str, title: str = "", declared: str = ""
) -> sources_pb2.CreateSourceRequest:
    return sources_pb2.CreateSourceRequest(
        project_id=team.project_id,
        title=title,
        content=sources_pb2.SourceContent(file=data, filename=filename, declared_content_type=declared),
    )


async def add_text(stub: sources_pb2_grpc.SourcesStub, team: Team, text: str, title: str = "") -> sources_pb2.Source:
    reply = await stub.CreateSource(text_request(team, text, title), metadata=team.pm)
    assert reply.created
    return reply.source


async def outbox(engine, subject: str, project_id: str) -> list[events_pb2.EventEnvelope]:
    """Envelopes of ``subject`` planning raised for the project (published or not), oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(infra.outbox.c.payload).where(infra.outbox.c.subject == subject).order_by(infra.outbox.c.id)
        )
        envelopes = [decode_envelope(payload) for (payload,) in rows]
    return [e for e in envelopes if e.project_id == project_id]


async def project_events(engine, project_id: str) -> list[str]:
    """Subjects of every event planning raised for the project, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(infra.outbox.c.payload).order_by(infra.outbox.c.id))
        envelopes = [decode_envelope(payload) for (payload,) in rows]
    return [e.type for e in envelopes if e.project_id == project_id]


def payload_of(envelope: events_pb2.EventEnvelope, message_type):
    message = message_type()
    assert envelope.payload.Unpack(message)
    return message


async def count_rows(engine, model, project_id: str) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(select(func.count()).select_from(model).where(model.project_id == uuid.UUID(project_id)))
        ).scalar_one()


async def add_feature(engine, project_id: str, title: str = "A feature") -> str:
    """A feature row of the project (features are another module's; the tests only link to them)."""
    feature_id = uuid7()
    async with engine.begin() as conn:
        await conn.execute(
            Feature.__table__.insert().values(
                id=feature_id, project_id=uuid.UUID(project_id), title=title, created_by="tests"
            )
        )
    return str(feature_id)
