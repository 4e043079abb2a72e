"""Planning's calls to other services: identity (project facts), team (the roster) and agents (the
AI gateway). Every call carries the caller's principal, request id and trace (chassis client), so
the other service checks the same person's access; planning never reads their tables.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import orjson

from aira.agents.v1 import llm_pb2, llm_pb2_grpc
from aira.identity.v1 import projects_pb2, projects_pb2_grpc
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis.grpc_client import ServiceClient, open_channel
from services.chassis.settings import Settings
from services.planning.projects import ProjectFacts, facts_from_identity

log = logging.getLogger(__name__)

# An AI call may take a while (the gateway retries the provider within its own budget).
LLM_DEADLINE_SECONDS = 180.0


@dataclass(frozen=True)
class AiAnswer:
    """What the AI gateway said: the JSON answer, or None when the project runs offline (no
    provider, or its budget refused the call) with the reason."""

    answer: dict[str, Any] | None
    reason: str = ""


def _channel(settings: Settings, service: str, contract: Any, name: str) -> grpc.aio.Channel:
    return open_channel(settings.grpc_target(service), [contract.DESCRIPTOR.services_by_name[name]])


class Peers:
    """Clients of identity, team and agents, opened once per process."""

    def __init__(self, settings: Settings) -> None:
        deadline = settings.grpc_deadline_seconds
        identity = _channel(settings, "identity", projects_pb2, "Projects")
        team = _channel(settings, "team", roster_pb2, "Roster")
        agents = _channel(settings, "agents", llm_pb2, "Llm")
        self._channels = [identity, team, agents]
        self.projects = ServiceClient(projects_pb2_grpc.ProjectsStub(identity), deadline)
        self.roster = ServiceClient(roster_pb2_grpc.RosterStub(team), deadline)
        self.llm = ServiceClient(llm_pb2_grpc.LlmStub(agents), LLM_DEADLINE_SECONDS)

    async def project_facts(self, project_id: uuid.UUID) -> ProjectFacts | None:
        """The project's name and the settings planning obeys, as identity tells the caller."""
        ref = projects_pb2.ProjectRef(project_id=str(project_id))
        try:
            project = await self.projects.GetProject(ref)
            settings = await self.projects.GetSettings(ref)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return None
            raise
        return facts_from_identity(project, settings)

    async def team_members(self, project_id: uuid.UUID, member_ids: Sequence[str] = ()) -> list[roster_pb2.TeamMember]:
        """The project's roster (or just ``member_ids`` of it)."""
        reply = await self.roster.ListMembers(
            roster_pb2.ListMembersRequest(project_id=str(project_id), member_ids=list(member_ids))
        )
        return list(reply.items)

    async def complete(
        self,
        project_id: uuid.UUID,
        *,
        task: str,
        prompt: Mapping[str, str],
        variables: Mapping[str, str],
        schema: Mapping[str, Any],
        model_tier: str = "standard",
    ) -> AiAnswer:
        """Ask the AI gateway for a JSON answer; offline (None) when the project has no provider or
        its budget says no, so the caller runs its deterministic path."""
        request = llm_pb2.CompleteRequest(
            project_id=str(project_id),
            task=task,
            prompt=llm_pb2.Prompt(name=prompt["name"], template=prompt["template"], note=prompt.get("note", "")),
            variables=dict(variables),
            json_schema=orjson.dumps(schema).decode(),
            model_tier=model_tier,
        )
        try:
            reply = await self.llm.Complete(request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.FAILED_PRECONDITION):
                log.info("AI call refused, running offline", extra={"task": task, "error": exc.details()})
                return AiAnswer(None, reason=exc.details() or "refused")
            raise
        if reply.outcome != llm_pb2.CompleteReply.COMPLETED:
            return AiAnswer(None, reason="no AI provider is configured for this project")
        return AiAnswer(orjson.loads(reply.json))

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
