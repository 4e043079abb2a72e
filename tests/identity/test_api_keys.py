"""API keys over gRPC: shown once, stored hashed, scoped, bound to a project, never above their creator."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import func, select, text, update

from aira.identity.v1 import api_keys_pb2, api_keys_pb2_grpc, projects_pb2
from services.chassis.principal import Principal
from services.identity.models import ApiKey
from tests.grpc_calls import refused
from tests.identity.test_accounts import audit_types
from tests.identity.test_projects import World

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def world(identity_channel, principals) -> World:
    return World(identity_channel, principals)


@pytest.fixture
def keys(identity_channel) -> api_keys_pb2_grpc.ApiKeysStub:
    return api_keys_pb2_grpc.ApiKeysStub(identity_channel)


def as_gateway(principals):
    return principals.metadata(Principal(subject="gateway", kind="service"))


async def test_a_key_is_shown_once_stored_hashed_and_authenticates(world, keys, principals, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    created = await keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="CI", scopes=["read", "write"]),
        metadata=world.as_(owner),
    )
    assert created.secret.startswith("aira_k_") and created.secret.startswith(created.key.prefix)
    assert list(created.key.scopes) == ["read", "write"]
    async with service_engines["identity"].connect() as conn:
        stored = (await conn.execute(select(ApiKey.key_hash))).scalar_one()
    assert created.secret not in stored and len(stored) == 64

    identity = await keys.AuthenticateApiKey(
        api_keys_pb2.AuthenticateApiKeyRequest(secret=created.secret), metadata=as_gateway(principals)
    )
    assert (identity.user_id, identity.project_id, identity.role, list(identity.scopes)) == (
        owner,
        ref.project_id,
        "owner",
        ["read", "write"],
    )
    listed = await keys.ListApiKeys(api_keys_pb2.ListApiKeysRequest(), metadata=world.as_(owner))
    assert [k.id for k in listed.items] == [created.key.id] and listed.items[0].HasField("last_used_at")
    assert "api_key_created" in await audit_types(service_engines["identity"], owner)


async def test_only_the_gateway_may_authenticate_keys(world, keys) -> None:
    owner, _ = await world.person()
    request = api_keys_pb2.AuthenticateApiKeyRequest(secret="aira_k_whatever")
    await refused(keys.AuthenticateApiKey, request, world.as_(owner), grpc.StatusCode.PERMISSION_DENIED, "forbidden")


async def test_a_key_cannot_carry_more_than_its_creators_role(world, keys, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    viewer = await world.member(ref, owner, "viewer", service_engines)
    escalate = api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="sneaky", scopes=["read", "write"])
    found = await refused(
        keys.CreateApiKey, escalate, world.as_(viewer), grpc.StatusCode.PERMISSION_DENIED, "scope-escalation"
    )
    assert "write" in found["detail"]
    assert "api_key_scope_escalation" in await audit_types(service_engines["identity"], viewer)
    async with service_engines["identity"].connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(ApiKey))).scalar_one() == 0
    ok = await keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="reader", scopes=["read"]),
        metadata=world.as_(viewer),
    )
    assert list(ok.key.scopes) == ["read"]


async def test_a_key_follows_its_creators_current_role(world, keys, principals, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    pm = await world.member(ref, owner, "product_manager", service_engines)
    created = await keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="bot", scopes=["write"]),
        metadata=world.as_(pm),
    )
    authenticate = api_keys_pb2.AuthenticateApiKeyRequest(secret=created.secret)
    assert (await keys.AuthenticateApiKey(authenticate, metadata=as_gateway(principals))).role == "product_manager"
    await world.projects.ChangeMemberRole(
        projects_pb2.ChangeMemberRoleRequest(project_id=ref.project_id, user_id=pm, role="viewer"),
        metadata=world.as_(owner),
    )
    assert (await keys.AuthenticateApiKey(authenticate, metadata=as_gateway(principals))).role == "viewer"
    await world.projects.RemoveMember(
        projects_pb2.MemberRef(project_id=ref.project_id, user_id=pm), metadata=world.as_(pm)
    )
    await refused(
        keys.AuthenticateApiKey,
        authenticate,
        as_gateway(principals),
        grpc.StatusCode.UNAUTHENTICATED,
        "api-key-orphaned",
    )


async def test_revoked_expired_and_unknown_keys_are_refused(world, keys, principals, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    created = await keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="k", scopes=["read"]),
        metadata=world.as_(owner),
    )
    gateway = as_gateway(principals)
    unknown = api_keys_pb2.AuthenticateApiKeyRequest(secret="aira_k_" + "x" * 43)
    await refused(keys.AuthenticateApiKey, unknown, gateway, grpc.StatusCode.UNAUTHENTICATED, "invalid-api-key")
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(ApiKey).values(expires_at=func.now()))
    known = api_keys_pb2.AuthenticateApiKeyRequest(secret=created.secret)
    await refused(keys.AuthenticateApiKey, known, gateway, grpc.StatusCode.UNAUTHENTICATED, "api-key-expired")
    async with service_engines["identity"].begin() as conn:
        await conn.execute(text("UPDATE identity.api_keys SET expires_at = now() + interval '1 day'"))
    revoked = await keys.RevokeApiKey(
        api_keys_pb2.RevokeApiKeyRequest(key_id=created.key.id), metadata=world.as_(owner)
    )
    assert revoked.HasField("revoked_at")
    await refused(keys.AuthenticateApiKey, known, gateway, grpc.StatusCode.UNAUTHENTICATED, "api-key-revoked")
    assert (await audit_types(service_engines["identity"], owner)).count("api_key_rejected") == 2


async def test_keys_are_private_to_their_creator(world, keys) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    other, _ = await world.person("Other")
    created = await keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="mine", scopes=["read"]),
        metadata=world.as_(owner),
    )
    revoke = api_keys_pb2.RevokeApiKeyRequest(key_id=created.key.id)
    await refused(keys.RevokeApiKey, revoke, world.as_(other), grpc.StatusCode.NOT_FOUND, "api-key-not-found")
    assert list((await keys.ListApiKeys(api_keys_pb2.ListApiKeysRequest(), metadata=world.as_(other))).items) == []
    stranger_key = api_keys_pb2.CreateApiKeyRequest(project_id=ref.project_id, name="x", scopes=["read"])
    await refused(keys.CreateApiKey, stranger_key, world.as_(other), grpc.StatusCode.NOT_FOUND, "project-not-found")


async def test_a_key_acts_only_in_its_project_and_within_its_scopes(world, keys, principals) -> None:
    owner, _ = await world.person()
    bound = await world.project(owner, "Bound")
    other = await world.project(owner, "Other")
    key = Principal(subject=owner, kind="api_key", project_id=bound.project_id, role="owner", scopes=("read",))
    as_key = principals.metadata(key)
    assert (await world.projects.GetProject(bound, metadata=as_key)).name == "Bound"
    await refused(world.projects.GetProject, other, as_key, grpc.StatusCode.NOT_FOUND, "project-not-found")
    listed = await world.projects.ListProjects(projects_pb2.ListProjectsRequest(), metadata=as_key)
    assert [p.name for p in listed.items] == ["Bound"]
    change = projects_pb2.UpdateProjectRequest(project_id=bound.project_id, name="Renamed")
    await refused(world.projects.UpdateProject, change, as_key, grpc.StatusCode.PERMISSION_DENIED, "insufficient-scope")
    create = projects_pb2.CreateProjectRequest(name="From a key")
    await refused(world.projects.CreateProject, create, as_key, grpc.StatusCode.FAILED_PRECONDITION, "person-required")
