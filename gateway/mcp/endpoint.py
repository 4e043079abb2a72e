"""The MCP endpoint (``/mcp``, streamable HTTP): the SDK's server, its routes in the gateway, the tools.

Tools act as an ``mcp`` principal: the grant's person, its one project, their current role there
and the granted scopes. Later domains register their tools on :attr:`McpEndpoint.server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any
from urllib.parse import urlsplit

import grpc
from fastapi import FastAPI
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.routes import validate_issuer_url
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl, ValidationError
from starlette.routing import Route

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, mcp_oauth_pb2, projects_pb2
from gateway.deps import GatewayState
from gateway.mcp.consent import CONSENT_PATH, Consent, ConsentSigner
from gateway.mcp.provider import (
    AiraOAuthProvider,
    McpAccessToken,
    McpTokenVerifier,
    OAuthRefusals,
    PublicClientRevocation,
)
from gateway.settings import GatewaySettings
from services.chassis.service import version

log = logging.getLogger("gateway.mcp")  # the name its log lines carried before mcp.py became a package

SCOPES = ("read", "write")  # identity's MCP scopes; the same names as API key scopes
_REPORTS_PER_SECOND = 10


# --- the endpoint --------------------------------------------------------------------------


class McpEndpoint:
    """The MCP server, its OAuth routes at the root of the gateway, the consent page and the tools."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.public_url = settings.public_base_url
        parts = urlsplit(self.public_url)
        self.public_origin = f"{parts.scheme}://{parts.netloc}"
        self.resource_url = f"{self.public_url}/mcp"
        self.enabled = _usable_issuer(self.public_url)
        self._state: GatewayState | None = None
        self._window, self._reports = 0, 0
        self.verifier = McpTokenVerifier(self._fetch_jwks, settings.jwks_refresh_seconds, report=lambda *_: None)
        self.provider = AiraOAuthProvider(self)
        self.consent: ConsentSigner  # keys are read when the gateway starts
        auth = (
            AuthSettings(
                # Strings, so a path-less issuer keeps its exact form (RFC 8414 compares issuers as strings).
                issuer_url=self.public_url,  # type: ignore[arg-type]
                resource_server_url=self.resource_url,  # type: ignore[arg-type]
                validate_token_resource=True,
                client_registration_options=ClientRegistrationOptions(
                    enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)
                ),
                revocation_options=RevocationOptions(enabled=True),
            )
            if self.enabled
            else None
        )
        self.server = MCPServer(
            name="aira",
            title="Aira",
            version=version(),
            instructions=(
                "Aira is an evidence-backed product-management platform. This connection acts for one "
                "person in the one project they chose when they connected it, with their role there."
            ),
            auth_server_provider=self.provider if self.enabled else None,
            auth=auth,
        )
        register_tools(self)
        self.app = self.server.streamable_http_app(
            streamable_http_path="/mcp",
            # Any gateway replica may answer any request: no session to pin a client to.
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=[parts.netloc, "127.0.0.1:*", "localhost:*", "[::1]:*"],
                allowed_origins=[self.public_origin, "http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
            ),
        )

    @property
    def state(self) -> GatewayState:
        if self._state is None:
            raise RuntimeError("the MCP endpoint is used before the gateway started")
        return self._state

    def install(self, app: FastAPI) -> None:
        """Route the SDK's paths (well-known metadata, OAuth endpoints, /mcp) and the consent page.

        Exact routes rather than a mount at "/": unknown paths stay the gateway's problem+json 404s.
        """
        if not self.enabled:
            log.warning("MCP is off: its issuer %s must be https (or a loopback address)", self.public_url)
            return
        audited = OAuthRefusals(PublicClientRevocation(self.app), self._report)
        for route in self.app.routes:
            if isinstance(route, Route):
                app.router.routes.append(Route(route.path, endpoint=audited, include_in_schema=False))
        app.add_route(CONSENT_PATH, Consent(self).handle, methods=["GET", "POST"], include_in_schema=False)

    @contextlib.asynccontextmanager
    async def serving(self, state: GatewayState) -> AsyncIterator[None]:
        """Run the SDK's session manager for the life of the gateway."""
        self._state = state
        self.consent = ConsentSigner.from_keys_dir(state.settings.keys_path)
        if not self.enabled:
            yield
            return
        async with self.server.session_manager.run():
            yield

    async def _fetch_jwks(self) -> str:
        reply = await self.state.clients.accounts.GetSigningKeys(
            accounts_pb2.GetSigningKeysRequest(), metadata=self.state.principals.metadata(None)
        )
        return reply.jwks_json

    async def _report(self, rejection: mcp_oauth_pb2.McpRejection) -> None:
        """Record a refusal (at most a few a second: a flood of bad requests is not a flood of writes)."""
        now = int(time.monotonic())
        if now != self._window:
            self._window, self._reports = now, 0
        if self._reports >= _REPORTS_PER_SECOND:
            return
        self._reports += 1
        try:
            await asyncio.wait_for(
                self.state.clients.mcp_oauth.RecordRejection(rejection, metadata=self.state.principals.gateway()), 2.0
            )
        except (grpc.aio.AioRpcError, TimeoutError) as exc:
            log.warning("could not record an MCP OAuth refusal: %s", exc)


def _usable_issuer(url: str) -> bool:
    try:
        validate_issuer_url(AnyHttpUrl(url))
    except (ValueError, ValidationError):
        return False
    return True


# --- tools ---------------------------------------------------------------------------------


def _grant(ctx: Context) -> McpAccessToken:
    token = get_access_token()
    if token is None:
        request = getattr(ctx.request_context, "request", None)
        user = request.scope.get("user") if request is not None else None
        token = getattr(user, "access_token", None)
    if not isinstance(token, McpAccessToken):
        raise ToolError("this connection is not authorized")
    return token


async def _call(call: Awaitable[Any]) -> Any:
    """A service call whose refusals become tool errors the model can read."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise ToolError("a service is unavailable; try again shortly") from exc
        if exc.code() in (
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.FAILED_PRECONDITION,
        ):
            raise ToolError(exc.details() or exc.code().name.lower()) from exc
        raise


def register_tools(endpoint: McpEndpoint) -> None:
    server = endpoint.server

    @server.tool(
        name="whoami",
        description="Who this connection acts as: the person, the one project it is bound to, "
        "their role there and the scopes they granted.",
    )
    async def whoami(ctx: Context) -> dict[str, Any]:
        grant = _grant(ctx)
        state = endpoint.state
        metadata = state.principals.metadata(grant.caller())
        me = await _call(state.clients.accounts.GetMe(accounts_pb2.GetMeRequest(), metadata=metadata))
        project = await _call(
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
        grant = _grant(ctx)
        state = endpoint.state
        reply = await _call(
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
