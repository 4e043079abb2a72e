"""gRPC channels and stubs to every service, opened once per gateway process."""

from __future__ import annotations

from grpc_health.v1 import health_pb2, health_pb2_grpc

from aira.agents.v1 import audit_pb2, audit_pb2_grpc, jobs_pb2, jobs_pb2_grpc, llm_pb2, llm_pb2_grpc
from aira.common.v1 import service_info_pb2
from aira.identity.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    api_keys_pb2,
    api_keys_pb2_grpc,
    mcp_oauth_pb2,
    mcp_oauth_pb2_grpc,
    oidc_pb2,
    oidc_pb2_grpc,
    passkeys_pb2,
    passkeys_pb2_grpc,
    projects_pb2,
    projects_pb2_grpc,
)
from aira.planning.v1 import (
    repository_pb2,
    repository_pb2_grpc,
    runs_pb2,
    runs_pb2_grpc,
    sources_pb2,
    sources_pb2_grpc,
    sprints_pb2,
    sprints_pb2_grpc,
    work_pb2,
    work_pb2_grpc,
)
from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis.grpc_client import ServiceClient, open_channel
from services.chassis.settings import SERVICES, Settings

# The contracts each service serves (their side-effect-free methods are retried on UNAVAILABLE).
CONTRACTS = {
    "identity": [
        accounts_pb2.DESCRIPTOR.services_by_name["Accounts"],
        projects_pb2.DESCRIPTOR.services_by_name["Projects"],
        api_keys_pb2.DESCRIPTOR.services_by_name["ApiKeys"],
        mcp_oauth_pb2.DESCRIPTOR.services_by_name["McpOAuth"],
        oidc_pb2.DESCRIPTOR.services_by_name["Oidc"],
        passkeys_pb2.DESCRIPTOR.services_by_name["Passkeys"],
    ],
    "planning": [
        sources_pb2.DESCRIPTOR.services_by_name["Sources"],
        sources_pb2.DESCRIPTOR.services_by_name["Insights"],
        work_pb2.DESCRIPTOR.services_by_name["Features"],
        work_pb2.DESCRIPTOR.services_by_name["Tasks"],
        work_pb2.DESCRIPTOR.services_by_name["PullRequests"],
        sprints_pb2.DESCRIPTOR.services_by_name["Sprints"],
        sprints_pb2.DESCRIPTOR.services_by_name["SprintPlans"],
        repository_pb2.DESCRIPTOR.services_by_name["RepositoryAnalyses"],
        runs_pb2.DESCRIPTOR.services_by_name["Runs"],
    ],
    "team": [
        roster_pb2.DESCRIPTOR.services_by_name["Roster"],
    ],
    "agents": [
        audit_pb2.DESCRIPTOR.services_by_name["AuditLog"],
        jobs_pb2.DESCRIPTOR.services_by_name["Orchestration"],
        llm_pb2.DESCRIPTOR.services_by_name["Llm"],
    ],
}
_COMMON = [
    service_info_pb2.DESCRIPTOR.services_by_name["ServiceInfo"],
    health_pb2.DESCRIPTOR.services_by_name["Health"],
]


class ServiceClients:
    """One channel per service and the stubs the routes use."""

    def __init__(self, settings: Settings) -> None:
        self.channels = {
            name: open_channel(
                settings.grpc_target(name),
                [*CONTRACTS.get(name, []), *_COMMON],
                max_message_bytes=settings.grpc_max_message_bytes,
            )
            for name in SERVICES
        }
        deadline = settings.grpc_deadline_seconds
        identity = self.channels["identity"]
        self.accounts = ServiceClient(accounts_pb2_grpc.AccountsStub(identity), deadline)
        self.projects = ServiceClient(projects_pb2_grpc.ProjectsStub(identity), deadline)
        self.api_keys = ServiceClient(api_keys_pb2_grpc.ApiKeysStub(identity), deadline)
        self.mcp_oauth = ServiceClient(mcp_oauth_pb2_grpc.McpOAuthStub(identity), deadline)
        self.oidc = ServiceClient(oidc_pb2_grpc.OidcStub(identity), deadline)
        self.passkeys = ServiceClient(passkeys_pb2_grpc.PasskeysStub(identity), deadline)
        self.audit_log = ServiceClient(audit_pb2_grpc.AuditLogStub(self.channels["agents"]), deadline)
        self.orchestration = ServiceClient(jobs_pb2_grpc.OrchestrationStub(self.channels["agents"]), deadline)
        self.llm = ServiceClient(llm_pb2_grpc.LlmStub(self.channels["agents"]), deadline)
        self.sources = ServiceClient(sources_pb2_grpc.SourcesStub(self.channels["planning"]), deadline)
        self.insights = ServiceClient(sources_pb2_grpc.InsightsStub(self.channels["planning"]), deadline)
        self.features = ServiceClient(work_pb2_grpc.FeaturesStub(self.channels["planning"]), deadline)
        self.tasks = ServiceClient(work_pb2_grpc.TasksStub(self.channels["planning"]), deadline)
        self.pull_requests = ServiceClient(work_pb2_grpc.PullRequestsStub(self.channels["planning"]), deadline)
        self.sprints = ServiceClient(sprints_pb2_grpc.SprintsStub(self.channels["planning"]), deadline)
        self.sprint_plans = ServiceClient(sprints_pb2_grpc.SprintPlansStub(self.channels["planning"]), deadline)
        self.repository_analyses = ServiceClient(
            repository_pb2_grpc.RepositoryAnalysesStub(self.channels["planning"]), deadline
        )
        self.runs = ServiceClient(runs_pb2_grpc.RunsStub(self.channels["planning"]), deadline)
        self.roster = ServiceClient(roster_pb2_grpc.RosterStub(self.channels["team"]), deadline)
        self.health = {
            name: ServiceClient(health_pb2_grpc.HealthStub(channel), deadline)
            for name, channel in self.channels.items()
        }

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
