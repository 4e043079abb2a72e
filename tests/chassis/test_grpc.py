"""gRPC plumbing, exercised through the real identity service on a real port."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import func, select

from aira.common.v1 import service_info_pb2, service_info_pb2_grpc
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, projects_pb2, projects_pb2_grpc
from services.chassis.grpc_client import retry_service_config
from services.chassis.migrations import head_revision
from services.chassis.principal import Principal, PrincipalSigner
from services.identity.models import Project
from tests.grpc_calls import refused

pytestmark = pytest.mark.usefixtures("clean_db")


async def _signup(stub, principals, email="grace@example.com"):
    return await stub.SignUp(
        accounts_pb2.SignUpRequest(email=email, password="a sturdy passphrase 42", name="Grace"),
        metadata=principals.metadata(),
    )


async def test_calls_without_a_valid_principal_are_refused(identity_channel, settings) -> None:
    stub = accounts_pb2_grpc.AccountsStub(identity_channel)
    forged = PrincipalSigner(Ed25519PrivateKey.generate()).mint(Principal.anonymous())
    now = int(time.time())
    expired = jwt.encode(
        {
            "iss": "aira-gateway",
            "aud": "aira-internal",
            "sub": "anonymous",
            "knd": "anonymous",
            "iat": now - 600,
            "exp": now - 300,
        },
        PrincipalSigner.from_keys_dir(settings.keys_path)._key,
        algorithm="EdDSA",
    )
    for metadata in ((), (("x-aira-principal", forged),), (("x-aira-principal", expired),)):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.GetSigningKeys(accounts_pb2.GetSigningKeysRequest(), metadata=metadata)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_health_and_reflection_need_no_principal(identity_channel) -> None:
    health = health_pb2_grpc.HealthStub(identity_channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="aira.identity.v1.Accounts"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_describe_proves_the_service_uses_its_own_role_and_schema(identity_channel, principals) -> None:
    stub = service_info_pb2_grpc.ServiceInfoStub(identity_channel)
    info = await stub.Describe(service_info_pb2.DescribeRequest(), metadata=principals.metadata())
    assert (info.service, info.schema, info.database_role) == ("identity", "identity", "aira_identity")
    assert info.schema_revision == head_revision("identity")
    assert info.nats_connected


async def test_domain_errors_carry_status_and_problem(identity_channel, principals) -> None:
    stub = accounts_pb2_grpc.AccountsStub(identity_channel)
    problem = await refused(
        stub.SignUp,
        accounts_pb2.SignUpRequest(email="weak@example.com", password="short", name="Weak"),
        principals.metadata(),
        grpc.StatusCode.INVALID_ARGUMENT,
        "weak-password",
    )
    assert "use at least 10 characters" in problem["problems"]


async def test_a_retried_create_with_the_same_key_creates_once(identity_channel, principals, service_engines) -> None:
    accounts = accounts_pb2_grpc.AccountsStub(identity_channel)
    stub = projects_pb2_grpc.ProjectsStub(identity_channel)
    user = (await _signup(accounts, principals)).user
    metadata = (*principals.user(user.id), ("idempotency-key", "create-apollo-1"))
    request = projects_pb2.CreateProjectRequest(name="Apollo")
    replies = await asyncio.gather(*(stub.CreateProject(request, metadata=metadata) for _ in range(5)))
    again = await stub.CreateProject(request, metadata=metadata)
    assert len({r.id for r in [*replies, again]}) == 1
    async with service_engines["identity"].connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(Project))).scalar_one() == 1

    gemini = projects_pb2.CreateProjectRequest(name="Gemini")
    await refused(stub.CreateProject, gemini, metadata, grpc.StatusCode.INVALID_ARGUMENT, "idempotency-key-reused")

    other = (*principals.user(user.id), ("idempotency-key", "create-apollo-2"))
    assert (await stub.CreateProject(request, metadata=other)).id != again.id


def test_only_side_effect_free_methods_are_retried() -> None:
    config = json.loads(retry_service_config([projects_pb2.DESCRIPTOR.services_by_name["Projects"]]))
    retried = {n["method"] for n in config["methodConfig"][0]["name"]}
    assert "ListProjects" in retried and "UpdateSettings" in retried  # NO_SIDE_EFFECTS and IDEMPOTENT
    assert not {"CreateProject", "CreateInvitation", "AcceptInvitation", "TransferOwnership"} & retried
    assert config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]


async def test_liveness_does_not_depend_on_the_database(identity_channel) -> None:
    health = health_pb2_grpc.HealthStub(identity_channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="aira.liveness"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
