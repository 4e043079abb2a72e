"""Pull requests linked to tasks: by branch, by closing keywords in the body, or by hand; a merged
one completes its tasks and ships features whose tasks are all done — only with the project's PR
automation on; repeated deliveries change nothing; projects stay apart.

The tests share one running planning service (no team service: assignees go unchecked) and never
empty the database under it: each test works in projects of its own.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import grpc
import pytest

from aira.planning.v1 import work_pb2
from services.chassis.proto_values import to_timestamp
from services.planning.pull_requests import branch_key, closing_keys
from tests.grpc_calls import refusal_of
from tests.planning.work_support import new_project

NOT_FOUND, INVALID, DENIED, EXISTS = (
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ALREADY_EXISTS,
)
MERGED_AT = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)


def delivery(project, number: int = 7, *, state: str = "open", branch: str = "", body: str = "", **fields):
    request = work_pb2.RecordPullRequestRequest(
        project_id=project.project_id,
        provider="github",
        repo_full_name="Acme/Web",
        pr_number=number,
        pr_url=f"https://github.com/acme/web/pull/{number}",
        title="A change",
        body=body,
        branch=branch,
        state=state,
        delivery_id=str(uuid.uuid4()),
        **fields,
    )
    if state == "merged":
        request.merged_at.CopyFrom(to_timestamp(MERGED_AT))
    return request


async def record(project, request, metadata=None) -> work_pb2.RecordPullRequestReply:
    return await project.pull_requests.RecordPullRequest(request, metadata=metadata or project.service())


@pytest.mark.parametrize(
    ("branch", "key"),
    [
        ("task/AIR-42-fix-login", "AIR-42"),
        ("task/air-7", "AIR-7"),
        ("refs/heads/task/Air-3_rename", "AIR-3"),
        ("task/AIR-42x", None),
        ("feature/AIR-42-x", None),
        ("task/AIR-", None),
        ("", None),
    ],
)
def test_branches_name_one_task(branch: str, key: str | None):
    assert branch_key(branch) == key


def test_bodies_close_any_number_of_tasks():
    body = "Closes AIR-1, air-2 and AIR-3.\nAlso fixes: AIR-4; resolved AIR-5 & AIR-6\nMentions AIR-9 and closes #AIR-8"
    assert closing_keys(body) == ["AIR-1", "AIR-2", "AIR-3", "AIR-4", "AIR-5", "AIR-6"]
    assert closing_keys("Closes AIR-1. Fixes AIR-1") == ["AIR-1"]
    assert closing_keys("enclosed AIR-1, prefixes AIR-2") == []


async def test_branch_and_body_link_tasks_and_unknown_keys_are_reported(project):
    one, two, three = [await project.task(title) for title in ("One", "Two", "Three")]
    reply = await record(
        project, delivery(project, branch="task/air-1-login", body="Closes AIR-2, AIR-99\nFixes AIR-1")
    )
    assert [(link.task_key, link.link_method, link.pr_state) for link in reply.links] == [
        ("AIR-1", "branch", "open"),
        ("AIR-2", "body", "open"),
    ]
    assert list(reply.unknown_keys) == ["AIR-99"] and reply.automation_enabled
    assert reply.links[0].repo_full_name == "acme/web"
    assert (await project.get_task(one.id)).pull_request_count == 1
    assert (await project.get_task(three.id)).pull_request_count == 0
    assert list(reply.done_task_ids) == [] and two.status == "backlog"
    assert [e.type for e in await project.events("planning.pull_request")] == ["planning.pull_request.linked.v1"] * 2


async def test_a_merge_completes_tasks_and_ships_features_whose_tasks_are_all_done(project):
    whole, partial = await project.feature("Whole"), await project.feature("Partial")
    sprint = await project.add_sprint("active")
    a = await project.task("a", feature_id=whole.id, estimated_hours="3.50", sprint_id=sprint)
    b = await project.task("b", feature_id=whole.id, status="todo")
    c = await project.task("c", feature_id=partial.id)
    await project.task("d", feature_id=partial.id)  # stays open
    await record(project, delivery(project, 11, branch=f"task/{a.key}-x", body=f"Closes {b.key}, {c.key}"))
    assert (await project.get_task(a.id)).status == "backlog"  # open: nothing completes yet

    reply = await record(project, delivery(project, 11, state="merged"))
    assert {link.pr_state for link in reply.links} == {"merged"}
    assert sorted(reply.done_task_ids) == sorted([a.id, b.id, c.id])
    assert list(reply.shipped_feature_ids) == [whole.id]
    for task in (a, b, c):
        done = await project.get_task(task.id)
        assert done.status == "done" and done.completed_at.ToDatetime(UTC) == MERGED_AT
    assert (await project.get_feature(whole.id)).status == "shipped"
    assert (await project.get_feature(whole.id)).HasField("shipped_at")
    assert (await project.get_feature(partial.id)).status == "backlog"
    assert await project.sprint_hours(sprint) == (Decimal("3.50"), Decimal("3.50"))
    assert len(await project.events("planning.feature.shipped")) == 1
    assert len(await project.events("planning.task.status_changed")) == 3


async def test_with_automation_off_links_are_recorded_and_nothing_else_changes(planning_channel, engine, principals):
    project = await new_project(planning_channel, engine, principals, pr_automation=False)
    feature = await project.feature()
    task = await project.task(feature_id=feature.id)
    reply = await record(project, delivery(project, state="merged", branch=f"task/{task.key}"))
    assert not reply.automation_enabled
    assert [(link.task_key, link.pr_state) for link in reply.links] == [(task.key, "merged")]
    assert list(reply.done_task_ids) == [] and list(reply.shipped_feature_ids) == []
    assert (await project.get_task(task.id)).status == "backlog"
    assert (await project.get_feature(feature.id)).status == "backlog"
    manual = work_pb2.LinkPullRequestRequest(
        project_id=project.project_id, task_id=task.id, provider="gitlab", repo_full_name="g/sub/r", pr_number=2,
        pr_state="merged",
    )  # fmt: skip
    await project.pull_requests.LinkPullRequest(manual, metadata=project.pm)
    assert (await project.get_task(task.id)).status == "backlog"


async def test_a_repeated_delivery_changes_nothing_and_merged_is_final(project):
    task = await project.task()
    merged = delivery(project, 5, state="merged", body=f"Fixes {task.key}")
    first = await record(project, merged)
    events = await project.events()
    again = await record(project, merged)
    assert again == first
    assert await project.events() == events
    late_close = await record(project, delivery(project, 5, state="closed"))
    assert [link.pr_state for link in late_close.links] == ["merged"]
    await project.update_task(task.id, status="todo")  # reopened by a planner
    await record(project, merged)
    assert (await project.get_task(task.id)).status == "todo"  # an old merge does not close it again


async def test_people_link_list_and_unlink_by_hand(project):
    task = await project.task()
    member = project.as_role("member")
    request = work_pb2.LinkPullRequestRequest(
        project_id=project.project_id,
        task_id=task.key,
        provider="bitbucket",
        repo_full_name="team/app",
        pr_number=12,
        pr_url="https://bitbucket.org/team/app/pull-requests/12",
        title="Fix it",
    )
    link = await project.pull_requests.LinkPullRequest(request, metadata=member)
    assert (link.link_method, link.pr_state, link.task_key) == ("manual", "open", task.key)
    await refusal_of(
        project.pull_requests.LinkPullRequest(request, metadata=member), EXISTS, "pull-request-already-linked"
    )
    ref = work_pb2.TaskRef(project_id=project.project_id, task_id=task.id)
    listed = await project.pull_requests.ListPullRequests(ref, metadata=project.as_role("viewer"))
    assert [item.id for item in listed.items] == [link.id]
    await refusal_of(
        project.pull_requests.LinkPullRequest(request, metadata=project.as_role("viewer")), DENIED, "forbidden"
    )
    for bad in ({"provider": "svn"}, {"repo_full_name": "no-slash"}, {"pr_number": 0}, {"pr_url": "ftp://x"}):
        wrong = work_pb2.LinkPullRequestRequest()
        wrong.CopyFrom(request)
        for name, value in bad.items():
            setattr(wrong, name, value)
        await refusal_of(project.pull_requests.LinkPullRequest(wrong, metadata=member), INVALID, "validation-failed")

    merged = work_pb2.LinkPullRequestRequest()
    merged.CopyFrom(request)
    merged.pr_number, merged.pr_state = 13, "merged"
    await project.pull_requests.LinkPullRequest(merged, metadata=member)
    assert (await project.get_task(task.id)).status == "done"  # automation is on

    unlink = work_pb2.UnlinkPullRequestRequest(project_id=project.project_id, task_id=task.id, link_id=link.id)
    assert (await project.pull_requests.UnlinkPullRequest(unlink, metadata=member)).link_id == link.id
    await refusal_of(
        project.pull_requests.UnlinkPullRequest(unlink, metadata=member), NOT_FOUND, "pull-request-link-not-found"
    )
    assert (await project.get_task(task.id)).pull_request_count == 1
    assert [e.type.split(".")[2] for e in await project.events("planning.pull_request")] == [
        "linked",
        "linked",
        "unlinked",
    ]


async def test_only_services_record_pull_requests(project):
    request = delivery(project, body="Closes AIR-1")
    await refusal_of(record(project, request, metadata=project.pm), DENIED, "service-required")
    await refusal_of(record(project, request, metadata=project.service("gateway")), DENIED, "service-required")
    await refusal_of(
        record(project, request, metadata=project.principals.metadata()),
        grpc.StatusCode.UNAUTHENTICATED,
        "unauthenticated",
    )
    bad = delivery(project, state="draft")
    await refusal_of(record(project, bad), INVALID, "validation-failed")


async def test_keys_only_reach_tasks_of_the_same_project(planning_channel, engine, principals, project):
    other = await new_project(planning_channel, engine, principals)  # the same prefix, AIR
    theirs = await other.task()
    reply = await record(project, delivery(project, state="merged", body=f"Closes {theirs.key}"))
    assert list(reply.links) == [] and list(reply.unknown_keys) == [theirs.key]
    assert (await other.get_task(theirs.id)).status == "backlog"
    ref = work_pb2.TaskRef(project_id=project.project_id, task_id=theirs.id)
    await refusal_of(project.pull_requests.ListPullRequests(ref, metadata=project.pm), NOT_FOUND, "task-not-found")


async def test_without_a_team_service_any_assignee_is_accepted(project):
    somebody = str(uuid.uuid4())
    assert (await project.task(assignee_id=somebody)).assignee_id == somebody
