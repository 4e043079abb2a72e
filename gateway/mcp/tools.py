"""The tools every MCP connection has, and the helpers each domain's tools use.

Tools act as an ``mcp`` principal: the grant's person, its one project, their current role there
and the granted scopes; services check role and scope on every call, as for any other caller.
Each domain's tools live in a module of their own, registered by :func:`register_tools`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, projects_pb2
from gateway.mcp import planning_tools
from gateway.mcp.calls import call, grant_of

if TYPE_CHECKING:
    from gateway.mcp.endpoint import McpEndpoint


def register_tools(endpoint: McpEndpoint) -> None:
    """Register every domain's tools on the endpoint's server."""
    _register_identity_tools(endpoint)
    planning_tools.register(endpoint)


def _register_identity_tools(endpoint: McpEndpoint) -> None:
    server = endpoint.server

    @server.tool(
        name="whoami",
        description="Who this connection acts as: the person, the one project it is bound to, "
        "their role there and the scopes they granted.",
    )
    async def whoami(ctx: Context) -> dict[str, Any]:
        grant = grant_of(ctx)
        state = endpoint.state
        metadata = state.principals.metadata(grant.caller())
        me = await call(state.clients.accounts.GetMe(accounts_pb2.GetMeRequest(), metadata=metadata))
        project = await call(
            state.clients.projects.GetProject(projects_pb2.ProjectRef(project_id=grant.project_id), metadata=metadata)
        )
        return {
            "user": {"id": me.id, "email": me.email, "name": me.name},
            "project": {"id": project.id, "name": project.name, "role": project.role},
            "scopes": list(grant.scopes),
            "client_id": grant.client_id,
        }

    @server.tool(
        name="list_projects",
        description="The projects this connection can see: exactly the one it was granted.",
    )
    async def list_projects(ctx: Context) -> dict[str, Any]:
        grant = grant_of(ctx)
        state = endpoint.state
        reply = await call(
            state.clients.projects.ListProjects(
                projects_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=50)),
                metadata=state.principals.metadata(grant.caller()),
            )
        )
        return {
            "items": [
                {"id": p.id, "name": p.name, "description": p.description, "vision": p.vision, "role": p.role}
                for p in reply.items
            ]
        }
