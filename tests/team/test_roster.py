"""The roster as a service: planners staff a project's team, every member reads it, services read
any project's roster; bad input is refused whole; each change is an event; projects stay apart.

The tests share one running team service and never empty the database under it: each test works
in projects of its own.
"""

from __future__ import annotations

import uuid

import grpc
import orjson
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from aira.common.v1 import events_pb2, types_pb2
from aira.team.v1 import events_pb2 as team_events_pb2
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis.events import decode_envelope, unpack
from services.chassis.ids import uuid7
from services.chassis.principal import Principal
from services.team.models import TeamMember, infra
from services.team.roster import MAX_ROSTER
from tests.grpc_calls import refused

MEMBERS = TeamMember.__table__


@pytest.fixture
def stub(team_channel) -> roster_pb2_grpc.RosterStub:
    return roster_pb2_grpc.RosterStub(team_channel)


@pytest.fixture
def engine(service_engines):
    return service_engines["team"]


@pytest.fixture
def project() -> str:
    return str(uuid.uuid4())


def person(principals, project_id: str, role: str):
    """Metadata of a new person acting in ``project_id`` with ``role``."""
    return principals.user(str(uuid.uuid4()), project_id, role)


@pytest.fixture
def pm(principals, project):
    return person(principals, project, "product_manager")


def add(project_id: str, name: str = "Ada", **fields) -> roster_pb2.AddMemberRequest:
    return roster_pb2.AddMemberRequest(project_id=project_id, name=name, **fields)


async def outbox(engine, project_id: str) -> list[events_pb2.EventEnvelope]:
    """The project's team events (published or not), oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(infra.outbox.c.payload).order_by(infra.outbox.c.id))
        envelopes = [decode_envelope(payload) for (payload,) in rows]
    return [e for e in envelopes if e.project_id == project_id]


async def listed(stub, project_id: str, metadata, **fields) -> list[roster_pb2.TeamMember]:
    reply = await stub.ListMembers(roster_pb2.ListMembersRequest(project_id=project_id, **fields), metadata=metadata)
    return list(reply.items)


async def test_a_product_manager_staffs_the_team_and_every_member_reads_it(stub, principals, project, pm, engine):
    ada = await stub.AddMember(
        add(
            project,
            "  Ada Lovelace ",
            role="backend engineer",
            seniority="senior",
            skills={"Python ": 5, "Machine   Learning": 3},
            capacity_hours_per_sprint=60,
            current_load_hours=12.5,
            user_id=str(uuid.uuid4()),
            timezone="Europe/London",
        ),
        metadata=pm,
    )
    assert (ada.name, ada.role, ada.member_type, ada.seniority) == (
        "Ada Lovelace",
        "backend engineer",
        "human",
        "senior",
    )
    assert dict(ada.skills) == {"python": 5, "machine learning": 3}  # skills match case-insensitively
    assert (ada.capacity_hours_per_sprint, ada.current_load_hours, ada.timezone) == (60, 12.5, "Europe/London")
    assert ada.project_id == project and not ada.HasField("removed_at")
    bot = await stub.AddMember(
        add(project, "Reviewer bot", member_type="ai_agent", skills={"code review": 4}, capacity_hours_per_sprint=200),
        metadata=pm,
    )
    assert (bot.member_type, bot.user_id, bot.seniority) == ("ai_agent", "", "")

    viewer = person(principals, project, "viewer")
    assert [m.id for m in await listed(stub, project, viewer)] == [ada.id, bot.id]  # in the order they joined
    assert await stub.GetMember(roster_pb2.MemberRef(project_id=project, member_id=ada.id), metadata=viewer) == ada

    updated = await stub.UpdateMember(
        roster_pb2.UpdateMemberRequest(
            project_id=project,
            member_id=ada.id,
            capacity_hours_per_sprint=40,
            skills={"Rust": 2},
            set_skills=True,
            role="backend engineer",  # unchanged: not reported as a change
        ),
        metadata=pm,
    )
    assert (updated.capacity_hours_per_sprint, dict(updated.skills), updated.name) == (40, {"rust": 2}, "Ada Lovelace")
    assert updated.updated_at.ToDatetime() > ada.updated_at.ToDatetime()
    unchanged = await stub.UpdateMember(
        roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, current_load_hours=12.5), metadata=pm
    )
    assert unchanged.updated_at == updated.updated_at

    removed = await stub.RemoveMember(roster_pb2.MemberRef(project_id=project, member_id=bot.id), metadata=pm)
    assert removed.member_id == bot.id
    again = await stub.RemoveMember(roster_pb2.MemberRef(project_id=project, member_id=bot.id), metadata=pm)
    assert again.member_id == bot.id  # removing twice is harmless
    assert [m.id for m in await listed(stub, project, viewer)] == [ada.id]
    former = await stub.GetMember(roster_pb2.MemberRef(project_id=project, member_id=bot.id), metadata=viewer)
    assert former.name == "Reviewer bot" and former.HasField("removed_at")  # history keeps a name
    with_removed = await listed(stub, project, viewer, include_removed=True, page=types_pb2.PageRequest())
    assert [m.id for m in with_removed] == [ada.id, bot.id]
    await refused(
        stub.UpdateMember,
        roster_pb2.UpdateMemberRequest(project_id=project, member_id=bot.id, name="Back"),
        pm,
        grpc.StatusCode.FAILED_PRECONDITION,
        "member-removed",
    )

    events = await outbox(engine, project)
    assert [e.type for e in events] == [
        "team.team_member.added.v1",
        "team.team_member.added.v1",
        "team.team_member.updated.v1",
        "team.team_member.removed.v1",
    ]
    added = unpack(events[0], team_events_pb2.TeamMemberChanged)
    assert (added.member_id, added.name, added.capacity_hours_per_sprint, dict(added.skills)) == (
        ada.id,
        "Ada Lovelace",
        "60.00",
        {"python": 5, "machine learning": 3},
    )
    assert events[0].entity_type == "team_member" and events[0].entity_id == ada.id and events[0].actor.type == "user"
    change = unpack(events[2], team_events_pb2.TeamMemberChanged)
    assert list(change.fields) == ["capacity_hours_per_sprint", "skills"]
    assert orjson.loads(events[2].changes_json) == {
        "capacity_hours_per_sprint": {"from": "60.00", "to": "40.00"},
        "skills": {"from": {"machine learning": 3, "python": 5}, "to": {"rust": 2}},
    }
    assert orjson.loads(events[2].snapshot_json)["skills"] == {"rust": 2}
    gone = orjson.loads(events[3].snapshot_json)
    assert events[3].entity_id == bot.id and gone["removed_at"] is not None and gone["member_type"] == "ai_agent"


@pytest.mark.parametrize(
    ("fields", "slug"),
    [
        ({"skills": {"python": 0}}, "invalid-skill-level"),
        ({"skills": {"python": 6}}, "invalid-skill-level"),
        ({"skills": {"Python": 3, "python ": 4}}, "invalid-skill"),
        ({"skills": {"   ": 3}}, "invalid-skill"),
        ({"skills": {f"s{n}": 1 for n in range(51)}}, "invalid-skills"),
        ({"capacity_hours_per_sprint": -1}, "invalid-capacity"),
        ({"capacity_hours_per_sprint": 200.5}, "invalid-capacity"),
        ({"capacity_hours_per_sprint": float("nan")}, "invalid-capacity"),
        ({"current_load_hours": -0.5}, "invalid-load"),
        ({"current_load_hours": float("inf")}, "invalid-load"),
        ({"member_type": "robot"}, "invalid-member-type"),
        ({"seniority": "guru"}, "invalid-seniority"),
        ({"name": "   "}, "validation-failed"),
        ({"name": "x" * 201}, "validation-failed"),
        ({"name": "A\x00da"}, "validation-failed"),
        ({"role": "r" * 101}, "validation-failed"),
        ({"timezone": "Mars/Olympus"}, "invalid-timezone"),
        ({"user_id": "not-a-uuid"}, "invalid-user-id"),
        ({"member_type": "ai_agent", "user_id": str(uuid.uuid4())}, "invalid-user-id"),
        ({"agent_instance_id": str(uuid.uuid4())}, "invalid-agent-instance-id"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(stub, project, pm, engine, fields, slug):
    fields = {"name": "Ada"} | fields
    problem = await refused(
        stub.AddMember,
        roster_pb2.AddMemberRequest(project_id=project, **fields),
        pm,
        grpc.StatusCode.INVALID_ARGUMENT,
        slug,
    )
    assert problem["field"] in fields
    assert await listed(stub, project, pm) == []
    assert await outbox(engine, project) == []


async def test_an_update_with_bad_input_changes_nothing(stub, project, pm, engine):
    ada = await stub.AddMember(add(project, skills={"python": 4}, capacity_hours_per_sprint=30), metadata=pm)
    for request, slug in [
        (dict(capacity_hours_per_sprint=-3, name="Renamed"), "invalid-capacity"),
        (dict(skills={"python": 9}, set_skills=True, name="Renamed"), "invalid-skill-level"),
        (dict(seniority="boss"), "invalid-seniority"),
        (dict(name=""), "validation-failed"),
    ]:
        await refused(
            stub.UpdateMember,
            roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, **request),
            pm,
            grpc.StatusCode.INVALID_ARGUMENT,
            slug,
        )
    assert await stub.GetMember(roster_pb2.MemberRef(project_id=project, member_id=ada.id), metadata=pm) == ada
    assert [e.type for e in await outbox(engine, project)] == ["team.team_member.added.v1"]
    cleared = await stub.UpdateMember(
        roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, set_skills=True), metadata=pm
    )
    assert dict(cleared.skills) == {}  # set_skills with an empty map clears them


async def test_the_database_refuses_what_the_domain_would(engine, project):
    """The table's checks hold even for a writer that skips the domain's validation."""
    base = {"project_id": uuid.UUID(project), "name": "X"}
    for bad in (
        {"skills": {"python": 6}},
        {"skills": {"python": 2.5}},
        {"skills": {"python": "5"}},
        {"skills": ["python"]},
        {"capacity_hours_per_sprint": 201},
        {"current_load_hours": -1},
        {"member_type": "robot"},
        {"seniority": "guru"},
        {"member_type": "ai_agent", "user_id": uuid.uuid4()},
    ):
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(MEMBERS).values(id=uuid7(), **base, **bad))


@pytest.mark.parametrize("role", ["owner", "admin", "product_manager"])
async def test_planners_staff_the_team(stub, principals, project, role):
    who = person(principals, project, role)
    ada = await stub.AddMember(add(project), metadata=who)
    ref = roster_pb2.MemberRef(project_id=project, member_id=ada.id)
    await stub.UpdateMember(
        roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, role="qa"), metadata=who
    )
    await stub.RemoveMember(ref, metadata=who)


@pytest.mark.parametrize("role", ["member", "stakeholder", "viewer"])
async def test_other_roles_read_the_roster_but_cannot_change_it(stub, principals, project, pm, engine, role):
    ada = await stub.AddMember(add(project), metadata=pm)
    who = person(principals, project, role)
    assert [m.id for m in await listed(stub, project, who)] == [ada.id]
    ref = roster_pb2.MemberRef(project_id=project, member_id=ada.id)
    assert (await stub.GetMember(ref, metadata=who)).id == ada.id
    forbidden = grpc.StatusCode.PERMISSION_DENIED
    await refused(stub.AddMember, add(project, "Eve"), who, forbidden, "forbidden")
    update = roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, name="Eve")
    await refused(stub.UpdateMember, update, who, forbidden, "forbidden")
    await refused(stub.RemoveMember, ref, who, forbidden, "forbidden")
    assert [m.name for m in await listed(stub, project, pm)] == ["Ada"]
    assert len(await outbox(engine, project)) == 1


async def test_a_read_only_key_reads_but_cannot_staff_the_team(stub, principals, project, pm):
    """An API key acts within its scopes: ``read`` covers reading the roster, not planning."""
    key = principals.metadata(
        Principal(subject=str(uuid.uuid4()), kind="api_key", project_id=project, role="owner", scopes=("read",))
    )
    ada = await stub.AddMember(add(project), metadata=pm)
    assert [m.id for m in await listed(stub, project, key)] == [ada.id]
    await refused(stub.AddMember, add(project), key, grpc.StatusCode.PERMISSION_DENIED, "insufficient-scope")


async def test_projects_stay_apart(stub, principals, pm, project):
    ada = await stub.AddMember(add(project), metadata=pm)
    other = str(uuid.uuid4())
    outsider = person(principals, other, "owner")  # owner of another project
    not_found = grpc.StatusCode.NOT_FOUND
    ref = roster_pb2.MemberRef(project_id=project, member_id=ada.id)
    await refused(stub.GetMember, ref, outsider, not_found, "project-not-found")
    await refused(
        stub.ListMembers, roster_pb2.ListMembersRequest(project_id=project), outsider, not_found, "project-not-found"
    )
    await refused(stub.AddMember, add(project), outsider, not_found, "project-not-found")
    update = roster_pb2.UpdateMemberRequest(project_id=project, member_id=ada.id, name="Eve")
    await refused(stub.UpdateMember, update, outsider, not_found, "project-not-found")
    await refused(stub.RemoveMember, ref, outsider, not_found, "project-not-found")
    # Naming A's member under B, where the caller is owner, finds no one either.
    foreign = roster_pb2.MemberRef(project_id=other, member_id=ada.id)
    await refused(stub.GetMember, foreign, outsider, not_found, "member-not-found")
    await refused(stub.RemoveMember, foreign, outsider, not_found, "member-not-found")
    assert await listed(stub, other, outsider, member_ids=[ada.id]) == []
    garbage = roster_pb2.MemberRef(project_id=project, member_id="nope")
    await refused(stub.GetMember, garbage, pm, not_found, "member-not-found")
    await refused(stub.GetMember, ref, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")
    assert (await stub.GetMember(ref, metadata=pm)).name == "Ada"


async def test_services_read_any_roster_but_change_none(stub, principals, project, pm):
    ada = await stub.AddMember(add(project), metadata=pm)
    planning = principals.metadata(Principal(subject="planning", kind="service"))
    assert [m.id for m in await listed(stub, project, planning)] == [ada.id]
    ref = roster_pb2.MemberRef(project_id=project, member_id=ada.id)
    assert (await stub.GetMember(ref, metadata=planning)).id == ada.id
    await refused(stub.AddMember, add(project), planning, grpc.StatusCode.NOT_FOUND, "project-not-found")
    await refused(stub.RemoveMember, ref, planning, grpc.StatusCode.NOT_FOUND, "project-not-found")
    # The gateway's own principal is no reader of rosters.
    gateway = principals.metadata(Principal(subject="gateway", kind="service"))
    await refused(stub.GetMember, ref, gateway, grpc.StatusCode.NOT_FOUND, "project-not-found")


async def test_member_ids_pick_members_of_the_current_roster(stub, project, pm):
    ada, bob, cy = [(await stub.AddMember(add(project, name), metadata=pm)).id for name in ("Ada", "Bob", "Cy")]
    await stub.RemoveMember(roster_pb2.MemberRef(project_id=project, member_id=cy), metadata=pm)
    picked = await listed(stub, project, pm, member_ids=[bob, cy, str(uuid.uuid4()), "garbage", ada])
    assert [m.id for m in picked] == [ada, bob]  # removed, unknown and malformed ids match no one
    with_removed = await listed(stub, project, pm, member_ids=[cy], include_removed=True)
    assert [m.id for m in with_removed] == [cy]
    await refused(
        stub.ListMembers,
        roster_pb2.ListMembersRequest(project_id=project, member_ids=[ada] * 1001),
        pm,
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-member-ids",
    )
    await refused(
        stub.ListMembers,
        roster_pb2.ListMembersRequest(project_id=project, include_removed=True),
        pm,
        grpc.StatusCode.INVALID_ARGUMENT,
        "page-required",
    )


async def test_pages_and_filters(stub, project, pm):
    ids = []
    for n in range(5):
        fields = {"member_type": "ai_agent"} if n % 2 else {"skills": {"Go": 2 + n % 3}}
        ids.append((await stub.AddMember(add(project, f"M{n}", **fields), metadata=pm)).id)
    seen, cursor = [], ""
    while True:
        reply = await stub.ListMembers(
            roster_pb2.ListMembersRequest(project_id=project, page=types_pb2.PageRequest(limit=2, cursor=cursor)),
            metadata=pm,
        )
        assert len(reply.items) <= 2
        seen += [m.id for m in reply.items]
        cursor = reply.page.next_cursor
        if not cursor:
            break
    assert seen == ids
    unpaged = await stub.ListMembers(roster_pb2.ListMembersRequest(project_id=project), metadata=pm)
    assert [m.id for m in unpaged.items] == ids and not unpaged.HasField("page")
    assert [m.id for m in await listed(stub, project, pm, member_type="ai_agent")] == [ids[1], ids[3]]
    assert [m.id for m in await listed(stub, project, pm, skill=" GO ")] == [ids[0], ids[2], ids[4]]
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    bad = [
        ({"member_type": "robot"}, "invalid-member-type"),
        ({"page": types_pb2.PageRequest(limit=201)}, "invalid-limit"),
        ({"page": types_pb2.PageRequest(cursor="@@")}, "invalid-cursor"),
    ]
    for fields, slug in bad:
        await refused(stub.ListMembers, roster_pb2.ListMembersRequest(project_id=project, **fields), pm, invalid, slug)


async def test_a_person_is_on_a_roster_once(stub, project, pm):
    user_id = str(uuid.uuid4())
    first = await stub.AddMember(add(project, user_id=user_id), metadata=pm)
    await refused(
        stub.AddMember,
        add(project, "Ada again", user_id=user_id),
        pm,
        grpc.StatusCode.ALREADY_EXISTS,
        "member-already-on-roster",
    )
    await stub.RemoveMember(roster_pb2.MemberRef(project_id=project, member_id=first.id), metadata=pm)
    back = await stub.AddMember(add(project, user_id=user_id), metadata=pm)  # a removed entry does not count
    assert back.id != first.id and back.user_id == user_id


async def test_the_same_person_may_be_on_two_projects(stub, principals):
    user_id = str(uuid.uuid4())
    for project_id in (str(uuid.uuid4()), str(uuid.uuid4())):
        who = person(principals, project_id, "owner")
        assert (await stub.AddMember(add(project_id, user_id=user_id), metadata=who)).user_id == user_id


async def test_a_repeated_add_with_the_same_idempotency_key_adds_once(stub, project, pm, engine):
    keyed = (*pm, ("idempotency-key", f"add-{uuid.uuid4()}"))
    first = await stub.AddMember(add(project), metadata=keyed)
    second = await stub.AddMember(add(project), metadata=keyed)
    assert second == first
    assert [m.id for m in await listed(stub, project, pm)] == [first.id]
    assert len(await outbox(engine, project)) == 1


async def test_a_full_roster_takes_no_one_more(stub, project, pm, engine):
    async with engine.begin() as conn:
        await conn.execute(
            insert(MEMBERS),
            [{"id": uuid7(), "project_id": uuid.UUID(project), "name": f"m{n}"} for n in range(MAX_ROSTER)],
        )
    await refused(stub.AddMember, add(project), pm, grpc.StatusCode.FAILED_PRECONDITION, "roster-full")
    first = (await listed(stub, project, pm, page=types_pb2.PageRequest(limit=1)))[0]
    await stub.RemoveMember(roster_pb2.MemberRef(project_id=project, member_id=first.id), metadata=pm)
    assert (await stub.AddMember(add(project, "Newcomer"), metadata=pm)).name == "Newcomer"
