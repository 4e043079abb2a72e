"""The audit log: every event once, numbered 1, 2, 3 … per project, readable by members only."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, events_pb2, projects_pb2, projects_pb2_grpc
from services.chassis.events import Event, connect_nats, headers_for, to_envelope
from services.chassis.principal import Principal

pytestmark = pytest.mark.usefixtures("clean_db")


async def _events(stub, principals, project_id: str, user_id: str = "", **filters) -> list[audit_pb2.AuditEvent]:
    principal = principals.metadata(
        Principal(subject=user_id or str(uuid.uuid4()), kind="user", project_id=project_id, role="viewer")
    )
    items, cursor = [], ""
    while True:
        page = await stub.ListEvents(
            audit_pb2.ListEventsRequest(
                project_id=project_id, page=types_pb2.PageRequest(limit=25, cursor=cursor), **filters
            ),
            metadata=principal,
        )
        items += page.items
        cursor = page.page.next_cursor
        if not cursor:
            return items


async def _wait_for(stub, principals, project_id: str, count: int, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await _events(stub, principals, project_id)
        if len(events) >= count or asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.1)


async def test_identity_events_land_in_the_project_log(identity_channel, agents_channel, principals) -> None:
    accounts = accounts_pb2_grpc.AccountsStub(identity_channel)
    projects = projects_pb2_grpc.ProjectsStub(identity_channel)
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    user = (
        await accounts.SignUp(
            accounts_pb2.SignUpRequest(email="ada@example.com", password="a sturdy passphrase 42", name="Ada"),
            metadata=principals.metadata(),
        )
    ).user
    project = await projects.CreateProject(
        projects_pb2.CreateProjectRequest(name="Apollo"), metadata=principals.user(user.id)
    )
    events = await _wait_for(audit, principals, project.id, 2)
    assert [(e.sequence, e.event_type) for e in events] == [
        (1, "identity.project.created.v1"),
        (2, "identity.member.added.v1"),
    ]
    created = events[0]
    assert (created.actor.type, created.actor.id, created.entity_id) == ("user", user.id, project.id)
    assert created.snapshot["name"] == "Apollo"
    assert [e.action for e in await _events(audit, principals, project.id, action="added")] == ["added"]


async def test_sequences_stay_gap_free_under_concurrency_and_redelivery(agents_channel, principals, settings) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    envelopes = [
        to_envelope(
            Event(
                entity_type="member",
                action="added",
                entity_id=str(uuid.uuid4()),
                project_id=project_id,
                payload=events_pb2.MemberAdded(project_id=project_id),
            ),
            domain="identity",
            producer="test",
        )
        for _ in range(60)
    ]
    nc = await connect_nats(settings.nats_url, name="test-publisher")
    try:
        js = nc.jetstream()
        # Every event twice under different message ids (a retried publish past the dedup window),
        # all at once, so the consumer sees concurrent and repeated deliveries.
        await asyncio.gather(
            *(
                js.publish(
                    e.type, e.SerializeToString(), headers=headers_for(e) | {"Nats-Msg-Id": f"{e.event_id}:{copy}"}
                )
                for copy in range(2)
                for e in envelopes
            )
        )
    finally:
        await nc.close()
    events = await _wait_for(audit, principals, project_id, 60)
    await asyncio.sleep(1.0)  # any duplicate would land by now
    events = await _events(audit, principals, project_id)
    assert [e.sequence for e in events] == list(range(1, 61))
    assert sorted(e.source_event_id for e in events) == sorted(e.event_id for e in envelopes)


async def test_only_a_principal_of_the_project_may_read_its_log(agents_channel, principals) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    someone = str(uuid.uuid4())
    for principal in (
        Principal(subject=someone, kind="user"),
        Principal(subject=someone, kind="user", project_id=str(uuid.uuid4()), role="owner"),
        Principal.anonymous(),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await audit.ListEvents(
                audit_pb2.ListEventsRequest(project_id=project_id), metadata=principals.metadata(principal)
            )
        assert failure.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAUTHENTICATED)
