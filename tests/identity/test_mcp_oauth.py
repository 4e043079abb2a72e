"""The MCP OAuth authorization server's state in identity, over gRPC against real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import grpc
import jwt
import orjson
import pytest
from sqlalchemy import func, select, update

from aira.identity.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    mcp_oauth_pb2,
    mcp_oauth_pb2_grpc,
    projects_pb2,
    projects_pb2_grpc,
)
from services.chassis.db import create_sessionmaker
from services.chassis.ids import uuid7
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.identity import mcp_oauth_repository
from services.identity.models import (
    McpOAuthAuthorizationCode,
    McpOAuthClient,
    McpOAuthRefreshToken,
    ProjectMember,
    UserAuditEntry,
    infra,
)
from tests.grpc_calls import refusal_of, refused

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "a sturdy passphrase 42"
REDIRECT = "http://127.0.0.1:43111/callback"
RESOURCE = "http://127.0.0.1:8400/mcp"
GATEWAY = Principal(subject="gateway", kind="service")


@dataclass
class Person:
    user_id: str
    project_id: str


@pytest.fixture
def oauth(identity_channel) -> mcp_oauth_pb2_grpc.McpOAuthStub:
    return mcp_oauth_pb2_grpc.McpOAuthStub(identity_channel)


@pytest.fixture
def gateway(principals):
    return principals.metadata(GATEWAY)


@pytest.fixture
def db(service_engines):
    return service_engines["identity"]


@pytest.fixture
async def person(identity_channel, principals, clean_db) -> Person:
    """The owner of a project of their own."""
    return await owner_with_project(identity_channel, principals)


@pytest.fixture
async def client(oauth, gateway, clean_db) -> mcp_oauth_pb2.McpClient:
    """A registered public client."""
    return await register(oauth, gateway)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def digest(secret: str) -> str:
    """How identity stores a code, refresh token or client secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def rejections(engine, user_id: str | None = None) -> list[dict]:
    """``mcp_oauth_rejected`` entries (their details), oldest first."""
    async with engine.connect() as conn:
        query = (
            select(UserAuditEntry.details)
            .where(UserAuditEntry.event_type == "mcp_oauth_rejected")
            .order_by(UserAuditEntry.id)
        )
        if user_id:
            query = query.where(UserAuditEntry.user_id == uuid.UUID(user_id))
        return list((await conn.execute(query)).scalars())


async def audit_types(engine, user_id: str) -> list[str]:
    async with engine.connect() as conn:
        query = select(UserAuditEntry.event_type).where(UserAuditEntry.user_id == uuid.UUID(user_id))
        return list((await conn.execute(query.order_by(UserAuditEntry.id))).scalars())


async def count(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


async def owner_with_project(identity_channel, principals, name: str = "Ada") -> Person:
    pair = await accounts_pb2_grpc.AccountsStub(identity_channel).SignUp(
        accounts_pb2.SignUpRequest(
            email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com", password=PASSWORD, name=name
        ),
        metadata=principals.metadata(),
    )
    project = await projects_pb2_grpc.ProjectsStub(identity_channel).CreateProject(
        projects_pb2.CreateProjectRequest(name=f"{name}'s project"), metadata=principals.user(pair.user.id)
    )
    return Person(pair.user.id, project.id)


async def join(identity_channel, principals, admin_engine, project_id: str, role: str) -> str:
    """A new person, added to the project with ``role``."""
    pair = await accounts_pb2_grpc.AccountsStub(identity_channel).SignUp(
        accounts_pb2.SignUpRequest(email=f"m-{uuid.uuid4().hex[:8]}@example.com", password=PASSWORD, name="Member"),
        metadata=principals.metadata(),
    )
    async with admin_engine.begin() as conn:
        await conn.execute(
            ProjectMember.__table__.insert().values(
                id=uuid7(), project_id=uuid.UUID(project_id), user_id=uuid.UUID(pair.user.id), role=role
            )
        )
    return pair.user.id


async def register(oauth, gateway, *, auth_method: str = "none", redirect_uris=(REDIRECT,), **extra):
    client_id = str(uuid.uuid4())
    metadata = {"redirect_uris": list(redirect_uris), "client_name": "Test client", **extra}
    return await oauth.RegisterClient(
        mcp_oauth_pb2.RegisterMcpClientRequest(
            client_id=client_id,
            redirect_uris=list(redirect_uris),
            client_name="Test client",
            scope="read write",
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method=auth_method,
            metadata_json=orjson.dumps(metadata).decode(),
        ),
        metadata=gateway,
    )


def code_request(client_id: str, project_id: str, challenge: str, scopes=("read",), redirect_uri: str = REDIRECT):
    return mcp_oauth_pb2.CreateMcpAuthorizationCodeRequest(
        client_id=client_id,
        project_id=project_id,
        redirect_uri=redirect_uri,
        redirect_uri_provided_explicitly=True,
        code_challenge=challenge,
        scopes=list(scopes),
        resource=RESOURCE,
    )


async def consent(oauth, principals, person: Person, client_id: str, scopes=("read",)) -> str:
    _, challenge = pkce()
    created = await oauth.CreateAuthorizationCode(
        code_request(client_id, person.project_id, challenge, scopes), metadata=principals.user(person.user_id)
    )
    return created.code


async def tokens_for(oauth, principals, gateway, person: Person, scopes=("read",)):
    client = await register(oauth, gateway)
    code = await consent(oauth, principals, person, client.client_id, scopes)
    tokens = await oauth.ExchangeAuthorizationCode(exchange(client.client_id, code), metadata=gateway)
    return client, tokens


def load_code(client_id: str, code: str) -> mcp_oauth_pb2.LoadMcpAuthorizationCodeRequest:
    return mcp_oauth_pb2.LoadMcpAuthorizationCodeRequest(client_id=client_id, code=code)


def exchange(client_id: str, code: str) -> mcp_oauth_pb2.ExchangeMcpAuthorizationCodeRequest:
    return mcp_oauth_pb2.ExchangeMcpAuthorizationCodeRequest(client_id=client_id, code=code)


def refresh(client_id: str, token: str) -> mcp_oauth_pb2.ExchangeMcpRefreshTokenRequest:
    return mcp_oauth_pb2.ExchangeMcpRefreshTokenRequest(client_id=client_id, refresh_token=token)


def grant_of(token: str) -> mcp_oauth_pb2.LoadMcpAccessTokenRequest:
    return mcp_oauth_pb2.LoadMcpAccessTokenRequest(access_token=token)


async def refresh_refused(oauth, gateway, client_id: str, token: str, slug: str) -> None:
    """Refreshing with ``token`` is refused as unauthenticated, with the problem ``slug``."""
    await refused(oauth.ExchangeRefreshToken, refresh(client_id, token), gateway, grpc.StatusCode.UNAUTHENTICATED, slug)


async def grant_refused(oauth, gateway, access_token: str, slug: str) -> None:
    """Identity has no live grant for ``access_token`` (not found, with the problem ``slug``)."""
    await refused(oauth.LoadAccessToken, grant_of(access_token), gateway, grpc.StatusCode.NOT_FOUND, slug)


# --- registration --------------------------------------------------------------------------


async def test_public_and_confidential_clients_register_and_secrets_are_not_stored(oauth, gateway, db) -> None:
    public = await register(oauth, gateway)
    assert public.client_secret == "" and public.redirect_uris == [REDIRECT] and public.scope == "read write"
    assert orjson.loads(public.metadata_json)["client_name"] == "Test client"

    confidential = await register(oauth, gateway, auth_method="client_secret_post")
    assert len(confidential.client_secret) >= 43
    again = await oauth.GetClient(mcp_oauth_pb2.GetMcpClientRequest(client_id=confidential.client_id), metadata=gateway)
    assert again.client_secret == confidential.client_secret
    async with db.connect() as conn:
        stored = (
            await conn.execute(
                select(McpOAuthClient.client_secret_hash).where(McpOAuthClient.client_id == confidential.client_id)
            )
        ).scalar_one()
    assert stored == digest(confidential.client_secret)

    await refused(
        oauth.GetClient,
        mcp_oauth_pb2.GetMcpClientRequest(client_id="nobody"),
        gateway,
        grpc.StatusCode.NOT_FOUND,
        "mcp-client-not-found",
    )


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://evil.example.com/callback",  # plain http off loopback
        "javascript:alert(1)",
        "https://app.example.com/cb#fragment",
        "https://user:pw@app.example.com/cb",
        "",
    ],
)
async def test_unsafe_redirect_uris_are_refused_at_registration(oauth, gateway, db, redirect_uri: str) -> None:
    before = await count(db, McpOAuthClient)
    await refusal_of(
        register(oauth, gateway, redirect_uris=(redirect_uri,)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-redirect-uri",
    )
    assert await count(db, McpOAuthClient) == before
    assert (await rejections(db))[-1]["reason"] == "invalid_redirect_uri"


async def test_only_the_gateway_runs_the_authorization_server(oauth, principals, person) -> None:
    request = mcp_oauth_pb2.GetMcpClientRequest(client_id="x")
    for metadata in (principals.metadata(), principals.user(person.user_id)):
        await refused(oauth.GetClient, request, metadata, grpc.StatusCode.PERMISSION_DENIED, "forbidden")


# --- consent and codes ---------------------------------------------------------------------


async def test_a_code_is_single_use_and_a_replay_revokes_what_it_issued(
    oauth, principals, gateway, person, client, db
) -> None:
    code = await consent(oauth, principals, person, client.client_id)

    loaded = await oauth.LoadAuthorizationCode(load_code(client.client_id, code), metadata=gateway)
    assert (loaded.user_id, loaded.project_id, loaded.redirect_uri) == (person.user_id, person.project_id, REDIRECT)
    assert (list(loaded.scopes), loaded.resource, loaded.consumed) == (["read"], RESOURCE, False)
    async with db.connect() as conn:
        hashes = list((await conn.execute(select(McpOAuthAuthorizationCode.code_hash))).scalars())
    assert hashes == [digest(code)]  # stored hashed only

    spend = exchange(client.client_id, code)
    other = await register(oauth, gateway)
    await refused(
        oauth.LoadAuthorizationCode,
        load_code(other.client_id, code),
        gateway,
        grpc.StatusCode.NOT_FOUND,
        "mcp-code-not-found",
    )
    tokens = await oauth.ExchangeAuthorizationCode(spend, metadata=gateway)
    assert list(tokens.scopes) == ["read"] and tokens.expires_in == 3600

    await refused(oauth.ExchangeAuthorizationCode, spend, gateway, grpc.StatusCode.UNAUTHENTICATED, "mcp-code-reused")
    await refresh_refused(oauth, gateway, client.client_id, tokens.refresh_token, "mcp-grant-revoked")
    await grant_refused(oauth, gateway, tokens.access_token, "mcp-grant-revoked")
    reasons = [r["reason"] for r in await rejections(db, person.user_id)]
    assert reasons[:2] == ["code_reused", "refresh_token_revoked"]


async def test_concurrent_exchanges_of_one_code_issue_tokens_once(oauth, principals, gateway, person, client) -> None:
    code = await consent(oauth, principals, person, client.client_id)
    spend = exchange(client.client_id, code)
    results = await asyncio.gather(
        *(oauth.ExchangeAuthorizationCode(spend, metadata=gateway) for _ in range(5)), return_exceptions=True
    )
    issued = [r for r in results if isinstance(r, mcp_oauth_pb2.McpTokens)]
    assert len(issued) == 1
    assert all(r.code() == grpc.StatusCode.UNAUTHENTICATED for r in results if isinstance(r, grpc.aio.AioRpcError))


async def test_a_pkce_mismatch_is_logged_for_the_codes_owner_and_changes_nothing(
    oauth, principals, gateway, person, client, db
) -> None:
    for challenge in ("plain-verifier", "x" * 44, "+" * 43):  # only S256 challenges are accepted
        await refused(
            oauth.CreateAuthorizationCode,
            code_request(client.client_id, person.project_id, challenge),
            principals.user(person.user_id),
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid-code-challenge",
        )
    verifier, challenge = pkce()
    created = await oauth.CreateAuthorizationCode(
        code_request(client.client_id, person.project_id, challenge), metadata=principals.user(person.user_id)
    )
    loaded = await oauth.LoadAuthorizationCode(load_code(client.client_id, created.code), metadata=gateway)
    assert loaded.code_challenge == s256(verifier) != s256("a wrong verifier")

    # The gateway's token endpoint compares the verifier (the SDK does) and reports the refusal.
    await oauth.RecordRejection(
        mcp_oauth_pb2.McpRejection(
            endpoint="token",
            error="invalid_grant",
            reason="pkce_mismatch",
            client_id=client.client_id,
            credential=created.code,
        ),
        metadata=gateway,
    )
    entry = (await rejections(db, person.user_id))[-1]
    assert entry == {
        "reason": "pkce_mismatch",
        "endpoint": "token",
        "error": "invalid_grant",
        "client_id": client.client_id,
    }
    assert created.code not in str(entry)

    # The code was not spent by the refusal.
    tokens = await oauth.ExchangeAuthorizationCode(exchange(client.client_id, created.code), metadata=gateway)
    assert tokens.access_token


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/",
        REDIRECT + "?next=1",
        REDIRECT.replace("127.0.0.1", "localhost"),
        "http://127.0.0.1:43112/callback",
    ],
)
async def test_the_redirect_uri_must_match_exactly(oauth, principals, person, client, db, redirect_uri: str) -> None:
    _, challenge = pkce()
    await refused(
        oauth.CreateAuthorizationCode,
        code_request(client.client_id, person.project_id, challenge, redirect_uri=redirect_uri),
        principals.user(person.user_id),
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-redirect-uri",
    )
    assert await count(db, McpOAuthAuthorizationCode) == 0
    entry = (await rejections(db, person.user_id))[-1]
    assert (entry["reason"], entry["redirect_uri"]) == ("redirect_uri_not_registered", redirect_uri)


async def test_a_viewer_cannot_grant_write_and_non_members_cannot_grant_anything(
    oauth, principals, gateway, identity_channel, admin_engine, db, client
) -> None:
    owner = await owner_with_project(identity_channel, principals)
    viewer = Person(
        await join(identity_channel, principals, admin_engine, owner.project_id, "viewer"), owner.project_id
    )
    _, challenge = pkce()

    await refused(
        oauth.CreateAuthorizationCode,
        code_request(client.client_id, owner.project_id, challenge, ("read", "write")),
        principals.user(viewer.user_id),
        grpc.StatusCode.PERMISSION_DENIED,
        "scope-escalation",
    )
    entry = (await rejections(db, viewer.user_id))[-1]
    assert (entry["reason"], entry["role"], entry["scopes"]) == ("scope_escalation", "viewer", ["write"])
    assert await count(db, McpOAuthAuthorizationCode) == 0

    code = await consent(oauth, principals, viewer, client.client_id, ("read",))
    tokens = await oauth.ExchangeAuthorizationCode(exchange(client.client_id, code), metadata=gateway)
    grant = await oauth.LoadAccessToken(grant_of(tokens.access_token), metadata=gateway)
    assert (grant.role, list(grant.scopes), grant.project_id) == ("viewer", ["read"], owner.project_id)
    assert "mcp_oauth_granted" in await audit_types(db, viewer.user_id)

    stranger = await owner_with_project(identity_channel, principals, "Stranger")
    await refused(
        oauth.CreateAuthorizationCode,
        code_request(client.client_id, owner.project_id, challenge),
        principals.user(stranger.user_id),
        grpc.StatusCode.NOT_FOUND,
        "project-not-found",
    )
    # Consent is a person's act: neither the gateway nor a credential may give it.
    request = code_request(client.client_id, owner.project_id, challenge)
    await refused(oauth.CreateAuthorizationCode, request, gateway, grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")
    as_grant = Principal(
        subject=owner.user_id, kind="mcp", project_id=owner.project_id, role="owner", scopes=("read", "write")
    )
    await refused(
        oauth.CreateAuthorizationCode,
        request,
        principals.metadata(as_grant),
        grpc.StatusCode.PERMISSION_DENIED,
        "person-required",
    )


# --- tokens --------------------------------------------------------------------------------


async def test_access_tokens_are_mcp_jwts_the_published_keys_verify(
    oauth, principals, gateway, identity_channel, person
) -> None:
    client, tokens = await tokens_for(oauth, principals, gateway, person, ("read", "write"))
    jwks = orjson.loads(
        (
            await accounts_pb2_grpc.AccountsStub(identity_channel).GetSigningKeys(
                accounts_pb2.GetSigningKeysRequest(), metadata=principals.metadata()
            )
        ).jwks_json
    )
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(tokens.access_token, key, algorithms=["EdDSA"], audience="aira-mcp", issuer="aira-identity")
    assert (claims["sub"], claims["pid"], claims["cid"], claims["scp"]) == (
        person.user_id,
        person.project_id,
        client.client_id,
        ["read", "write"],
    )
    assert claims["typ"] == "mcp_access" and claims["rsc"] == RESOURCE and claims["exp"] - claims["iat"] == 3600
    with pytest.raises(jwt.InvalidAudienceError):  # not an API access token
        jwt.decode(tokens.access_token, key, algorithms=["EdDSA"], audience="aira")

    grant = await oauth.LoadAccessToken(grant_of(tokens.access_token), metadata=gateway)
    assert (grant.user_id, grant.project_id, grant.role, grant.client_id) == (
        person.user_id,
        person.project_id,
        "owner",
        client.client_id,
    )
    header, payload, signature = tokens.access_token.split(".")
    for forged in (f"{header}.{payload}.{signature[:-4]}AAAA", "not-a-token", ""):
        await grant_refused(oauth, gateway, forged, "mcp-token-invalid")


async def test_refresh_rotates_within_the_family_and_a_reused_token_revokes_it(
    oauth, principals, gateway, person, db
) -> None:
    client, first = await tokens_for(oauth, principals, gateway, person, ("read", "write"))
    loaded = await oauth.LoadRefreshToken(
        mcp_oauth_pb2.LoadMcpRefreshTokenRequest(client_id=client.client_id, refresh_token=first.refresh_token),
        metadata=gateway,
    )
    assert (loaded.user_id, loaded.project_id, list(loaded.scopes)) == (
        person.user_id,
        person.project_id,
        ["read", "write"],
    )

    second = await oauth.ExchangeRefreshToken(refresh(client.client_id, first.refresh_token), metadata=gateway)
    assert second.refresh_token != first.refresh_token and list(second.scopes) == ["read", "write"]
    narrowed = await oauth.ExchangeRefreshToken(
        mcp_oauth_pb2.ExchangeMcpRefreshTokenRequest(
            client_id=client.client_id, refresh_token=second.refresh_token, scopes=["read"]
        ),
        metadata=gateway,
    )
    assert list(narrowed.scopes) == ["read"]
    async with db.connect() as conn:
        families = (await conn.execute(select(func.count(func.distinct(McpOAuthRefreshToken.family_id))))).scalar_one()
    assert families == 1

    other = await register(oauth, gateway)  # another client cannot use it
    await refresh_refused(oauth, gateway, other.client_id, narrowed.refresh_token, "mcp-refresh-token-invalid")

    # The first token, replayed.
    await refresh_refused(oauth, gateway, client.client_id, first.refresh_token, "mcp-refresh-token-reused")
    await refresh_refused(oauth, gateway, client.client_id, narrowed.refresh_token, "mcp-grant-revoked")
    for token in (first.access_token, second.access_token, narrowed.access_token):
        await grant_refused(oauth, gateway, token, "mcp-grant-revoked")
    reasons = [r["reason"] for r in await rejections(db, person.user_id)]
    assert "refresh_token_reused" in reasons


async def test_a_role_change_applies_to_the_grant_and_leaving_ends_it(
    oauth, principals, gateway, identity_channel, admin_engine
) -> None:
    owner = await owner_with_project(identity_channel, principals)
    member_id = await join(identity_channel, principals, admin_engine, owner.project_id, "member")
    member = Person(member_id, owner.project_id)
    client, tokens = await tokens_for(oauth, principals, gateway, member, ("read", "write"))
    assert list(tokens.scopes) == ["read", "write"]

    async with admin_engine.begin() as conn:
        await conn.execute(
            update(ProjectMember).where(ProjectMember.user_id == uuid.UUID(member_id)).values(role="viewer")
        )
    grant = await oauth.LoadAccessToken(grant_of(tokens.access_token), metadata=gateway)
    assert grant.role == "viewer"  # the role is looked up on every use
    rotated = await oauth.ExchangeRefreshToken(refresh(client.client_id, tokens.refresh_token), metadata=gateway)
    assert list(rotated.scopes) == ["read"]  # a viewer's grant cannot keep write

    async with admin_engine.begin() as conn:
        await conn.execute(ProjectMember.__table__.delete().where(ProjectMember.user_id == uuid.UUID(member_id)))
    await grant_refused(oauth, gateway, rotated.access_token, "mcp-grant-orphaned")
    await refresh_refused(oauth, gateway, client.client_id, rotated.refresh_token, "mcp-grant-orphaned")


async def test_revocation_ends_the_family_by_refresh_or_access_token(oauth, principals, gateway, person, db) -> None:
    client, tokens = await tokens_for(oauth, principals, gateway, person)
    other = await register(oauth, gateway)

    async def revoke(client_id: str, token: str) -> None:
        await oauth.RevokeToken(mcp_oauth_pb2.RevokeMcpTokenRequest(client_id=client_id, token=token), metadata=gateway)

    await revoke(other.client_id, tokens.refresh_token)  # not its token: ignored
    await revoke(client.client_id, "never-issued")
    assert (await oauth.LoadAccessToken(grant_of(tokens.access_token), metadata=gateway)).role == "owner"

    await revoke(client.client_id, tokens.refresh_token)
    await refresh_refused(oauth, gateway, client.client_id, tokens.refresh_token, "mcp-grant-revoked")
    await grant_refused(oauth, gateway, tokens.access_token, "mcp-grant-revoked")
    await revoke(client.client_id, tokens.refresh_token)  # idempotent

    client2, tokens2 = await tokens_for(oauth, principals, gateway, person)
    await revoke(client2.client_id, tokens2.access_token)  # by the access token
    await refresh_refused(oauth, gateway, client2.client_id, tokens2.refresh_token, "mcp-grant-revoked")
    assert (await audit_types(db, person.user_id)).count("mcp_oauth_revoked") == 2


# --- housekeeping --------------------------------------------------------------------------


async def backdate(engine, column, secret: str, **ago: timedelta) -> None:
    """Set the named timestamps of the row whose ``column`` holds the hash of ``secret`` to that long ago."""
    async with engine.begin() as conn:
        await conn.execute(
            update(column.class_)
            .where(column == digest(secret))
            .values({name: func.now() - delta for name, delta in ago.items()})
        )


async def test_the_purge_drops_dead_codes_and_tokens_and_keeps_live_ones(
    oauth, principals, gateway, person, client, db, admin_engine
) -> None:
    hours, days = timedelta(hours=23), timedelta(days=2)
    code = McpOAuthAuthorizationCode.code_hash
    codes = {age: await consent(oauth, principals, person, client.client_id) for age in ("live", "hours", "days")}
    await backdate(admin_engine, code, codes["hours"], expires_at=hours)
    await backdate(admin_engine, code, codes["days"], expires_at=days)
    spent = await consent(oauth, principals, person, client.client_id)
    granted = await oauth.ExchangeAuthorizationCode(exchange(client.client_id, spent), metadata=gateway)
    await backdate(admin_engine, code, spent, expires_at=days)

    token = McpOAuthRefreshToken.token_hash
    kinds = ("expired hours", "expired days", "revoked hours", "revoked days")
    families = {kind: (await tokens_for(oauth, principals, gateway, person))[1].refresh_token for kind in kinds}
    await backdate(admin_engine, token, families["expired hours"], expires_at=hours)
    await backdate(admin_engine, token, families["expired days"], expires_at=days)
    await backdate(admin_engine, token, families["revoked hours"], revoked_at=hours)
    await backdate(admin_engine, token, families["revoked days"], revoked_at=days)
    rotated = await oauth.ExchangeRefreshToken(refresh(client.client_id, granted.refresh_token), metadata=gateway)

    async def stored(column) -> set[str]:
        async with db.connect() as conn:
            return set((await conn.execute(select(column))).scalars())

    codes_before, tokens_before = await stored(code), await stored(token)
    uow = UnitOfWork(create_sessionmaker(db), domain="identity", producer="test", infra=infra)
    async with uow:
        await mcp_oauth_repository.purge_dead_credentials(uow)
        await uow.commit()

    codes_after, tokens_after = await stored(code), await stored(token)
    assert codes_after == codes_before - {digest(codes["days"]), digest(spent)}
    assert tokens_after == tokens_before - {digest(families["expired days"]), digest(families["revoked days"])}
    assert {digest(codes["live"]), digest(codes["hours"])} <= codes_after
    assert {
        digest(granted.refresh_token),  # used, but not expired: a replay must still revoke the family
        digest(rotated.refresh_token),
        digest(families["expired hours"]),
        digest(families["revoked hours"]),
    } <= tokens_after
    # The grant of the purged code lives on; the live code can still be exchanged.
    assert (await oauth.LoadAccessToken(grant_of(rotated.access_token), metadata=gateway)).role == "owner"
    await oauth.ExchangeRefreshToken(refresh(client.client_id, rotated.refresh_token), metadata=gateway)
    assert (await oauth.ExchangeAuthorizationCode(exchange(client.client_id, codes["live"]), metadata=gateway)).scopes


async def test_the_purge_forgets_clients_with_nothing_left(
    oauth, principals, gateway, person, db, admin_engine
) -> None:
    abandoned, fresh = await register(oauth, gateway), await register(oauth, gateway)
    connected, _ = await tokens_for(oauth, principals, gateway, person)
    async with admin_engine.begin() as conn:
        await conn.execute(
            update(McpOAuthClient)
            .where(McpOAuthClient.client_id.in_([abandoned.client_id, connected.client_id]))
            .values(created_at=func.now() - timedelta(days=3))
        )
    uow = UnitOfWork(create_sessionmaker(db), domain="identity", producer="test", infra=infra)
    async with uow:
        await mcp_oauth_repository.purge_dead_credentials(uow)
        await uow.commit()
    async with db.connect() as conn:
        kept = set((await conn.execute(select(McpOAuthClient.client_id))).scalars())
    # Registered days ago and never used: gone. Just registered, or holding a live grant: kept.
    assert kept == {fresh.client_id, connected.client_id}


async def test_only_the_person_lists_and_revokes_their_grants(oauth, principals, gateway, person) -> None:
    client, tokens = await tokens_for(oauth, principals, gateway, person)
    me = principals.user(person.user_id)
    [grant] = (await oauth.ListGrants(mcp_oauth_pb2.ListMcpGrantsRequest(), metadata=me)).items
    assert (grant.client_id, grant.client_name, grant.project_id, list(grant.scopes)) == (
        client.client_id,
        "Test client",
        person.project_id,
        ["read"],
    )
    as_the_client = principals.metadata(
        Principal(subject=person.user_id, kind="mcp", project_id=person.project_id, role="owner", scopes=("read",))
    )
    for call, request in (
        (oauth.ListGrants, mcp_oauth_pb2.ListMcpGrantsRequest()),
        (oauth.RevokeGrant, mcp_oauth_pb2.RevokeMcpGrantRequest(grant_id=grant.grant_id)),
    ):
        await refused(call, request, as_the_client, grpc.StatusCode.PERMISSION_DENIED, "person-required")
    await oauth.RevokeGrant(mcp_oauth_pb2.RevokeMcpGrantRequest(grant_id=grant.grant_id), metadata=me)
    assert not (await oauth.ListGrants(mcp_oauth_pb2.ListMcpGrantsRequest(), metadata=me)).items
    again = mcp_oauth_pb2.RevokeMcpGrantRequest(grant_id=grant.grant_id)
    await refused(oauth.RevokeGrant, again, me, grpc.StatusCode.NOT_FOUND, "mcp-grant-not-found")
    with pytest.raises(grpc.aio.AioRpcError):  # the client's refresh token died with the grant
        await oauth.ExchangeRefreshToken(refresh(client.client_id, tokens.refresh_token), metadata=gateway)
