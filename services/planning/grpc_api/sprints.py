"""The Sprints and SprintPlans contracts: translate protobuf to :mod:`services.planning.sprints` and
:mod:`services.planning.sprint_plans` and back."""

from __future__ import annotations

from google.protobuf.json_format import ParseDict

from aira.common.v1 import types_pb2
from aira.planning.v1 import sprints_pb2, sprints_pb2_grpc
from services.chassis.proto_values import from_timestamp, to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.planning import sprint_plans, sprints
from services.planning.models import SprintPlanningRequest
from services.planning.peers import Peers
from services.planning.sprint_repository import TaskSummary
from services.planning.sprints import SprintView
from services.planning.tasks import hours_text


def _tasks_message(summary: TaskSummary) -> sprints_pb2.SprintTasks:
    return sprints_pb2.SprintTasks(
        total=summary.total,
        by_status=summary.by_status,
        committed_hours=hours_text(summary.committed_hours),
        completed_hours=hours_text(summary.completed_hours),
        unestimated=summary.unestimated,
    )


def sprint_message(view: SprintView) -> sprints_pb2.Sprint:
    sprint = view.sprint
    message = sprints_pb2.Sprint(
        id=str(sprint.id),
        project_id=str(sprint.project_id),
        number=sprint.number,
        name=sprint.name,
        goal=sprint.goal,
        status=sprint.status,
        committed_hours=hours_text(sprint.committed_hours),
        completed_hours=hours_text(sprint.completed_hours),
        velocity=hours_text(sprint.velocity),
        story_ids=[str(s) for s in sprint.story_ids or []],
        created_by=sprint.created_by,
        created_at=to_timestamp(sprint.created_at),
        updated_at=to_timestamp(sprint.updated_at),
        tasks=_tasks_message(view.tasks),
    )
    for name in ("start_date", "end_date", "started_at", "completed_at"):
        if (value := getattr(sprint, name)) is not None:
            getattr(message, name).CopyFrom(to_timestamp(value))
    return message


def _member_message(member: dict) -> sprints_pb2.PlanMember:
    return sprints_pb2.PlanMember(
        id=member["id"],
        name=member.get("name") or "",
        skills={k: int(v) for k, v in (member.get("skills") or {}).items()},
        capacity_hours_per_sprint=float(member.get("capacity_hours_per_sprint") or 0.0),
        current_load_hours=float(member.get("current_load_hours") or 0.0),
    )


def plan_request_message(request: SprintPlanningRequest, *, full: bool = True) -> sprints_pb2.SprintPlanRequest:
    parameters = request.parameters or {}
    message = sprints_pb2.SprintPlanRequest(
        id=str(request.id),
        project_id=str(request.project_id),
        request_type=request.request_type,
        status=request.status,
        sprint_id=str(request.sprint_id) if request.sprint_id else "",
        feature_ids=parameters.get("feature_ids", []),
        strict_skills=bool(parameters.get("strict_skills")),
        time_limit_seconds=float(parameters.get("time_limit_seconds") or 0.0),
        candidate_count=len(parameters.get("tasks", [])),
        error=request.error,
        created_by=request.created_by,
        created_at=to_timestamp(request.created_at),
    )
    if full:
        message.members.extend(_member_message(m) for m in parameters.get("members", []))
        if request.plan is not None:
            ParseDict(request.plan, message.plan, ignore_unknown_fields=True)
            message.has_plan = True
    for name in ("started_at", "finished_at", "applied_at"):
        if (value := getattr(request, name)) is not None:
            getattr(message, name).CopyFrom(to_timestamp(value))
    return message


class SprintsServicer(sprints_pb2_grpc.SprintsServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, peers: Peers) -> None:
        self._uow = uow
        self._reader = reader
        self._ask = peers.project_facts

    async def CreateSprint(self, request, ctx):
        async with self._uow() as uow:
            view = await sprints.create_sprint(
                uow,
                request.project_id,
                self._ask,
                name=request.name,
                goal=request.goal,
                start_date=from_timestamp(request.start_date) if request.HasField("start_date") else None,
                end_date=from_timestamp(request.end_date) if request.HasField("end_date") else None,
            )
            reply = sprint_message(view)
            await uow.commit(reply)
        return reply

    async def ListSprints(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await sprints.list_sprints(
                uow, request.project_id, limit=request.page.limit, cursor=request.page.cursor, status=request.status
            )
        return sprints_pb2.ListSprintsResponse(
            items=[sprint_message(v) for v in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetSprint(self, request, ctx):
        async with self._reader() as uow:
            view = await sprints.get_sprint(uow, request.project_id, request.sprint_id)
        return sprint_message(view)

    async def UpdateSprint(self, request, ctx):
        dates = {}
        for name in ("start_date", "end_date"):
            if getattr(request, f"clear_{name}"):
                dates[name] = None
            elif request.HasField(name):
                dates[name] = from_timestamp(getattr(request, name))
        async with self._uow() as uow:
            view = await sprints.update_sprint(
                uow,
                request.project_id,
                request.sprint_id,
                name=request.name if request.HasField("name") else None,
                goal=request.goal if request.HasField("goal") else None,
                **dates,
            )
            reply = sprint_message(view)
            await uow.commit(reply)
        return reply

    async def StartSprint(self, request, ctx):
        async with self._uow() as uow:
            view = await sprints.start_sprint(uow, request.project_id, request.sprint_id, self._ask)
            reply = sprint_message(view)
            await uow.commit(reply)
        return reply

    async def CompleteSprint(self, request, ctx):
        async with self._uow() as uow:
            done = await sprints.complete_sprint(
                uow, request.project_id, request.sprint_id, self._ask, carry_over_to=request.carry_over_to
            )
            reply = sprints_pb2.CompleteSprintReply(
                sprint=sprint_message(done.sprint),
                carried_over_task_ids=[str(t) for t in done.carried_over],
                created_next_sprint=done.created_next,
            )
            if done.target is not None:
                reply.carried_over_to.CopyFrom(sprint_message(done.target))
            await uow.commit(reply)
        return reply


def _member_input(member: sprints_pb2.PlanMember) -> sprint_plans.MemberInput:
    return sprint_plans.MemberInput(
        id=member.id,
        name=member.name,
        skills=dict(member.skills),
        skill_names=list(member.skill_names),
        capacity_hours_per_sprint=(
            member.capacity_hours_per_sprint if member.HasField("capacity_hours_per_sprint") else None
        ),
        current_load_hours=member.current_load_hours if member.HasField("current_load_hours") else None,
    )


class SprintPlansServicer(sprints_pb2_grpc.SprintPlansServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, peers: Peers) -> None:
        self._uow = uow
        self._reader = reader
        self._peers = peers

    async def RequestSprintPlan(self, request, ctx):
        given = sprint_plans.PlanInput(
            request_type=request.request_type,
            sprint_id=request.sprint_id,
            feature_ids=list(request.feature_ids),
            members=[_member_input(m) for m in request.members],
            strict_skills=request.strict_skills,
            time_limit_seconds=request.time_limit_seconds,
        )
        async with self._uow() as uow:
            created = await sprint_plans.request_plan(uow, request.project_id, given, self._peers.team_members)
            reply = plan_request_message(created)
            await uow.commit(reply)
        return reply

    async def ListSprintPlans(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await sprint_plans.list_plans(
                uow, request.project_id, limit=request.page.limit, cursor=request.page.cursor, status=request.status
            )
        return sprints_pb2.ListSprintPlansResponse(
            items=[plan_request_message(r, full=False) for r in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetSprintPlan(self, request, ctx):
        async with self._reader() as uow:
            found = await sprint_plans.get_plan(uow, request.project_id, request.plan_id)
        return plan_request_message(found)

    async def ApplySprintPlan(self, request, ctx):
        async with self._uow() as uow:
            done = await sprint_plans.apply_plan(
                uow, request.project_id, request.plan_id, self._peers.project_facts, sprint_id=request.sprint_id
            )
            reply = sprints_pb2.ApplySprintPlanReply(
                plan=plan_request_message(done.request),
                sprint=sprint_message(done.sprint),
                applied_task_ids=[str(t) for t in done.applied],
                skipped=[sprints_pb2.SkippedTask(task_id=str(t), reason=why) for t, why in done.skipped],
                created_sprint=done.created_sprint,
            )
            await uow.commit(reply)
        return reply
