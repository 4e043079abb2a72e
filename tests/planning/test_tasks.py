"""Tasks as a service: project-unique keys (also under concurrency), the status machine and who
may move it, filters and pagination, sprints and features of the project only, exact sprint
hours, assignees checked against team's roster, and projects kept apart.

The tests share one running planning (and team) service and never empty the database under it:
each test works in projects of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from decimal import Decimal

import grpc
import orjson
import pytest

from aira.planning.v1 import events_pb2, work_pb2
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.planning import tasks as task_rules
from services.planning.models import TASK_STATUSES
from tests.grpc_calls import refusal_of
from tests.planning.work_support import new_project, payload_of

NOT_FOUND, INVALID, CONFLICT, DENIED = (
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
)
LEGAL = {
    ("backlog", "todo"),
    ("todo", "in_progress"),
    ("in_progress", "review"),
    ("review", "done"),
    ("todo", "backlog"),
    ("in_progress", "todo"),
    ("review", "in_progress"),
    ("done", "todo"),  # a planner reopening
}
PATH = {"backlog": [], "todo": ["todo"], "in_progress": ["todo", "in_progress"]}
PATH["review"] = [*PATH["in_progress"], "review"]
PATH["done"] = [*PATH["review"], "done"]


@pytest.fixture
def roster(team_channel) -> roster_pb2_grpc.RosterStub:
    return roster_pb2_grpc.RosterStub(team_channel)


async def moved_to(project, status: str) -> work_pb2.Task:
    """A new task walked to ``status`` by legal steps."""
    task = await project.task()
    for step in PATH[status]:
        task = await project.update_task(task.id, status=step)
    return task


async def test_keys_count_per_project_and_read_like_the_project(planning_channel, engine, principals, project):
    first, second = await project.task("One"), await project.task("Two")
    assert (first.key, first.number, second.key, second.number) == ("AIR-1", 1, "AIR-2", 2)
    other = await new_project(planning_channel, engine, principals, name="Orbit Tracker", prefix="OT")
    assert (await other.task()).key == "OT-1"
    assert (await project.task("Three")).key == "AIR-3"


async def test_twenty_concurrent_creations_get_twenty_keys_without_gaps(project):
    created = await asyncio.gather(*(project.task(f"Task {n}") for n in range(20)))
    assert sorted(t.number for t in created) == list(range(1, 21))
    assert {t.key for t in created} == {f"AIR-{n}" for n in range(1, 21)}


async def test_a_task_is_found_by_id_or_by_key_in_any_case(project):
    task = await project.task("Find me", description="Somewhere", estimated_hours="2.5", due_date="2030-01-31")
    for ref in (task.id, "AIR-1", "air-1", " Air-1 "):
        found = await project.get_task(ref)
        assert (found.id, found.key, found.estimated_hours, found.due_date) == (task.id, "AIR-1", "2.50", "2030-01-31")
    for ref in ("AIR-2", "AIR-0", "AIR", "not a key", str(uuid.uuid4())):
        await refusal_of(project.get_task(ref), NOT_FOUND, "task-not-found")


@pytest.mark.parametrize(("current", "target"), list(itertools.product(TASK_STATUSES, repeat=2)))
async def test_the_status_machine_allows_exactly_its_moves(project, current: str, target: str):
    if current == target:
        return
    task = await moved_to(project, current)
    if (current, target) in LEGAL:
        moved = await project.update_task(task.id, status=target)
        assert moved.status == target
        assert moved.HasField("completed_at") == (target == "done")
    else:
        problem = await refusal_of(project.update_task(task.id, status=target), CONFLICT, "illegal-status-transition")
        assert problem["current"] == current
        assert (await project.get_task(task.id)).status == current


async def test_done_sets_completion_and_only_a_planner_reopens(project):
    member = project.as_role("member")
    task = await moved_to(project, "review")
    done = await project.update_task(task.id, metadata=member, status="done")
    assert done.HasField("completed_at") and done.progress == 100
    await refusal_of(project.update_task(task.id, metadata=member, status="todo"), DENIED, "forbidden")
    reopened = await project.update_task(task.id, status="todo")
    assert reopened.status == "todo" and not reopened.HasField("completed_at")

    events = await project.events("planning.task.status_changed")
    moves = [(p.previous_status, p.status) for p in (payload_of(e, events_pb2.TaskChanged) for e in events)]
    assert moves == [("backlog", "todo"), ("todo", "in_progress"), ("in_progress", "review"), ("review", "done"),
                     ("done", "todo")]  # fmt: skip
    changes = orjson.loads(events[-2].changes_json)
    assert changes["status"] == {"from": "review", "to": "done"} and changes["progress"]["to"] == 100


async def test_members_move_work_and_take_it_but_planners_shape_it(project):
    user_id = str(uuid.uuid4())
    member = project.as_role("member", user_id)
    task = await project.task()
    assert (await project.update_task(task.id, metadata=member, status="todo", progress=40)).progress == 40
    # Without a roster (team has none for this project) "me" is the caller's own user id.
    mine = await project.update_task(task.id, metadata=member, assignee_id="me")
    assert mine.assignee_id == user_id
    assert (await project.update_task(task.id, metadata=member, assignee_id="")).assignee_id == ""
    for fields in ({"title": "Mine now"}, {"estimated_hours": "3"}, {"assignee_id": str(uuid.uuid4())}):
        await refusal_of(project.update_task(task.id, metadata=member, **fields), DENIED, "forbidden")
    someone = await project.update_task(task.id, assignee_id=str(uuid.uuid4()))
    await refusal_of(project.update_task(someone.id, metadata=member, assignee_id=""), DENIED, "forbidden")
    for role in ("member", "stakeholder", "viewer"):
        await refusal_of(project.task(metadata=project.as_role(role)), DENIED, "forbidden")
    await refusal_of(project.delete_task(task.id, metadata=member), DENIED, "forbidden")
    viewer = project.as_role("viewer")
    await refusal_of(project.update_task(task.id, metadata=viewer, status="backlog"), DENIED, "forbidden")
    assert (await project.get_task(task.id, metadata=viewer)).title == "A task"


async def test_filters_and_pages_find_every_task_once(project):
    feature = await project.feature("Grouping")
    sprint_id = await project.add_sprint()
    person = str(uuid.uuid4())
    made = [
        await project.task("a", type="design", priority="high", feature_id=feature.id),
        await project.task("b", type="design", sprint_id=sprint_id, assignee_id=person),
        await project.task("c", priority="high", sprint_id=sprint_id, status="todo"),
        await project.task("d", type="testing", assignee_id=person),
        await project.task("e"),
    ]
    keys = [t.key for t in made]

    async def keys_of(**filters) -> list[str]:
        return [t.key for t in await project.list_tasks(**filters)]

    assert await keys_of() == keys[::-1]  # newest first
    assert await keys_of(sort="key") == keys
    assert await keys_of(type="design") == [keys[1], keys[0]]
    assert await keys_of(priority="high", sort="key") == [keys[0], keys[2]]
    assert await keys_of(sprint_id=sprint_id) == [keys[2], keys[1]]
    assert await keys_of(sprint_id="none", sort="key") == [keys[0], keys[3], keys[4]]
    assert await keys_of(assignee_id=person, sort="key") == [keys[1], keys[3]]
    assert await keys_of(assignee_id="none", sort="key") == [keys[0], keys[2], keys[4]]
    assert await keys_of(feature_id=feature.id) == [keys[0]]
    assert await keys_of(status="todo") == [keys[2]]
    assert await keys_of(key=keys[3].lower()) == [keys[3]]

    page = work_pb2.ListTasksRequest(project_id=project.project_id, page={"limit": 2})
    first = await project.tasks.ListTasks(page, metadata=project.pm)
    other_sort = work_pb2.ListTasksRequest(
        project_id=project.project_id, sort="key", page={"limit": 2, "cursor": first.page.next_cursor}
    )
    await refusal_of(project.tasks.ListTasks(other_sort, metadata=project.pm), INVALID, "invalid-cursor")
    for bad in ({"status": "doing"}, {"sprint_id": "sprint-1"}, {"sort": "title"}):
        request = work_pb2.ListTasksRequest(project_id=project.project_id, **bad)
        await refusal_of(project.tasks.ListTasks(request, metadata=project.pm), INVALID, "validation-failed")


async def test_a_sprint_or_feature_of_another_project_is_refused_and_nothing_is_written(
    planning_channel, engine, principals, project
):
    other = await new_project(planning_channel, engine, principals, name="Other", prefix="OTH")
    their_sprint, their_feature = await other.add_sprint(), await other.feature("Theirs")
    await refusal_of(project.task(sprint_id=their_sprint), NOT_FOUND, "sprint-not-found")
    await refusal_of(project.task(feature_id=their_feature.id), NOT_FOUND, "feature-not-found")
    task = await project.task()
    assert task.key == "AIR-1"  # the refused creations took no number
    await refusal_of(project.update_task(task.id, sprint_id=their_sprint), NOT_FOUND, "sprint-not-found")
    await refusal_of(project.update_task(task.id, feature_id=their_feature.id), NOT_FOUND, "feature-not-found")
    done_sprint = await project.add_sprint("completed")
    await refusal_of(project.task(sprint_id=done_sprint), CONFLICT, "sprint-completed")
    await refusal_of(project.update_task(task.id, title="x", sprint_id=done_sprint), CONFLICT, "sprint-completed")
    unchanged = await project.get_task(task.id)
    assert (unchanged.title, unchanged.sprint_id, unchanged.feature_id) == ("A task", "", "")
    assert [e.type for e in await project.events("planning.task")] == ["planning.task.created.v1"]


@pytest.mark.parametrize(
    ("fields", "slug"),
    [
        ({"estimated_hours": "1.234"}, "validation-failed"),
        ({"estimated_hours": "-1"}, "validation-failed"),
        ({"estimated_hours": "1000.01"}, "validation-failed"),
        ({"estimated_hours": "NaN"}, "validation-failed"),
        ({"estimated_hours": "lots"}, "validation-failed"),
        ({"progress": 101}, "validation-failed"),
        ({"due_date": "31/01/2030"}, "validation-failed"),
        ({"type": "chores"}, "validation-failed"),
        ({"status": "done"}, "validation-failed"),
        ({"title": "   "}, "validation-failed"),
        ({"assignee_id": "somebody"}, "validation-failed"),
        ({"sprint_id": "not-an-id"}, "sprint-not-found"),
    ],
)
async def test_bad_task_input_is_refused_whole(project, fields, slug):
    fields.setdefault("title", "Bad")
    code = NOT_FOUND if slug.endswith("not-found") else INVALID
    await refusal_of(project.task(**fields), code, slug)
    assert await project.list_tasks() == []


async def test_sprint_hours_stay_the_exact_sum_of_their_tasks(project):
    sprint, later = await project.add_sprint(), await project.add_sprint()
    a = await project.task("a", estimated_hours="1.10", sprint_id=sprint)
    b = await project.task("b", estimated_hours="2.20", sprint_id=sprint)
    await project.task("c", sprint_id=sprint)  # not estimated: counts nothing
    assert await project.sprint_hours(sprint) == (Decimal("3.30"), Decimal("0"))
    await project.update_task(b.id, estimated_hours="0.05")
    assert await project.sprint_hours(sprint) == (Decimal("1.15"), Decimal("0"))
    for step in PATH["done"]:
        await project.update_task(a.id, status=step)
    assert await project.sprint_hours(sprint) == (Decimal("1.15"), Decimal("1.10"))
    await project.update_task(a.id, sprint_id=later)
    assert await project.sprint_hours(sprint) == (Decimal("0.05"), Decimal("0"))
    assert await project.sprint_hours(later) == (Decimal("1.10"), Decimal("1.10"))
    await project.update_task(a.id, status="todo")  # reopened
    assert await project.sprint_hours(later) == (Decimal("1.10"), Decimal("0"))
    await project.delete_task(b.id)
    assert await project.sprint_hours(sprint) == (Decimal("0"), Decimal("0"))
    await project.update_task(a.id, sprint_id="", estimated_hours="")
    assert await project.sprint_hours(later) == (Decimal("0"), Decimal("0"))
    row = await project.task_row(a.id)
    assert (row.sprint_id, row.estimated_hours) == (None, None)


async def test_a_sprints_stories_follow_its_tasks(project):
    sprint, later = await project.add_sprint(), await project.add_sprint()
    checkout, search = (await project.feature("Checkout")).id, (await project.feature("Search")).id
    a = await project.task("a", feature_id=checkout, sprint_id=sprint)
    b = await project.task("b", feature_id=search, sprint_id=sprint)
    await project.task("c", sprint_id=sprint)  # no feature: no story
    assert await project.sprint_stories(sprint) == [checkout, search]  # by their first task
    await project.update_task(a.id, sprint_id=later)
    assert (await project.sprint_stories(sprint), await project.sprint_stories(later)) == ([search], [checkout])
    await project.update_task(b.id, feature_id=checkout)
    assert await project.sprint_stories(sprint) == [checkout]
    await project.delete_task(b.id)
    assert await project.sprint_stories(sprint) == []


async def test_concurrent_moves_into_one_sprint_keep_its_hours_exact(project):
    sprint = await project.add_sprint()
    made = [await project.task(f"t{n}", estimated_hours=f"{n}.25") for n in range(1, 11)]
    await asyncio.gather(*(project.update_task(t.id, sprint_id=sprint) for t in made))
    assert await project.sprint_hours(sprint) == (Decimal("57.50"), Decimal("0"))


async def test_events_tell_what_changed(project):
    task = await project.task("Evented", estimated_hours="4")
    await project.update_task(task.id, title="Renamed", estimated_hours="4.5")
    await project.delete_task(task.id)
    created, updated, deleted = await project.events("planning.task")
    assert [created.type, updated.type, deleted.type] == [
        "planning.task.created.v1",
        "planning.task.updated.v1",
        "planning.task.deleted.v1",
    ]
    assert payload_of(created, events_pb2.TaskChanged).key == "AIR-1"
    assert orjson.loads(updated.changes_json) == {
        "title": {"from": "Evented", "to": "Renamed"},
        "estimated_hours": {"from": "4.00", "to": "4.50"},
    }
    assert orjson.loads(deleted.snapshot_json)["key"] == "AIR-1"
    await refusal_of(project.get_task("AIR-1"), NOT_FOUND, "task-not-found")
    assert (await project.task()).key == "AIR-2"  # keys are never reused


async def test_assignees_must_be_on_the_roster_when_team_has_one(project, roster):
    unknown = str(uuid.uuid4())
    assert (await project.task(assignee_id=unknown)).assignee_id == unknown  # an empty roster checks nothing
    user_id = str(uuid.uuid4())
    ada = await roster.AddMember(
        roster_pb2.AddMemberRequest(project_id=project.project_id, name="Ada", user_id=user_id), metadata=project.pm
    )
    assert (await project.task(assignee_id=ada.id)).assignee_id == ada.id
    await refusal_of(project.task(assignee_id=str(uuid.uuid4())), INVALID, "unknown-assignee")
    member = project.as_role("member", user_id)
    task = await project.task()
    assert (await project.update_task(task.id, metadata=member, assignee_id="me")).assignee_id == ada.id
    assert (await project.update_task(task.id, metadata=member, assignee_id=ada.id)).assignee_id == ada.id
    stranger = project.as_role("member")
    await refusal_of(project.update_task(task.id, metadata=stranger, assignee_id="me"), INVALID, "not-on-roster")
    await refusal_of(project.update_task(task.id, assignee_id=unknown), INVALID, "unknown-assignee")


async def test_projects_stay_apart(planning_channel, engine, principals, project):
    other = await new_project(planning_channel, engine, principals, name="Other", prefix="AIR")
    theirs = await other.task("Theirs")
    assert theirs.key == "AIR-1"
    for ref in (theirs.id, theirs.key):
        await refusal_of(project.get_task(ref), NOT_FOUND, "task-not-found")
        await refusal_of(project.update_task(ref, title="Mine"), NOT_FOUND, "task-not-found")
    request = work_pb2.TaskRef(project_id=other.project_id, task_id=theirs.id)
    await refusal_of(project.tasks.GetTask(request, metadata=project.pm), NOT_FOUND, "project-not-found")
    assert [t.key for t in await project.list_tasks()] == []
    assert (await other.get_task(theirs.id)).title == "Theirs"


def test_hours_are_exact_decimals():
    assert task_rules.parse_hours(" 12.5 ") == Decimal("12.50")
    assert task_rules.parse_hours("") is None
    assert task_rules.hours_text(Decimal("3")) == "3.00"
    assert task_rules.normalise_key("air-42") == "AIR-42" and task_rules.normalise_key("AIR-042") is None
