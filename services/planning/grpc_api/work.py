"""The Features, Tasks and PullRequests contracts: translate protobuf to :mod:`services.planning.features`,
:mod:`services.planning.tasks` and :mod:`services.planning.pull_requests` and back, and adapt the
peers (team roster, AI gateway) to what the domain asks for.

Generation and breakdown ask the model with no transaction open: their inputs are read first, the
model answers, then one unit of work stores the result.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import grpc

from aira.common.v1 import types_pb2
from aira.planning.v1 import work_pb2, work_pb2_grpc
from services.chassis.errors import Unavailable
from services.chassis.proto_values import from_timestamp, to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.planning import feature_drafting, features, pull_requests, tasks
from services.planning.feature_drafting import Complete
from services.planning.features import FeatureView
from services.planning.peers import Peers
from services.planning.pull_requests import LinkView, Recorded
from services.planning.tasks import RosterMember, TaskView

log = logging.getLogger(__name__)


# --- peers as the domain sees them -----------------------------------------------------------


def roster_of(peers: Peers) -> tasks.Roster:
    """Team's roster of a project; None when team serves none (UNIMPLEMENTED) or is down."""

    async def roster(project: uuid.UUID) -> list[RosterMember] | None:
        try:
            members = await peers.team_members(project)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE):
                log.info("no roster from team (%s); assignees are not validated", exc.code().name)
                return None
            raise Unavailable(
                f"the team service could not list the roster: {exc.code().name}", slug="team-unavailable"
            ) from exc
        return [RosterMember(id=m.id, user_id=m.user_id) for m in members]

    return roster


def complete_of(peers: Peers, project: uuid.UUID) -> Complete:
    """The AI gateway as feature drafting calls it: None when the project runs offline."""

    async def complete(name: str, variables: dict[str, str], schema: dict[str, Any]) -> dict[str, Any] | None:
        prompt = {"name": name, "template": feature_drafting.PROMPT_TEMPLATES[name]}
        try:
            answer = await peers.complete(project, task=name, prompt=prompt, variables=variables, schema=schema)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(
                f"the AI gateway could not answer: {exc.code().name}", slug="ai-gateway-unavailable"
            ) from exc
        return answer.answer

    return complete


# --- messages --------------------------------------------------------------------------------


def feature_message(view: FeatureView) -> work_pb2.Feature:
    feature = view.feature
    counts = view.task_counts
    message = work_pb2.Feature(
        id=str(feature.id),
        project_id=str(feature.project_id),
        title=feature.title,
        description=feature.description,
        rationale=feature.rationale,
        objective=feature.objective,
        definition_of_done=list(feature.definition_of_done or []),
        effort_estimate=feature.effort_estimate,
        impact_estimate=feature.impact_estimate,
        status=feature.status,
        atom_ids=list(feature.atom_ids or []),
        origin=feature.origin,
        insight_ids=[str(i) for i in view.insight_ids],
        task_counts=work_pb2.TaskCounts(total=counts.total, **counts.by_status),
        created_by=feature.created_by,
        created_at=to_timestamp(feature.created_at),
        updated_at=to_timestamp(feature.updated_at),
    )
    for name in ("reach", "impact", "confidence", "effort", "priority_score"):
        value = getattr(feature, name)
        if value is not None:
            setattr(message, name, value)
    if feature.shipped_at is not None:
        message.shipped_at.CopyFrom(to_timestamp(feature.shipped_at))
    return message


def task_message(view: TaskView) -> work_pb2.Task:
    task = view.task
    message = work_pb2.Task(
        id=str(task.id),
        project_id=str(task.project_id),
        number=task.number,
        key=task.key,
        feature_id=str(task.feature_id or ""),
        sprint_id=str(task.sprint_id or ""),
        assignee_id=str(task.assignee_id or ""),
        title=task.title,
        description=task.description,
        proposed_solutions=list(task.proposed_solutions or []),
        acceptance_criteria=list(task.acceptance_criteria or []),
        required_skills=list(task.required_skills or []),
        type=task.type,
        status=task.status,
        priority=task.priority,
        complexity=task.complexity,
        estimated_hours=tasks.hours_text(task.estimated_hours),
        progress=task.progress,
        due_date=task.due_date.isoformat() if task.due_date else "",
        origin=task.origin,
        created_by=task.created_by,
        created_at=to_timestamp(task.created_at),
        updated_at=to_timestamp(task.updated_at),
        pull_request_count=view.pull_request_count,
    )
    if task.completed_at is not None:
        message.completed_at.CopyFrom(to_timestamp(task.completed_at))
    return message


def link_message(view: LinkView) -> work_pb2.PullRequestLink:
    link = view.link
    message = work_pb2.PullRequestLink(
        id=str(link.id),
        project_id=str(link.project_id),
        task_id=str(link.task_id),
        task_key=view.task_key,
        provider=link.provider,
        repo_full_name=link.repo_full_name,
        pr_number=link.pr_number,
        pr_state=link.pr_state,
        pr_url=link.pr_url,
        title=link.title,
        branch=link.branch,
        link_method=link.link_method,
        created_at=to_timestamp(link.created_at),
        updated_at=to_timestamp(link.updated_at),
    )
    if link.merged_at is not None:
        message.merged_at.CopyFrom(to_timestamp(link.merged_at))
    return message


def _optional(request: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The optional fields the request sets."""
    return {name: getattr(request, name) for name in names if request.HasField(name)}


# --- features --------------------------------------------------------------------------------

_FEATURE_TEXTS = ("title", "description", "rationale", "objective", "effort_estimate", "impact_estimate")
_RICE = ("reach", "impact", "confidence", "effort")


class FeaturesServicer(work_pb2_grpc.FeaturesServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, peers: Peers) -> None:
        self._uow = uow
        self._reader = reader
        self._peers = peers

    async def _write(self, change, *args, **kwargs) -> work_pb2.Feature:
        async with self._uow() as uow:
            reply = feature_message(await change(uow, *args, **kwargs))
            await uow.commit(reply)
        return reply

    async def CreateFeature(self, request, ctx):
        return await self._write(
            features.create_feature,
            request.project_id,
            **{name: getattr(request, name) for name in _FEATURE_TEXTS},
            **_optional(request, _RICE),
            definition_of_done=list(request.definition_of_done),
            atom_ids=list(request.atom_ids),
        )

    async def ListFeatures(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await features.list_features(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                status=request.status,
                origin=request.origin,
                sort=request.sort,
            )
        return work_pb2.ListFeaturesResponse(
            items=[feature_message(v) for v in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetFeature(self, request, ctx):
        async with self._reader() as uow:
            return feature_message(await features.get_feature(uow, request.project_id, request.feature_id))

    async def UpdateFeature(self, request, ctx):
        given = _optional(request, (*_FEATURE_TEXTS, *_RICE, "status"))
        if request.replace_definition_of_done:
            given["definition_of_done"] = list(request.definition_of_done)
        if request.replace_atom_ids:
            given["atom_ids"] = list(request.atom_ids)
        return await self._write(
            features.update_feature, request.project_id, request.feature_id, clear=list(request.clear), **given
        )

    async def DeleteFeature(self, request, ctx):
        async with self._uow() as uow:
            feature_id, detached, unlinked = await features.delete_feature(uow, request.project_id, request.feature_id)
            reply = work_pb2.DeleteFeatureReply(
                feature_id=str(feature_id), detached_tasks=detached, unlinked_insights=unlinked
            )
            await uow.commit(reply)
        return reply

    async def SetFeatureInsights(self, request, ctx):
        return await self._write(
            features.set_insights, request.project_id, request.feature_id, list(request.insight_ids)
        )

    async def GenerateFeatures(self, request, ctx):
        async with self._reader() as reader:
            given = await features.generation_input(reader, request.project_id, request.max_features)
        complete = complete_of(self._peers, given.project) if given.insights else None
        result = await features.propose(given, complete)
        async with self._uow() as uow:
            stored = await features.store_generated(uow, given, result)
            reply = work_pb2.GenerateFeaturesReply(
                features=[feature_message(v) for v in stored],
                report=work_pb2.GenerationReport(
                    path=result.path,
                    rounds=result.rounds,
                    covered=result.covered,
                    significant=result.significant,
                    stop_reason=result.stop_reason,
                    history=[
                        work_pb2.GenerationRound(
                            number=r.number,
                            path=r.path,
                            feature_title=r.feature_title or "",
                            covered=r.covered,
                            significant=r.significant,
                        )
                        for r in result.history
                    ],
                    revisions=list(result.revisions),
                    notes=list(result.notes),
                    insights_considered=len(given.insights),
                ),
            )
            await uow.commit(reply)
        return reply

    async def BreakDownFeature(self, request, ctx):
        async with self._reader() as reader:
            given = await features.breakdown_input(reader, request.project_id, request.feature_id)
        result = await feature_drafting.break_down_feature(
            given.outline,
            complete=complete_of(self._peers, given.project),
            existing_task_titles=given.existing_titles,
        )
        async with self._uow() as uow:
            feature, created = await features.store_breakdown(
                uow, request.project_id, given, result, self._peers.project_facts
            )
            reply = work_pb2.BreakDownFeatureReply(
                feature=feature_message(feature),
                tasks=[task_message(t) for t in created],
                path=result.path,
                notes=list(result.notes),
            )
            await uow.commit(reply)
        return reply


# --- tasks -----------------------------------------------------------------------------------

_TASK_OPTIONAL = (
    "title",
    "description",
    "type",
    "priority",
    "complexity",
    "status",
    "estimated_hours",
    "progress",
    "due_date",
    "feature_id",
    "sprint_id",
    "assignee_id",
)
_TASK_LISTS = ("proposed_solutions", "acceptance_criteria", "required_skills")


class TasksServicer(work_pb2_grpc.TasksServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, peers: Peers) -> None:
        self._uow = uow
        self._reader = reader
        self._peers = peers
        self._roster = roster_of(peers)

    async def CreateTask(self, request, ctx):
        async with self._uow() as uow:
            view = await tasks.create_task(
                uow,
                request.project_id,
                roster=self._roster,
                ask=self._peers.project_facts,
                **{name: getattr(request, name) for name in _TASK_OPTIONAL},
                **{name: list(getattr(request, name)) for name in _TASK_LISTS},
            )
            reply = task_message(view)
            await uow.commit(reply)
        return reply

    async def ListTasks(self, request, ctx):
        async with self._reader() as uow:
            items, next_cursor = await tasks.list_tasks(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                status=request.status,
                assignee_id=request.assignee_id,
                sprint_id=request.sprint_id,
                feature_id=request.feature_id,
                type=request.type,
                priority=request.priority,
                key=request.key,
                sort=request.sort,
            )
        return work_pb2.ListTasksResponse(
            items=[task_message(v) for v in items], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetTask(self, request, ctx):
        async with self._reader() as uow:
            return task_message(await tasks.get_task(uow, request.project_id, request.task_id))

    async def UpdateTask(self, request, ctx):
        given = _optional(request, _TASK_OPTIONAL)
        for name in _TASK_LISTS:
            if getattr(request, f"replace_{name}"):
                given[name] = list(getattr(request, name))
        async with self._uow() as uow:
            view = await tasks.update_task(uow, request.project_id, request.task_id, roster=self._roster, **given)
            reply = task_message(view)
            await uow.commit(reply)
        return reply

    async def DeleteTask(self, request, ctx):
        async with self._uow() as uow:
            task = await tasks.delete_task(uow, request.project_id, request.task_id)
            reply = work_pb2.DeleteTaskReply(task_id=str(task.id), key=task.key)
            await uow.commit(reply)
        return reply


# --- pull requests ---------------------------------------------------------------------------


def recorded_message(recorded: Recorded) -> work_pb2.RecordPullRequestReply:
    return work_pb2.RecordPullRequestReply(
        links=[link_message(v) for v in recorded.links],
        unknown_keys=recorded.unknown_keys,
        automation_enabled=recorded.automation_enabled,
        done_task_ids=[str(i) for i in recorded.done_task_ids],
        shipped_feature_ids=[str(i) for i in recorded.shipped_feature_ids],
    )


class PullRequestsServicer(work_pb2_grpc.PullRequestsServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._reader = reader

    async def ListPullRequests(self, request, ctx):
        async with self._reader() as uow:
            links = await pull_requests.list_links(uow, request.project_id, request.task_id)
        return work_pb2.ListPullRequestsResponse(items=[link_message(v) for v in links])

    async def LinkPullRequest(self, request, ctx):
        async with self._uow() as uow:
            view = await pull_requests.link_pull_request(
                uow,
                request.project_id,
                request.task_id,
                provider=request.provider,
                repo_full_name=request.repo_full_name,
                pr_number=request.pr_number,
                pr_url=request.pr_url,
                pr_state=request.pr_state,
                title=request.title,
                branch=request.branch,
            )
            reply = link_message(view)
            await uow.commit(reply)
        return reply

    async def UnlinkPullRequest(self, request, ctx):
        async with self._uow() as uow:
            link_id = await pull_requests.unlink_pull_request(uow, request.project_id, request.task_id, request.link_id)
            reply = work_pb2.UnlinkPullRequestReply(link_id=str(link_id))
            await uow.commit(reply)
        return reply

    async def RecordPullRequest(self, request, ctx):
        async with self._uow() as uow:
            recorded = await pull_requests.record_pull_request(
                uow,
                project_id=request.project_id,
                provider=request.provider,
                repo_full_name=request.repo_full_name,
                pr_number=request.pr_number,
                pr_url=request.pr_url,
                title=request.title,
                body=request.body,
                branch=request.branch,
                state=request.state,
                merged_at=from_timestamp(request.merged_at) if request.HasField("merged_at") else None,
                delivery_id=request.delivery_id,
            )
            reply = recorded_message(recorded)
            await uow.commit(reply)
        return reply
