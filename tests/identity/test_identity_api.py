"""Identity over gRPC: accounts, tokens and projects, against real PostgreSQL."""

from __future__ import annotations

import grpc
import jwt
import orjson
import pytest

from aira.common.v1 import types_pb2
from aira.identity.v1 import identity_pb2, identity_pb2_grpc

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def stub(identity_channel) -> identity_pb2_grpc.IdentityStub:
    return identity_pb2_grpc.IdentityStub(identity_channel)


async def signup(stub, principals, email: str, name: str = "Ada") -> identity_pb2.TokenPair:
    return await stub.SignUp(
        identity_pb2.SignUpRequest(email=email, password=PASSWORD, name=name), metadata=principals.metadata()
    )


async def test_signup_returns_tokens_the_published_keys_verify(stub, principals) -> None:
    pair = await signup(stub, principals, "  Ada@Example.COM ")
    assert (pair.token_type, pair.expires_in) == ("Bearer", 1800)
    assert pair.user.email == "ada@example.com"
    jwks = orjson.loads(
        (await stub.GetSigningKeys(identity_pb2.GetSigningKeysRequest(), metadata=principals.metadata())).jwks_json
    )
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(pair.access_token, key, algorithms=["EdDSA"], audience="aira", issuer="aira-identity")
    assert claims["sub"] == pair.user.id and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 1800
    assert len(pair.refresh_token) >= 43


async def test_email_is_unique_case_insensitively(stub, principals) -> None:
    await signup(stub, principals, "grace@example.com")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await signup(stub, principals, "GRACE@example.com")
    assert failure.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.com", "x" * 300 + "@example.com"])
async def test_invalid_emails_are_refused(stub, principals, email: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await signup(stub, principals, email)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_login_checks_the_password_and_says_the_same_for_unknown_emails(stub, principals) -> None:
    await signup(stub, principals, "linus@example.com")
    pair = await stub.Login(
        identity_pb2.LoginRequest(email="Linus@example.com", password=PASSWORD), metadata=principals.metadata()
    )
    assert pair.user.email == "linus@example.com"
    failures = []
    for email, password in (("linus@example.com", PASSWORD + "!"), ("nobody@example.com", PASSWORD), ("", "")):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.Login(identity_pb2.LoginRequest(email=email, password=password), metadata=principals.metadata())
        failures.append((failure.value.code(), failure.value.details()))
    assert set(failures) == {(grpc.StatusCode.UNAUTHENTICATED, "email or password is wrong")}


async def test_signed_in_calls_need_a_user_principal(stub, principals) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetMe(identity_pb2.GetMeRequest(), metadata=principals.metadata())
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_projects_belong_to_their_members_only(stub, principals) -> None:
    ada = (await signup(stub, principals, "ada@example.com")).user
    eve = (await signup(stub, principals, "eve@example.com", "Eve")).user
    project = await stub.CreateProject(
        identity_pb2.CreateProjectRequest(name=" Apollo ", description="Moon", vision="Land safely"),
        metadata=principals.user(ada.id),
    )
    assert (project.name, project.role, project.created_by) == ("Apollo", "owner", ada.id)
    fetched = await stub.GetProject(
        identity_pb2.GetProjectRequest(project_id=project.id), metadata=principals.user(ada.id)
    )
    assert fetched == project
    access = await stub.ResolveAccess(
        identity_pb2.ResolveAccessRequest(project_id=project.id), metadata=principals.user(ada.id)
    )
    assert access.role == "owner"

    for call, request in (
        (stub.GetProject, identity_pb2.GetProjectRequest(project_id=project.id)),
        (stub.ResolveAccess, identity_pb2.ResolveAccessRequest(project_id=project.id)),
        (stub.GetProject, identity_pb2.GetProjectRequest(project_id="not-a-uuid")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await call(request, metadata=principals.user(eve.id))
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await stub.ListProjects(identity_pb2.ListProjectsRequest(), metadata=principals.user(eve.id))
    assert list(listed.items) == []


async def test_project_lists_page_newest_first_without_gaps_or_repeats(stub, principals) -> None:
    ada = (await signup(stub, principals, "ada@example.com")).user
    created = []
    for n in range(7):
        p = await stub.CreateProject(identity_pb2.CreateProjectRequest(name=f"P{n}"), metadata=principals.user(ada.id))
        created.append(p.id)
    seen, cursor = [], ""
    while True:
        page = await stub.ListProjects(
            identity_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=3, cursor=cursor)),
            metadata=principals.user(ada.id),
        )
        seen += [p.id for p in page.items]
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert seen == list(reversed(created))
    for bad_cursor, bad_limit in (("garbage!", 3), ("", 500), ("", -1)):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.ListProjects(
                identity_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=bad_limit, cursor=bad_cursor)),
                metadata=principals.user(ada.id),
            )
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("name", "description"),
    [("", ""), ("   ", ""), ("x" * 201, ""), ("ok", "y" * 10_001), ("bell\x07", "")],
)
async def test_invalid_projects_are_refused(stub, principals, name: str, description: str) -> None:
    ada = (await signup(stub, principals, "ada@example.com")).user
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.CreateProject(
            identity_pb2.CreateProjectRequest(name=name, description=description), metadata=principals.user(ada.id)
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
