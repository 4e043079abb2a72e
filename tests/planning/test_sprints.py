"""Sprints over gRPC against a running planning service: numbering per project, one active sprint
(also under concurrent starts) unless the project allows parallel ones, completion with carry-over,
exact hours and a rolling velocity, edits, roles and tenancy.

The tests share one running service and never empty the database under it: each works in a
project of its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from aira.planning.v1 import events_pb2, sprints_pb2, sprints_pb2_grpc
from services.chassis.proto_values import to_timestamp
from tests.grpc_calls import refusal_of, refused
from tests.planning.sources_support import add_feature, outbox, payload_of
from tests.planning.sprints_support import new_board

NOT_FOUND = grpc.StatusCode.NOT_FOUND
CONFLICT = grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def stub(planning_channel) -> sprints_pb2_grpc.SprintsStub:
    return sprints_pb2_grpc.SprintsStub(planning_channel)


async def create(stub, board, **fields) -> sprints_pb2.Sprint:
    return await stub.CreateSprint(
        sprints_pb2.CreateSprintRequest(project_id=board.project_id, **fields), metadata=board.pm
    )


def ref(board, sprint) -> sprints_pb2.SprintRef:
    return sprints_pb2.SprintRef(project_id=board.project_id, sprint_id=sprint.id)


async def complete(stub, board, sprint, carry_over_to: str = "") -> sprints_pb2.CompleteSprintReply:
    request = sprints_pb2.CompleteSprintRequest(
        project_id=board.project_id, sprint_id=sprint.id, carry_over_to=carry_over_to
    )
    return await stub.CompleteSprint(request, metadata=board.pm)


async def test_sprints_are_numbered_per_project_and_listed_newest_first(stub, board, engine, principals) -> None:
    first = await create(stub, board)
    second = await create(stub, board, name="Launch", goal="Ship the beta")
    third = await create(stub, board)
    other = await new_board(engine, principals)
    elsewhere = await create(stub, other)

    assert (first.number, second.number, third.number, elsewhere.number) == (1, 2, 3, 1)
    assert (first.name, second.name, third.name) == ("Sprint 1", "Launch", "Sprint 3")
    assert first.status == "planned" and first.committed_hours == "0.00" and first.velocity == ""
    assert second.goal == "Ship the beta"

    page = await stub.ListSprints(
        sprints_pb2.ListSprintsRequest(project_id=board.project_id, page={"limit": 2}), metadata=board.viewer
    )
    assert [s.number for s in page.items] == [3, 2] and page.page.next_cursor
    rest = await stub.ListSprints(
        sprints_pb2.ListSprintsRequest(project_id=board.project_id, page={"limit": 2, "cursor": page.page.next_cursor}),
        metadata=board.viewer,
    )
    assert [s.number for s in rest.items] == [1] and not rest.page.next_cursor

    created = await outbox(engine, "planning.sprint.created.v1", board.project_id)
    assert [payload_of(e, events_pb2.SprintChanged).number for e in created] == [1, 2, 3]


async def test_a_sprint_shows_what_it_holds(stub, board) -> None:
    sprint = await create(stub, board)
    await board.add_task(hours="2.25", sprint_id=sprint.id, status="done")
    await board.add_task(hours="1.50", sprint_id=sprint.id, status="in_progress")
    await board.add_task(hours=None, sprint_id=sprint.id, status="todo")

    found = await stub.GetSprint(ref(board, sprint), metadata=board.viewer)
    assert found.tasks.total == 3 and found.tasks.unestimated == 1
    assert found.tasks.by_status["done"] == 1 and found.tasks.by_status["review"] == 0
    assert (found.tasks.committed_hours, found.tasks.completed_hours) == ("3.75", "2.25")


async def test_one_sprint_is_active_even_when_two_start_at_once(stub, board) -> None:
    first, second = await create(stub, board), await create(stub, board)
    outcomes = await asyncio.gather(
        stub.StartSprint(ref(board, first), metadata=board.pm),
        stub.StartSprint(ref(board, second), metadata=board.pm),
        return_exceptions=True,
    )
    started = [o for o in outcomes if isinstance(o, sprints_pb2.Sprint)]
    refusals = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(started) == 1 and len(refusals) == 1, outcomes
    assert started[0].status == "active" and started[0].HasField("started_at")
    assert refusals[0].code() == CONFLICT and "already-active" in str(refusals[0].trailing_metadata())

    loser = second if started[0].id == first.id else first
    await refused(stub.StartSprint, ref(board, loser), board.pm, CONFLICT, "sprint-already-active")
    winner = first if loser is second else second
    await refused(stub.StartSprint, ref(board, winner), board.pm, CONFLICT, "sprint-not-planned")


async def test_parallel_sprints_when_the_project_allows_them(stub, engine, principals) -> None:
    board = await new_board(engine, principals, allow_parallel_sprints=True)
    sprints = [await create(stub, board) for _ in range(3)]
    started = await asyncio.gather(*(stub.StartSprint(ref(board, s), metadata=board.pm) for s in sprints))
    assert {s.status for s in started} == {"active"}


async def test_completing_freezes_exact_hours_carries_over_and_rolls_velocity(stub, board, engine) -> None:
    login, billing = await add_feature(engine, board.project_id, "Login"), await add_feature(engine, board.project_id)
    one = await create(stub, board)
    done_a = await board.add_task(hours="1.10", status="done", sprint_id=one.id, feature_id=login)
    done_b = await board.add_task(hours="2.20", status="done", sprint_id=one.id, feature_id=billing)
    open_c = await board.add_task(hours="3.35", status="in_progress", sprint_id=one.id, feature_id=login)
    open_d = await board.add_task(hours=None, status="todo", sprint_id=one.id)
    started = await stub.StartSprint(ref(board, one), metadata=board.pm)
    assert started.committed_hours == "6.65" and started.completed_hours == "3.30"

    finished = await complete(stub, board, one)  # default: the next sprint, created for the carry-over
    assert finished.sprint.status == "completed" and finished.sprint.HasField("completed_at")
    assert (finished.sprint.committed_hours, finished.sprint.completed_hours) == ("6.65", "3.30")
    assert finished.sprint.velocity == "3.30"
    assert list(finished.sprint.story_ids) == [login, billing]
    assert sorted(finished.carried_over_task_ids) == sorted([open_c, open_d])
    two = finished.carried_over_to
    assert finished.created_next_sprint and two.number == 2 and two.status == "planned"
    assert (two.committed_hours, two.tasks.total) == ("3.35", 2)
    assert (await board.task(open_c)).status == "in_progress"  # work in progress stays in progress
    assert (await board.task(done_a)).sprint_id == (await board.task(done_b)).sprint_id  # done tasks stay

    # The completed sprint keeps what it committed to, though its unfinished tasks left.
    again = await stub.GetSprint(ref(board, one), metadata=board.viewer)
    assert (again.committed_hours, again.completed_hours, again.tasks.total) == ("6.65", "3.30", 2)

    await stub.StartSprint(ref(board, two), metadata=board.pm)
    await board.set_status(open_c, "done")
    second = await complete(stub, board, two, "backlog")
    assert second.sprint.completed_hours == "3.35" and not second.HasField("carried_over_to")
    assert second.sprint.velocity == "3.33"  # (3.30 + 3.35) / 2 = 3.325, half up
    assert (await board.task(open_d)).sprint_id is None

    hours = ["1.00", "2.00"]
    velocities = []
    for completed in hours:
        sprint = await create(stub, board)
        await board.add_task(hours=completed, status="done", sprint_id=sprint.id)
        await stub.StartSprint(ref(board, sprint), metadata=board.pm)
        velocities.append((await complete(stub, board, sprint)).sprint.velocity)
    # The last three completed sprints only: (3.30 + 3.35 + 1.00) / 3, then (3.35 + 1.00 + 2.00) / 3.
    assert velocities == ["2.55", "2.12"]

    completed_events = await outbox(engine, "planning.sprint.completed.v1", board.project_id)
    first_completion = payload_of(completed_events[0], events_pb2.SprintChanged)
    assert sorted(first_completion.carried_over_task_ids) == sorted([open_c, open_d])
    assert first_completion.carried_over_to_sprint_id == two.id and first_completion.velocity == "3.30"
    moved = [
        payload_of(e, events_pb2.TaskChanged)
        for e in await outbox(engine, "planning.task.updated.v1", board.project_id)
    ]
    assert {(m.task_id, m.sprint_id) for m in moved} >= {(open_c, two.id), (open_d, two.id), (open_d, "")}


async def test_carry_over_to_a_named_planned_sprint_only(stub, board) -> None:
    one, two, three = await create(stub, board), await create(stub, board), await create(stub, board)
    task = await board.add_task(sprint_id=one.id, hours="5.00")
    await stub.StartSprint(ref(board, one), metadata=board.pm)
    await refused(
        stub.CompleteSprint,
        sprints_pb2.CompleteSprintRequest(project_id=board.project_id, sprint_id=two.id),
        board.pm,
        CONFLICT,
        "sprint-not-active",
    )
    await refusal_of(complete(stub, board, one, one.id), INVALID, "invalid-carry-over")
    await refusal_of(complete(stub, board, one, "somewhere"), INVALID, "invalid-carry-over")

    done = await complete(stub, board, one, three.id)
    assert done.carried_over_to.id == three.id and not done.created_next_sprint
    assert (await board.task(task)).sprint_id.hex == three.id.replace("-", "")
    await stub.StartSprint(ref(board, two), metadata=board.pm)
    await board.add_task(sprint_id=two.id)
    await refusal_of(complete(stub, board, two, one.id), CONFLICT, "carry-over-sprint-not-planned")
    # "next" takes the next planned sprint by number when there is one.
    assert (await complete(stub, board, two)).carried_over_to.id == three.id


async def test_editing_names_goals_and_dates(stub, board) -> None:
    start = datetime(2030, 1, 6, tzinfo=UTC)
    sprint = await create(
        stub, board, start_date=to_timestamp(start), end_date=to_timestamp(start + timedelta(days=14))
    )
    await refusal_of(
        create(stub, board, start_date=to_timestamp(start), end_date=to_timestamp(start)),
        INVALID,
        "invalid-sprint-dates",
    )
    update = sprints_pb2.UpdateSprintRequest(
        project_id=board.project_id, sprint_id=sprint.id, name="Hardening", goal="No P1 bugs", clear_end_date=True
    )
    changed = await stub.UpdateSprint(update, metadata=board.pm)
    assert (changed.name, changed.goal, changed.HasField("end_date")) == ("Hardening", "No P1 bugs", False)
    late = sprints_pb2.UpdateSprintRequest(
        project_id=board.project_id, sprint_id=sprint.id, end_date=to_timestamp(start - timedelta(days=1))
    )
    await refused(stub.UpdateSprint, late, board.pm, INVALID, "invalid-sprint-dates")

    await stub.StartSprint(ref(board, sprint), metadata=board.pm)
    await complete(stub, board, sprint)
    moved = sprints_pb2.UpdateSprintRequest(project_id=board.project_id, sprint_id=sprint.id, clear_start_date=True)
    await refused(stub.UpdateSprint, moved, board.pm, CONFLICT, "sprint-completed")
    renamed = sprints_pb2.UpdateSprintRequest(project_id=board.project_id, sprint_id=sprint.id, name="Hardening I")
    assert (await stub.UpdateSprint(renamed, metadata=board.pm)).name == "Hardening I"


async def test_roles_and_tenancy(stub, board, engine, principals) -> None:
    sprint = await create(stub, board)
    await refused(
        stub.CreateSprint,
        sprints_pb2.CreateSprintRequest(project_id=board.project_id),
        board.viewer,
        grpc.StatusCode.PERMISSION_DENIED,
        "forbidden",
    )
    await refused(
        stub.StartSprint, ref(board, sprint), board.as_role("member"), grpc.StatusCode.PERMISSION_DENIED, "forbidden"
    )

    other = await new_board(engine, principals)
    stranger = other.pm  # a product manager of project B
    foreign = sprints_pb2.SprintRef(project_id=other.project_id, sprint_id=sprint.id)
    for call in (stub.GetSprint, stub.StartSprint):
        await refused(call, foreign, stranger, NOT_FOUND, "sprint-not-found")
    await refused(
        stub.CompleteSprint,
        sprints_pb2.CompleteSprintRequest(project_id=other.project_id, sprint_id=sprint.id),
        stranger,
        NOT_FOUND,
        "sprint-not-found",
    )
    await refused(stub.GetSprint, ref(board, sprint), stranger, NOT_FOUND, "project-not-found")
    await refused(
        stub.GetSprint,
        sprints_pb2.SprintRef(project_id=board.project_id, sprint_id="x"),
        board.pm,
        NOT_FOUND,
        "sprint-not-found",
    )
    assert (await stub.GetSprint(ref(board, sprint), metadata=board.viewer)).status == "planned"
