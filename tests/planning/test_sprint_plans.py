"""Sprint planning requests over gRPC against a running planning service: a request is queued at
once with what it gathered, solved by the service's job runner into an explained plan with
numbered progress, followed live over Runs.WatchProgress, and applied once; bad requests are
refused before anything is written.

Team runs beside planning: its roster is empty for most projects here, so members are given
inline; one test staffs the roster and overrides it.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from sqlalchemy import func, select

from aira.planning.v1 import events_pb2, runs_pb2, runs_pb2_grpc, sprints_pb2, sprints_pb2_grpc
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis import db
from services.chassis.ids import uuid7
from services.chassis.jobs import Job
from services.chassis.uow import UnitOfWork
from services.planning import sprint_plans
from services.planning.models import SprintPlanningRequest, infra
from tests.grpc_calls import refused
from tests.planning.sources_support import add_feature, outbox, payload_of
from tests.planning.sprints_support import eventually, new_board, progress_of

NOT_FOUND = grpc.StatusCode.NOT_FOUND
CONFLICT = grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT
ADA, BO = str(uuid.uuid4()), str(uuid.uuid4())


def team() -> list[sprints_pb2.PlanMember]:
    return [
        sprints_pb2.PlanMember(id=ADA, name="Ada", skills={"python": 5}, capacity_hours_per_sprint=12),
        sprints_pb2.PlanMember(
            id=BO, name="Bo", skill_names=["Design"], capacity_hours_per_sprint=10, current_load_hours=2
        ),
    ]


@pytest.fixture(autouse=True)
def with_team(team_channel):
    """Team serves the roster (an empty one unless a test staffs it)."""


@pytest.fixture
def roster(team_channel) -> roster_pb2_grpc.RosterStub:
    return roster_pb2_grpc.RosterStub(team_channel)


@pytest.fixture
def plans(planning_channel) -> sprints_pb2_grpc.SprintPlansStub:
    return sprints_pb2_grpc.SprintPlansStub(planning_channel)


@pytest.fixture
def sprints(planning_channel) -> sprints_pb2_grpc.SprintsStub:
    return sprints_pb2_grpc.SprintsStub(planning_channel)


@pytest.fixture
def runs(planning_channel) -> runs_pb2_grpc.RunsStub:
    return runs_pb2_grpc.RunsStub(planning_channel)


def ask(board, **fields) -> sprints_pb2.RequestSprintPlanRequest:
    fields.setdefault("request_type", "next_sprint")
    fields.setdefault("members", team())
    return sprints_pb2.RequestSprintPlanRequest(project_id=board.project_id, **fields)


async def settled(plans, board, plan_id: str) -> sprints_pb2.SprintPlanRequest:
    ref = sprints_pb2.SprintPlanRef(project_id=board.project_id, plan_id=plan_id)
    return await eventually(
        lambda: plans.GetSprintPlan(ref, metadata=board.viewer), lambda p: p.status in ("completed", "failed")
    )


async def watch(runs, board, run_id: str, after: int = 0, run_type: str = "sprint_plan", metadata=None) -> list:
    request = runs_pb2.WatchProgressRequest(
        project_id=board.project_id, run_type=run_type, run_id=run_id, after_sequence=after
    )
    stream = runs.WatchProgress(request, metadata=metadata or board.viewer, timeout=30)
    return [step async for step in stream]


async def plannable_board(board, sprints) -> dict[str, str]:
    """Tasks of every kind a plan meets, by name."""
    active = await sprints.CreateSprint(sprints_pb2.CreateSprintRequest(project_id=board.project_id), metadata=board.pm)
    await sprints.StartSprint(
        sprints_pb2.SprintRef(project_id=board.project_id, sprint_id=active.id), metadata=board.pm
    )
    return {
        "api": await board.add_task("Build the API", hours="8.00", priority="critical", skills=("Python",)),
        "mockups": await board.add_task("Draw mockups", hours="6.00", priority="high", skills=("design",)),
        "docs": await board.add_task("Write the docs", hours="3.50", priority="medium"),
        "rewrite": await board.add_task("Rewrite everything", hours="40.00", priority="low"),
        "spike": await board.add_task("Spike", hours=None, priority="high"),
        "shipped": await board.add_task("Shipped already", status="done"),
        "running": await board.add_task("In the active sprint", sprint_id=active.id, status="in_progress"),
    }


async def test_a_plan_is_solved_in_the_background_and_explains_every_choice(plans, sprints, board, engine) -> None:
    tasks = await plannable_board(board, sprints)
    requested = await plans.RequestSprintPlan(ask(board, time_limit_seconds=10), metadata=board.pm)
    assert requested.status == "queued" and requested.candidate_count == 5
    assert {m.name for m in requested.members} == {"Ada", "Bo"}
    assert requested.time_limit_seconds == 10

    done = await settled(plans, board, requested.id)
    assert done.status == "completed", done.error
    plan = done.plan
    assert done.has_plan and plan.solver in ("highs", "greedy") and plan.status
    chosen = {p.task_id: p for p in plan.planned}
    assert {tasks["api"], tasks["mockups"], tasks["docs"]} <= set(chosen)
    assert chosen[tasks["api"]].assignee_id == ADA  # the only Python developer
    assert chosen[tasks["mockups"]].assignee_id == BO
    for entry in plan.planned:
        assert entry.why_in and entry.who_and_why and entry.task_key.startswith("SPR-")
    left = {p.task_id: p for p in plan.left_out}
    assert left[tasks["spike"]].reason == "not-estimated"
    assert left[tasks["rewrite"]].why_out
    assert tasks["shipped"] not in chosen | left and tasks["running"] not in chosen | left
    loads = {m.member_id: m for m in plan.members}
    for member in (ADA, BO):
        assert loads[member].planned_hours <= loads[member].capacity_hours - loads[member].current_load_hours
        assert 0 < loads[member].utilisation <= 1
    assert plan.planned_hours == sum(p.hours for p in plan.planned)

    steps = await progress_of(engine, requested.id)
    assert [(s.sequence, s.step, s.final) for s in steps] == [
        (1, "collecting", False),
        (2, "solving", False),
        (3, "explaining", False),
        (4, "completed", True),
    ]
    requested_events = await outbox(engine, "planning.sprint_plan.requested.v1", board.project_id)
    completed_events = await outbox(engine, "planning.sprint_plan.completed.v1", board.project_id)
    assert [payload_of(e, events_pb2.SprintPlanChanged).request_id for e in requested_events] == [requested.id]
    assert [payload_of(e, events_pb2.SprintPlanChanged).status for e in completed_events] == ["completed"]


async def test_progress_streams_live_and_resumes_after_a_sequence(plans, runs, sprints, board) -> None:
    await plannable_board(board, sprints)
    requested = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    live = await watch(runs, board, requested.id)  # opened before the job ran; ends with the final step
    assert [s.sequence for s in live] == [1, 2, 3, 4] and live[-1].final and live[-1].step == "completed"
    assert [s.step for s in await watch(runs, board, requested.id, after=2)] == ["explaining", "completed"]
    assert await watch(runs, board, requested.id, after=4) == []


async def test_applying_puts_the_tasks_into_a_new_sprint_once(plans, sprints, board, engine) -> None:
    tasks = await plannable_board(board, sprints)
    requested = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    done = await settled(plans, board, requested.id)
    chosen = {p.task_id: p for p in done.plan.planned}
    await board.set_status(tasks["docs"], "done")  # finished meanwhile: skipped

    apply = sprints_pb2.ApplySprintPlanRequest(project_id=board.project_id, plan_id=requested.id)
    applied = await plans.ApplySprintPlan(apply, metadata=board.pm)
    assert applied.created_sprint and applied.sprint.number == 2 and applied.sprint.status == "planned"
    assert applied.plan.HasField("applied_at") and applied.plan.sprint_id == applied.sprint.id
    assert [(s.task_id, s.reason) for s in applied.skipped] == [(tasks["docs"], "no-longer-open")]
    assert set(applied.applied_task_ids) == set(chosen) - {tasks["docs"]}
    for task_id in applied.applied_task_ids:
        row = await board.task(task_id)
        assert str(row.sprint_id) == applied.sprint.id and str(row.assignee_id) == chosen[task_id].assignee_id
        assert row.status == "todo"
    expected = sum(chosen[t].hours for t in applied.applied_task_ids)
    assert float(applied.sprint.committed_hours) == pytest.approx(expected)
    assert applied.sprint.tasks.total == len(applied.applied_task_ids)

    await refused(plans.ApplySprintPlan, apply, board.pm, CONFLICT, "plan-already-applied")
    events = await outbox(engine, "planning.sprint_plan.applied.v1", board.project_id)
    assert [payload_of(e, events_pb2.SprintPlanChanged).sprint_id for e in events] == [applied.sprint.id]


async def test_a_plan_goes_into_the_sprint_it_was_made_for(plans, sprints, board) -> None:
    await board.add_task("Only task", hours="2.00", priority="high")
    target = await sprints.CreateSprint(sprints_pb2.CreateSprintRequest(project_id=board.project_id), metadata=board.pm)
    requested = await plans.RequestSprintPlan(
        ask(board, request_type="backlog", sprint_id=target.id), metadata=board.pm
    )
    await settled(plans, board, requested.id)
    applied = await plans.ApplySprintPlan(
        sprints_pb2.ApplySprintPlanRequest(project_id=board.project_id, plan_id=requested.id), metadata=board.pm
    )
    assert applied.sprint.id == target.id and not applied.created_sprint
    assert applied.sprint.committed_hours == "2.00"


async def test_only_completed_plans_apply_and_only_into_open_sprints(plans, sprints, board, engine) -> None:
    waiting = uuid7()
    async with engine.begin() as conn:
        await conn.execute(
            SprintPlanningRequest.__table__.insert().values(
                id=waiting, project_id=board.project, request_type="backlog", status="running", created_by="tests"
            )
        )
    apply = sprints_pb2.ApplySprintPlanRequest(project_id=board.project_id, plan_id=str(waiting))
    await refused(plans.ApplySprintPlan, apply, board.pm, CONFLICT, "plan-not-completed")

    await board.add_task(hours="1.00")
    closed = await sprints.CreateSprint(sprints_pb2.CreateSprintRequest(project_id=board.project_id), metadata=board.pm)
    ref = sprints_pb2.SprintRef(project_id=board.project_id, sprint_id=closed.id)
    await sprints.StartSprint(ref, metadata=board.pm)
    requested = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    await settled(plans, board, requested.id)
    await sprints.CompleteSprint(
        sprints_pb2.CompleteSprintRequest(project_id=board.project_id, sprint_id=closed.id), metadata=board.pm
    )
    into_closed = sprints_pb2.ApplySprintPlanRequest(
        project_id=board.project_id, plan_id=requested.id, sprint_id=closed.id
    )
    await refused(plans.ApplySprintPlan, into_closed, board.pm, CONFLICT, "sprint-completed")


async def test_the_roster_comes_from_team_and_inline_members_override_it(plans, roster, board) -> None:
    await board.add_task(hours="3.00", skills=("go",))
    staffed = await roster.AddMember(
        roster_pb2.AddMemberRequest(
            project_id=board.project_id,
            name="Grace",
            role="backend engineer",
            member_type="human",
            skills={"go": 4},
            capacity_hours_per_sprint=30,
            current_load_hours=5,
        ),
        metadata=board.pm,
    )
    linus = await roster.AddMember(
        roster_pb2.AddMemberRequest(
            project_id=board.project_id,
            name="Linus",
            role="engineer",
            member_type="human",
            capacity_hours_per_sprint=20,
        ),
        metadata=board.pm,
    )
    override = sprints_pb2.PlanMember(id=linus.id, current_load_hours=18)  # busy this sprint
    extra = sprints_pb2.PlanMember(id=ADA, name="Ada", capacity_hours_per_sprint=6)
    requested = await plans.RequestSprintPlan(ask(board, members=[override, extra]), metadata=board.pm)
    members = {m.id: m for m in requested.members}
    assert set(members) == {staffed.id, linus.id, ADA}
    assert (members[staffed.id].name, dict(members[staffed.id].skills)) == ("Grace", {"go": 4})
    assert members[staffed.id].current_load_hours == 5
    assert (members[linus.id].capacity_hours_per_sprint, members[linus.id].current_load_hours) == (20, 18)
    done = await settled(plans, board, requested.id)
    assert [p.assignee_id for p in done.plan.planned] == [staffed.id]  # the Go developer
    # The plan keeps the roster it used, whatever the team changes later.
    await roster.RemoveMember(
        roster_pb2.MemberRef(project_id=board.project_id, member_id=staffed.id), metadata=board.pm
    )
    kept = await plans.GetSprintPlan(
        sprints_pb2.SprintPlanRef(project_id=board.project_id, plan_id=requested.id), metadata=board.viewer
    )
    assert staffed.id in {m.id for m in kept.members}


async def test_features_and_backlog_requests_choose_their_candidates(plans, sprints, board, engine) -> None:
    login = await add_feature(engine, board.project_id, "Login")
    planned = await sprints.CreateSprint(
        sprints_pb2.CreateSprintRequest(project_id=board.project_id), metadata=board.pm
    )
    await board.add_task("Login form", feature_id=login)
    await board.add_task("Login API", feature_id=login, sprint_id=planned.id)
    await board.add_task("Unrelated")
    features = await plans.RequestSprintPlan(
        ask(board, request_type="features", feature_ids=[login]), metadata=board.pm
    )
    backlog = await plans.RequestSprintPlan(ask(board, request_type="backlog"), metadata=board.pm)
    everything = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    assert (features.candidate_count, backlog.candidate_count, everything.candidate_count) == (2, 2, 3)
    assert list(features.feature_ids) == [login]


async def test_bad_requests_are_refused_before_anything_is_written(plans, sprints, board, engine) -> None:
    await refused(plans.RequestSprintPlan, ask(board), board.pm, INVALID, "no-candidate-tasks")
    await board.add_task(hours="2.00")
    active = await sprints.CreateSprint(sprints_pb2.CreateSprintRequest(project_id=board.project_id), metadata=board.pm)
    await sprints.StartSprint(
        sprints_pb2.SprintRef(project_id=board.project_id, sprint_id=active.id), metadata=board.pm
    )
    cases = [
        (ask(board, members=[]), "no-team-members"),
        (ask(board, request_type="someday"), "invalid-request-type"),
        (ask(board, time_limit_seconds=31), "invalid-time-limit"),
        (ask(board, time_limit_seconds=-1), "invalid-time-limit"),
        (ask(board, request_type="features"), "features-required"),
        (ask(board, request_type="features", feature_ids=[str(uuid.uuid4())]), "unknown-feature"),
        (ask(board, members=[sprints_pb2.PlanMember(id="ada", capacity_hours_per_sprint=8)]), "invalid-member-id"),
        (ask(board, members=[sprints_pb2.PlanMember(id=ADA, name="Ada")]), "invalid-member"),
        (
            ask(board, members=[sprints_pb2.PlanMember(id=ADA, skills={"go": 9}, capacity_hours_per_sprint=8)]),
            "invalid-member",
        ),
        (ask(board, members=[team()[0], team()[0]]), "duplicate-member-id"),
    ]
    for request, slug in cases:
        await refused(plans.RequestSprintPlan, request, board.pm, INVALID, slug)
    await refused(plans.RequestSprintPlan, ask(board, sprint_id=active.id), board.pm, CONFLICT, "sprint-not-planned")
    async with engine.connect() as conn:
        count = select(func.count()).where(SprintPlanningRequest.project_id == board.project)
        assert (await conn.execute(count)).scalar_one() == 0


async def test_roles_and_tenancy(plans, runs, board, engine, principals) -> None:
    await board.add_task(hours="2.00")
    await refused(plans.RequestSprintPlan, ask(board), board.viewer, grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    requested = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    await settled(plans, board, requested.id)

    other = await new_board(engine, principals)
    foreign = sprints_pb2.SprintPlanRef(project_id=other.project_id, plan_id=requested.id)
    await refused(plans.GetSprintPlan, foreign, other.pm, NOT_FOUND, "sprint-plan-not-found")
    apply = sprints_pb2.ApplySprintPlanRequest(project_id=other.project_id, plan_id=requested.id)
    await refused(plans.ApplySprintPlan, apply, other.pm, NOT_FOUND, "sprint-plan-not-found")
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await watch(runs, other, requested.id, metadata=other.pm)
    assert refusal.value.code() == NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as wrong_type:
        await watch(runs, board, requested.id, run_type="repository_analysis")
    assert wrong_type.value.code() == NOT_FOUND
    listed = await plans.ListSprintPlans(
        sprints_pb2.ListSprintPlansRequest(project_id=board.project_id), metadata=board.viewer
    )
    assert [p.id for p in listed.items] == [requested.id] and not listed.items[0].has_plan
    assert (
        await plans.ListSprintPlans(sprints_pb2.ListSprintPlansRequest(project_id=other.project_id), metadata=other.pm)
    ).items == []


def test_tasks_closed_or_unestimated_are_left_out_before_solving() -> None:
    tasks = [
        {"id": "a", "key": "K-1", "title": "a", "priority": "high", "estimated_hours": "2.00", "assignee_id": "ghost"},
        {"id": "b", "key": "K-2", "title": "b", "priority": "low", "estimated_hours": None},
        {"id": "c", "key": "K-3", "title": "c", "priority": "low", "estimated_hours": "1.00"},
    ]
    members = [{"id": ADA, "name": "Ada", "skills": {}, "capacity_hours_per_sprint": 8, "current_load_hours": 0}]
    solvable, people, left = sprint_plans._planner_inputs(tasks, members, still_open={"a", "b"})
    assert [t.id for t in solvable] == ["a"] and solvable[0].assignee_id is None  # not on the roster: not pinned
    assert [p.id for p in people] == [ADA]
    assert {(t["task_id"], t["reason"]) for t in left} == {("b", "not-estimated"), ("c", "no-longer-open")}


async def test_a_settled_request_is_not_solved_again(plans, board, engine) -> None:
    """A second attempt of the job (after a lost lease) finds the request settled and changes nothing."""
    await board.add_task(hours="2.00")
    requested = await plans.RequestSprintPlan(ask(board), metadata=board.pm)
    done = await settled(plans, board, requested.id)
    sessionmaker = db.create_sessionmaker(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker, domain="planning", producer="tests", infra=infra)

    job = Job(uuid7(), sprint_plans.JOB_KIND, {"project_id": board.project_id, "request_id": requested.id}, 2, 3)
    async with uow() as work:
        await sprint_plans.run_plan_job(work, job, progress=uow)
        await work.commit()
    again = await plans.GetSprintPlan(
        sprints_pb2.SprintPlanRef(project_id=board.project_id, plan_id=requested.id), metadata=board.viewer
    )
    assert again.finished_at == done.finished_at and again.plan == done.plan
    assert len(await progress_of(engine, requested.id)) == 4


async def test_a_job_that_breaks_fails_the_request_on_its_last_attempt(plans, board, engine) -> None:
    broken = uuid7()  # parameters the job cannot read; no job is queued, the test runs it
    async with engine.begin() as conn:
        await conn.execute(
            SprintPlanningRequest.__table__.insert().values(
                id=broken,
                project_id=board.project,
                request_type="backlog",
                status="queued",
                parameters={
                    "tasks": [{"id": str(uuid.uuid4())}],  # no title, priority, hours
                    "members": [{"id": ADA, "name": "Ada", "capacity_hours_per_sprint": 5}],
                },
                created_by="tests",
            )
        )
    sessionmaker = db.create_sessionmaker(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker, domain="planning", producer="tests", infra=infra)

    payload = {"project_id": board.project_id, "request_id": str(broken)}
    with pytest.raises(KeyError):  # not the last attempt: the runner tries again later
        async with uow() as work:
            await sprint_plans.run_plan_job(work, Job(uuid7(), sprint_plans.JOB_KIND, payload, 1, 3), progress=uow)
    async with uow() as work:
        await sprint_plans.run_plan_job(work, Job(uuid7(), sprint_plans.JOB_KIND, payload, 3, 3), progress=uow)
        await work.commit()
    failed = await plans.GetSprintPlan(
        sprints_pb2.SprintPlanRef(project_id=board.project_id, plan_id=str(broken)), metadata=board.viewer
    )
    assert failed.status == "failed" and "KeyError" in failed.error and not failed.has_plan
    steps = await progress_of(engine, str(broken))
    assert steps[-1].step == "failed" and steps[-1].final
    events = await outbox(engine, "planning.sprint_plan.failed.v1", board.project_id)
    assert [payload_of(e, events_pb2.SprintPlanChanged).request_id for e in events] == [str(broken)]


async def test_a_job_whose_worker_died_every_time_fails_its_request_once(plans, board, engine) -> None:
    """The chassis buries a job whose last lease expired without running it again; the hook planning
    registers for its kind settles the request, so the request and its stream end."""
    request_id = uuid7()  # a request whose worker died on every attempt (no job queued: the test buries it)
    async with engine.begin() as conn:
        await conn.execute(
            SprintPlanningRequest.__table__.insert().values(
                id=request_id,
                project_id=board.project,
                request_type="backlog",
                status="running",
                parameters={"tasks": [], "members": []},
                created_by="tests",
            )
        )
    requested = sprints_pb2.SprintPlanRef(project_id=board.project_id, plan_id=str(request_id))
    sessionmaker = db.create_sessionmaker(engine)
    job = Job(uuid7(), sprint_plans.JOB_KIND, {"project_id": board.project_id, "request_id": str(request_id)}, 3, 3)
    for _ in range(2):  # a second burial (another replica) changes nothing
        async with UnitOfWork(sessionmaker, domain="planning", producer="tests", infra=infra) as work:
            await sprint_plans.on_plan_job_dead(work, job, "the lease of planning/w1 expired before the job finished")
            await work.commit()
    failed = await plans.GetSprintPlan(requested, metadata=board.viewer)
    assert failed.status == "failed" and "lease" in failed.error
    steps = await progress_of(engine, str(request_id))
    assert steps[-1].step == "failed" and steps[-1].final
    events = await outbox(engine, "planning.sprint_plan.failed.v1", board.project_id)
    assert [payload_of(e, events_pb2.SprintPlanChanged).request_id for e in events] == [str(request_id)]
