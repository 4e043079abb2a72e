"""Liveness, readiness and the public keys that verify access tokens."""

from __future__ import annotations

import asyncio

import grpc
import orjson
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from grpc_health.v1 import health_pb2

from aira.identity.v1 import accounts_pb2
from gateway.deps import State

router = APIRouter(tags=["system"])

_SERVING = health_pb2.HealthCheckResponse.SERVING


@router.get("/healthz", summary="The gateway process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _status(gateway: State, service: str, name: str) -> bool:
    try:
        reply = await gateway.clients.health[service].Check(health_pb2.HealthCheckRequest(service=name), timeout=1.0)
    except grpc.aio.AioRpcError:
        return False
    return reply.status == _SERVING


@router.get("/readyz", summary="Every service, the database and NATS are ready")
async def readyz(gateway: State) -> JSONResponse:
    services = list(gateway.clients.health)
    checks = await asyncio.gather(
        *(_status(gateway, s, "") for s in services),
        *(_status(gateway, s, "aira.dependency.database") for s in services),
        *(_status(gateway, s, "aira.dependency.nats") for s in services),
    )
    n = len(services)
    serving, database, nats = checks[:n], checks[n : 2 * n], checks[2 * n :]
    report = {
        "services": {s: "serving" if ok else "not_serving" for s, ok in zip(services, serving, strict=True)},
        "database": "ok" if all(database) else "unavailable",
        "nats": "ok" if all(nats) else "unavailable",
    }
    ready = all(checks)
    report = {"status": "ready" if ready else "not_ready", **report}
    return JSONResponse(report, status_code=200 if ready else 503)


@router.get("/.well-known/jwks.json", summary="Keys that verify Aira access tokens (RFC 7517)")
async def jwks(gateway: State) -> Response:
    keys = await gateway.clients.accounts.GetSigningKeys(
        accounts_pb2.GetSigningKeysRequest(), metadata=gateway.principals.metadata(None)
    )
    return Response(
        orjson.dumps(orjson.loads(keys.jwks_json)),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=300"},
    )
