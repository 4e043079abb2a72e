"""The gateway application: middleware, error handling, routes and the shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from aira.identity.v1 import accounts_pb2, api_keys_pb2
from gateway import problems
from gateway.auth import AccessCache, AccessTokenVerifier, ApiKeyVerifier, Caller, Principals
from gateway.clients import ServiceClients
from gateway.deps import GatewayState
from gateway.mcp import McpEndpoint
from gateway.middleware import BodyLimit, BodyTooLarge, RequestContext
from gateway.problems import Problem
from gateway.routes import api_keys, audit, auth, invitations, jobs, llm, me, oidc, passkeys, projects, system
from gateway.routes import features as feature_routes
from gateway.routes import insights as insight_routes
from gateway.routes import repository_analyses as repository_analysis_routes
from gateway.routes import sources as source_routes
from gateway.routes import sprints as sprint_routes
from gateway.routes import tasks as task_routes
from gateway.routes import team as team_routes
from gateway.security_reports import SecurityReports
from gateway.settings import GatewaySettings
from services.chassis import metrics, tracing
from services.chassis.principal import PrincipalSigner
from services.chassis.service import version


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway for ``settings``; connections open in the lifespan, not here."""
    mcp = McpEndpoint(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = ServiceClients(settings)
        principals = Principals(PrincipalSigner.from_keys_dir(settings.keys_path))
        reports = SecurityReports(clients, principals)

        async def fetch_jwks() -> str:
            reply = await clients.accounts.GetSigningKeys(
                accounts_pb2.GetSigningKeysRequest(), metadata=principals.metadata(None)
            )
            return reply.jwks_json

        async def authenticate_key(secret: str) -> Caller:
            identity = await clients.api_keys.AuthenticateApiKey(
                api_keys_pb2.AuthenticateApiKeyRequest(secret=secret), metadata=principals.gateway()
            )
            return Caller(
                user_id=identity.user_id,
                kind="api_key",
                project_id=identity.project_id,
                role=identity.role,
                scopes=tuple(identity.scopes),
            )

        async def session_open(session_id: str) -> bool:
            state = await clients.accounts.CheckSession(
                accounts_pb2.CheckSessionRequest(session_id=session_id), metadata=principals.gateway(), timeout=2.0
            )
            return state.open

        app.state.aira = GatewayState(
            settings=settings,
            clients=clients,
            tokens=AccessTokenVerifier(
                fetch_jwks,
                settings.jwks_refresh_seconds,
                report=reports.report,
                session_open=session_open,
                session_check_seconds=settings.session_check_seconds,
            ),
            api_keys=ApiKeyVerifier(authenticate_key, settings.api_key_cache_seconds),
            principals=principals,
            access=AccessCache(settings.access_cache_seconds),
        )
        stop_metrics = metrics.start(settings.metrics_host, settings.metrics_port_of("gateway"))
        stop_tracing = tracing.configure("gateway", settings)
        try:
            async with mcp.serving(app.state.aira):
                yield
        finally:
            stop_tracing()
            stop_metrics()
            await reports.close()
            await clients.close()

    app = FastAPI(
        title="Aira API",
        version=version(),
        description="Evidence-backed AI product management. Errors are RFC 9457 problem documents.",
        lifespan=lifespan,
        responses={
            400: {"model": Problem, "description": "Malformed request"},
            401: {"model": Problem, "description": "Not signed in"},
            422: {"model": Problem, "description": "Invalid request"},
        },
    )
    problems.install(app)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request, exc: BodyTooLarge):  # type: ignore[no-untyped-def]
        return problems.problem_response(413, exc.slug, str(exc), instance=request.url.path)

    for module in (system, auth, me, projects, audit, jobs, llm, invitations, api_keys, oidc, passkeys):
        app.include_router(module.router)
    app.include_router(source_routes.router)
    app.include_router(insight_routes.router)
    app.include_router(feature_routes.router)
    app.include_router(task_routes.router)
    app.include_router(team_routes.router)
    app.include_router(sprint_routes.router)
    app.include_router(repository_analysis_routes.router)
    mcp.install(app)  # the MCP endpoint and its OAuth routes, at the root (exact paths only)

    # Only the routes taking a source's content accept bodies up to the upload limit.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=[source_routes.body_limits(settings)])
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Location", "Retry-After"],
        )
    app.add_middleware(RequestContext)
    return app
