"""The MCP endpoint (``/mcp``, streamable HTTP): the SDK's server and its routes in the gateway.

The tools are in :mod:`gateway.mcp.tools` (identity's) and :mod:`gateway.mcp.planning_tools`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import grpc
from fastapi import FastAPI
from mcp.server.auth.routes import validate_issuer_url
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl, ValidationError
from starlette.routing import Route

from aira.identity.v1 import accounts_pb2, mcp_oauth_pb2
from gateway.deps import GatewayState
from gateway.mcp.consent import CONSENT_PATH, Consent, ConsentSigner
from gateway.mcp.provider import (
    AiraOAuthProvider,
    KeysFirst,
    McpTokenVerifier,
    OAuthRefusals,
    PublicClientRevocation,
)
from gateway.mcp.tools import register_tools
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
        audited = OAuthRefusals(PublicClientRevocation(KeysFirst(self.app, self.verifier)), self._report)
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
