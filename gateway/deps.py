"""FastAPI dependencies: the gateway's shared state, the caller, and project access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

import grpc
from fastapi import Depends, Header, Request

from aira.identity.v1 import projects_pb2
from gateway.auth import (
    API_KEY_PREFIX,
    AccessCache,
    AccessTokenVerifier,
    ApiKeyVerifier,
    Caller,
    Principals,
    unauthorized,
)
from gateway.clients import ServiceClients
from gateway.problems import ApiProblem
from gateway.settings import GatewaySettings
from services.chassis import idempotency


@dataclass
class GatewayState:
    settings: GatewaySettings
    clients: ServiceClients
    tokens: AccessTokenVerifier
    api_keys: ApiKeyVerifier
    principals: Principals
    access: AccessCache


# Dependencies are coroutines on purpose: FastAPI runs plain functions in a thread pool.
async def state(request: Request) -> GatewayState:
    return request.app.state.aira


State = Annotated[GatewayState, Depends(state)]


async def caller(
    gateway: State,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Caller:
    """The signed-in caller: a Bearer access token, or an API key (X-API-Key or Bearer); else 401."""
    if x_api_key:
        return await gateway.api_keys.verify(x_api_key.strip())
    if not authorization:
        raise unauthorized("send an access token as 'Authorization: Bearer <token>', or an API key as X-API-Key")
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise unauthorized("the Authorization header must be 'Bearer <token>'", "invalid-token")
    if credential.startswith(API_KEY_PREFIX):
        return await gateway.api_keys.verify(credential)
    return await gateway.tokens.verify(credential)


CallerDep = Annotated[Caller, Depends(caller)]


async def idempotency_metadata(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> tuple[tuple[str, str], ...]:
    """gRPC metadata forwarding the client's Idempotency-Key, after checking its shape."""
    if idempotency_key is None:
        return ()
    try:
        idempotency.validate_key(idempotency_key)
    except Exception as exc:  # InvalidArgument becomes the problem below
        raise ApiProblem(400, "invalid-idempotency-key", str(exc)) from exc
    return (("idempotency-key", idempotency_key),)


IdempotencyDep = Annotated[tuple[tuple[str, str], ...], Depends(idempotency_metadata)]


def project_id_of(raw: str) -> str:
    """A project id from a path; malformed ids are simply not found."""
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise ApiProblem(404, "project-not-found", "project not found") from exc


def _not_found() -> ApiProblem:
    return ApiProblem(404, "project-not-found", "project not found")


async def project_metadata(
    gateway: GatewayState, who: Caller, project_id: str, *, lasting: float = 0.0
) -> tuple[tuple[str, str], ...]:
    """A principal for ``who`` acting in ``project_id`` with their role; 404 for non-members.

    For services other than identity, which cannot look roles up themselves. ``lasting``: for a
    call that may outlive a token (its deadline), so the services it calls still accept it.
    """
    if who.kind == "api_key":
        if who.project_id != project_id:
            raise _not_found()
        return gateway.principals.metadata(who, lasting=lasting)
    role = gateway.access.get(who.user_id, project_id)
    if role is None:
        try:
            access = await gateway.clients.projects.ResolveAccess(
                projects_pb2.ProjectRef(project_id=project_id), metadata=gateway.principals.metadata(who)
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise _not_found() from exc
            raise
        role = access.role
        gateway.access.put(who.user_id, project_id, role)
    return gateway.principals.metadata(who, project_id=project_id, role=role, lasting=lasting)
