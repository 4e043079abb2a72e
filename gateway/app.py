"""The gateway application: middleware, error handling, routes and the shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from aira.identity.v1 import identity_pb2
from gateway import problems
from gateway.auth import AccessCache, AccessTokenVerifier, Principals
from gateway.clients import ServiceClients
from gateway.deps import GatewayState
from gateway.middleware import BodyLimit, BodyTooLarge, RequestContext
from gateway.problems import Problem
from gateway.routes import auth, projects, system
from gateway.settings import GatewaySettings
from services.chassis.principal import PrincipalSigner
from services.chassis.service import version


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway for ``settings``; connections open in the lifespan, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = ServiceClients(settings)
        principals = Principals(PrincipalSigner.from_keys_dir(settings.keys_path))

        async def fetch_jwks() -> str:
            reply = await clients.identity.GetSigningKeys(
                identity_pb2.GetSigningKeysRequest(), metadata=principals.metadata(None)
            )
            return reply.jwks_json

        app.state.aira = GatewayState(
            settings=settings,
            clients=clients,
            tokens=AccessTokenVerifier(fetch_jwks, settings.jwks_refresh_seconds),
            principals=principals,
            access=AccessCache(settings.access_cache_seconds),
        )
        try:
            yield
        finally:
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
        return problems.problem_response(413, "body-too-large", str(exc), instance=request.url.path)

    app.include_router(system.router)
    app.include_router(auth.router)
    app.include_router(projects.router)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
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
