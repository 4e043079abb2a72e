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
            name: open_channel(settings.grpc_target(name), [*CONTRACTS.get(name, []), *_COMMON]) for name in SERVICES
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
        self.health = {
            name: ServiceClient(health_pb2_grpc.HealthStub(channel), deadline)
            for name, channel in self.channels.items()
        }

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
