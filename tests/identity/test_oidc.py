"""OIDC sign-in and SSO discovery over gRPC, against local issuers on real ports and real PostgreSQL."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qsl, urlsplit

import grpc
import httpx2
import jwt
import orjson
import pytest
from sqlalchemy import func, select, text, update

from aira.common.v1 import events_pb2 as common_events_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, oidc_pb2, oidc_pb2_grpc, types_pb2
from services.chassis.errors import Unavailable
from services.chassis.keys import SecretKey
from services.chassis.secretbox import SecretBox
from services.identity import oidc
from services.identity.__main__ import SPEC as IDENTITY
from services.identity.models import OidcIdentity, User, UserAuditEntry
from services.identity.oidc import OidcProviders, SignInState
from services.identity.settings import OidcProviderSettings
from tests.grpc_calls import refusal_of
from tests.harness import free_port, running_service
from tests.oidc_issuer import OidcIssuer, new_key
from tests.services_fixtures import identity_settings

PUBLIC_URL = "https://aira.example"
PASSWORD = "a sturdy passphrase 42"


@pytest.fixture(scope="module")
def issuer():
    """The "test" provider: RS256, client_secret_basic."""
    with OidcIssuer().serving() as running:
        yield running


@pytest.fixture(scope="module")
def acme():
    """The "acme" provider: ES256, client_secret_post."""
    with OidcIssuer(algorithm="ES256", client_id="aira-acme").serving() as running:
        yield running


@pytest.fixture(scope="module")
async def oidc_channel(settings, smtp, issuer, acme):
    providers = {
        "test": issuer.provider_config(),
        "google": issuer.provider_config(),  # the same local issuer, under Google's name
        "acme": acme.provider_config(token_auth_method="client_secret_post"),
        "down": {"issuer": f"http://127.0.0.1:{free_port()}", "client_id": "x", "client_secret": "y"},
    }
    service_settings = identity_settings(settings, smtp, oidc_providers=providers, public_url=PUBLIC_URL)
    async with running_service(IDENTITY, service_settings) as channel:
        yield channel


@pytest.fixture
def stub(oidc_channel, clean_db) -> oidc_pb2_grpc.OidcStub:
    return oidc_pb2_grpc.OidcStub(oidc_channel)


@pytest.fixture
def accounts(oidc_channel) -> accounts_pb2_grpc.AccountsStub:
    return accounts_pb2_grpc.AccountsStub(oidc_channel)


async def start(stub, principals, provider: str = "test", **fields) -> oidc_pb2.OidcStartResponse:
    return await stub.Start(oidc_pb2.OidcStartRequest(provider=provider, **fields), metadata=principals.metadata())


async def callback(stub, principals, provider: str, code: str, state: str, error: str = "") -> types_pb2.TokenPair:
    return await stub.Callback(
        oidc_pb2.OidcCallbackRequest(provider=provider, code=code, state=state, error=error),
        metadata=principals.metadata(),
    )


async def sign_in(stub, principals, issuer: OidcIssuer, provider: str = "test", next_path: str = "", **claims):
    started = await start(stub, principals, provider, next_path=next_path)
    code, state = issuer.authorize(started.authorization_url, **claims)
    return await callback(stub, principals, provider, code, state)


async def rejections(engine) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(UserAuditEntry.user_id, UserAuditEntry.details)
            .where(UserAuditEntry.event_type == "oidc_rejected")
            .order_by(UserAuditEntry.id)
        )
        return [details | {"user_id": user_id} for user_id, details in rows]


async def audit(engine, user_id: str) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(UserAuditEntry.event_type, UserAuditEntry.details)
            .where(UserAuditEntry.user_id == uuid.UUID(user_id))
            .order_by(UserAuditEntry.id)
        )
        return [tuple(row) for row in rows]


async def count(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


async def identities(engine) -> list[OidcIdentity]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(OidcIdentity).order_by(OidcIdentity.created_at))).all())


async def put_sso_domains(engine, domains: dict[str, str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO identity.system_config (key, value) VALUES ('sso.domains', CAST(:v AS jsonb))"),
            {"v": orjson.dumps(domains).decode()},
        )


# --- signing in -----------------------------------------------------------------------------


async def test_a_google_sign_in_records_the_google_account(stub, principals, issuer, admin_engine) -> None:
    pair = await sign_in(stub, principals, issuer, provider="google", sub="google-ada-7")
    async with admin_engine.connect() as conn:
        google_id = (await conn.execute(select(User.google_id).where(User.id == uuid.UUID(pair.user.id)))).scalar_one()
    assert google_id == "google-ada-7"
    other = await sign_in(stub, principals, issuer, sub="test-grace-1", email="grace@example.com")
    async with admin_engine.connect() as conn:
        assert (await conn.execute(select(User.google_id).where(User.id == uuid.UUID(other.user.id)))).scalar() is None


async def test_start_asks_for_a_code_with_pkce_a_nonce_and_a_sealed_state(stub, principals) -> None:
    started = await start(stub, principals, next_path="/projects/42?tab=plan", email=" Ada@Example.COM")
    url = urlsplit(started.authorization_url)
    params = dict(parse_qsl(url.query))
    assert params["redirect_uri"] == f"{PUBLIC_URL}/v1/auth/oidc/test/callback"
    assert (params["response_type"], params["scope"]) == ("code", "openid email profile")
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["login_hint"] == "ada@example.com"
    assert params["state"] == started.state and started.expires_in == 600
    assert len(params["nonce"]) >= 43 and params["nonce"] not in started.state
    assert "/projects/42" not in started.state  # sealed, not merely encoded
    again = await start(stub, principals)
    assert dict(parse_qsl(urlsplit(again.authorization_url).query))["nonce"] != params["nonce"]


async def test_a_new_person_is_signed_up_and_in(stub, principals, issuer, admin_engine) -> None:
    pair = await sign_in(stub, principals, issuer, next_path="/projects/42?tab=plan", sub="ada-1")
    user = pair.user
    assert (user.email, user.name, user.email_verified, user.has_password) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
        False,
    )
    assert pair.next_path == "/projects/42?tab=plan" and pair.access_token and pair.refresh_token
    assert issuer.token_auth_methods[-1] == "client_secret_basic"
    [link] = await identities(admin_engine)
    assert (link.provider, link.issuer, link.subject, link.email) == ("test", issuer.url, "ada-1", "ada@example.com")
    assert str(link.user_id) == user.id and link.last_login_at is not None
    assert await audit(admin_engine, user.id) == [
        ("signed_up", {"method": "oidc:test"}),
        ("login_succeeded", {"method": "oidc:test"}),
    ]
    async with admin_engine.connect() as conn:
        payloads = (await conn.execute(text("SELECT payload FROM identity.outbox ORDER BY id"))).scalars().all()
    envelopes = [common_events_pb2.EventEnvelope.FromString(p) for p in payloads]
    assert [(e.type, e.entity_id) for e in envelopes] == [("identity.user.signed_up.v1", user.id)]


async def test_a_returning_person_is_found_by_issuer_and_subject(stub, principals, issuer, admin_engine) -> None:
    first = await sign_in(stub, principals, issuer, sub="ada-2", email="ada@example.com")
    # The provider now reports another address (even an unverified one): the subject decides.
    again = await sign_in(stub, principals, issuer, sub="ada-2", email="ada@elsewhere.example", email_verified=False)
    assert again.user.id == first.user.id and again.user.email == "ada@example.com"
    assert await count(admin_engine, User) == 1
    [link] = await identities(admin_engine)
    assert link.email == "ada@example.com"  # only verified addresses are recorded
    third = await sign_in(stub, principals, issuer, sub="ada-2", email="Ada.New@Example.com")
    assert third.user.id == first.user.id
    assert (await identities(admin_engine))[0].email == "ada.new@example.com"


async def test_a_verified_password_account_with_the_email_is_linked(
    stub, accounts, principals, issuer, admin_engine
) -> None:
    signed_up = await accounts.SignUp(
        accounts_pb2.SignUpRequest(email="grace@example.com", password=PASSWORD, name="Grace"),
        metadata=principals.metadata(),
    )
    async with admin_engine.begin() as conn:
        await conn.execute(update(User).values(email_verified_at=func.now()))
    pair = await sign_in(stub, principals, issuer, sub="grace-1", email="Grace@Example.com", name="G. Hopper")
    assert pair.user.id == signed_up.user.id
    assert (pair.user.name, pair.user.has_password) == ("Grace", True)
    assert ("oidc_linked", {"provider": "test", "password_removed": False}) in await audit(admin_engine, pair.user.id)
    # The password still works, and so does the earlier session.
    await accounts.Login(
        accounts_pb2.LoginRequest(email="grace@example.com", password=PASSWORD), metadata=principals.metadata()
    )
    await accounts.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=signed_up.refresh_token), metadata=principals.metadata()
    )
    again = await sign_in(stub, principals, issuer, sub="grace-1", email="grace@example.com")
    assert again.user.id == signed_up.user.id and len(await identities(admin_engine)) == 1


async def test_linking_an_unverified_account_removes_what_its_creator_set_up(
    stub, accounts, principals, issuer, admin_engine
) -> None:
    """Someone who signed up with another person's address must not keep a way into it."""
    squatter = await accounts.SignUp(
        accounts_pb2.SignUpRequest(email="hedy@example.com", password=PASSWORD, name="Hedy"),
        metadata=principals.metadata(),
    )
    pair = await sign_in(stub, principals, issuer, sub="hedy-1", email="hedy@example.com")
    assert pair.user.id == squatter.user.id
    assert (pair.user.email_verified, pair.user.has_password) == (True, False)
    await refusal_of(
        accounts.Refresh(
            accounts_pb2.RefreshRequest(refresh_token=squatter.refresh_token), metadata=principals.metadata()
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "session-revoked",
    )
    await refusal_of(
        accounts.Login(
            accounts_pb2.LoginRequest(email="hedy@example.com", password=PASSWORD), metadata=principals.metadata()
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "invalid-credentials",
    )
    assert ("oidc_linked", {"provider": "test", "password_removed": True}) in await audit(admin_engine, pair.user.id)
    await accounts.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token), metadata=principals.metadata()
    )


async def test_another_page_of_this_site_may_receive_the_code(stub, principals, issuer) -> None:
    started = await start(stub, principals, redirect_uri=f"{PUBLIC_URL}/app/signed-in")
    assert dict(parse_qsl(urlsplit(started.authorization_url).query))["redirect_uri"] == f"{PUBLIC_URL}/app/signed-in"
    code, state = issuer.authorize(started.authorization_url)
    pair = await callback(stub, principals, "test", code, state)  # the token endpoint saw the same redirect URI
    assert pair.user.email == "ada@example.com"


# --- refusals -------------------------------------------------------------------------------

OTHER_KEY = new_key("RS256")
CLIENT = OidcIssuer.client_id
UNAUTHENTICATED, DENIED = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED
BAD_TOKENS = {
    "forged signature": ({"sign_with": OTHER_KEY}, UNAUTHENTICATED, "invalid-id-token", "id_token_signature"),
    "unknown key": ({"sign_with": OTHER_KEY, "kid": "?"}, UNAUTHENTICATED, "invalid-id-token", "id_token_unknown_key"),
    "wrong audience": ({"aud": "someone-else"}, UNAUTHENTICATED, "invalid-id-token", "id_token_audience"),
    "another party": ({"aud": [CLIENT, "x"], "azp": "x"}, UNAUTHENTICATED, "invalid-id-token", "id_token_audience"),
    "wrong issuer": ({"iss": "https://evil.example"}, UNAUTHENTICATED, "invalid-id-token", "id_token_issuer"),
    "expired": ({"lifetime": -3600}, UNAUTHENTICATED, "invalid-id-token", "id_token_expired"),
    "nonce mismatch": ({"nonce": "another-sign-in"}, UNAUTHENTICATED, "oidc-nonce-mismatch", "nonce_mismatch"),
    "no nonce": ({"nonce": None}, UNAUTHENTICATED, "oidc-nonce-mismatch", "nonce_mismatch"),
    "unverified email": ({"email_verified": False}, DENIED, "oidc-email-unverified", "email_unverified"),
    "no email": ({"email": None}, DENIED, "oidc-email-unverified", "email_missing"),
}  # fmt: skip


@pytest.mark.parametrize(("claims", "status", "slug", "reason"), BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_a_bad_id_token_is_refused_logged_and_changes_nothing(
    stub, principals, issuer, admin_engine, claims, status, slug, reason
) -> None:
    await refusal_of(sign_in(stub, principals, issuer, **claims), status, slug)
    [rejection] = await rejections(admin_engine)
    assert (rejection["reason"], rejection["provider"], rejection["user_id"]) == (reason, "test", None)
    assert (await count(admin_engine, User), await count(admin_engine, OidcIdentity)) == (0, 0)


async def test_a_tampered_state_is_refused_before_the_code_is_spent(stub, principals, issuer, admin_engine) -> None:
    started = await start(stub, principals, next_path="/inbox")
    code, state = issuer.authorize(started.authorization_url)
    middle = len(state) // 2
    tampered = state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1 :]
    await refusal_of(
        callback(stub, principals, "test", code, tampered), grpc.StatusCode.UNAUTHENTICATED, "invalid-oidc-state"
    )
    await refusal_of(
        callback(stub, principals, "test", code, state + "!"), grpc.StatusCode.UNAUTHENTICATED, "invalid-oidc-state"
    )
    assert [r["reason"] for r in await rejections(admin_engine)] == ["state_invalid", "state_invalid"]
    assert await count(admin_engine, User) == 0
    pair = await callback(stub, principals, "test", code, state)
    assert pair.next_path == "/inbox"


async def test_a_state_only_works_for_its_provider(stub, principals, acme) -> None:
    started = await start(stub, principals, "acme")
    code, state = acme.authorize(started.authorization_url)
    await refusal_of(
        callback(stub, principals, "test", code, state), grpc.StatusCode.UNAUTHENTICATED, "invalid-oidc-state"
    )


async def test_an_expired_state_is_refused(stub, principals, settings, admin_engine) -> None:
    box = SecretBox(SecretKey.load(settings.keys_path), "oidc-state", settings.encryption_key_id)
    stale = SignInState(
        nonce="n", verifier="v" * 43, next_path="/", redirect_uri="x", expires_at=int(time.time()) - 1
    ).seal(box, "test")
    await refusal_of(
        callback(stub, principals, "test", "code", stale), grpc.StatusCode.UNAUTHENTICATED, "oidc-state-expired"
    )
    assert [r["reason"] for r in await rejections(admin_engine)] == ["state_expired"]


async def test_a_replayed_callback_is_refused_by_the_provider(stub, principals, issuer, admin_engine) -> None:
    started = await start(stub, principals)
    code, state = issuer.authorize(started.authorization_url)
    await callback(stub, principals, "test", code, state)
    await refusal_of(
        callback(stub, principals, "test", code, state), grpc.StatusCode.UNAUTHENTICATED, "oidc-code-rejected"
    )
    [rejection] = await rejections(admin_engine)
    assert (rejection["reason"], rejection["error"]) == ("code_rejected", "invalid_grant")
    assert await count(admin_engine, User) == 1


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example", "/\\evil.example", "evil"])
async def test_an_open_redirect_is_refused_at_start(stub, principals, admin_engine, next_path) -> None:
    await refusal_of(
        start(stub, principals, next_path=next_path), grpc.StatusCode.INVALID_ARGUMENT, "invalid-next-path"
    )
    [rejection] = await rejections(admin_engine)
    assert (rejection["reason"], rejection["next_path"]) == ("open_redirect", next_path)


async def test_a_foreign_redirect_uri_is_refused(stub, principals, admin_engine) -> None:
    await refusal_of(
        start(stub, principals, redirect_uri="https://evil.example/v1/auth/oidc/test/callback"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-redirect-uri",
    )
    assert [r["reason"] for r in await rejections(admin_engine)] == ["redirect_uri"]


async def test_unknown_providers_and_provider_errors_are_refused(stub, principals, admin_engine) -> None:
    await refusal_of(start(stub, principals, "nope"), grpc.StatusCode.NOT_FOUND, "oidc-provider-not-found")
    await refusal_of(callback(stub, principals, "nope", "c", "s"), grpc.StatusCode.NOT_FOUND, "oidc-provider-not-found")
    await refusal_of(
        callback(stub, principals, "test", "", "s", error="access_denied"),
        grpc.StatusCode.UNAUTHENTICATED,
        "oidc-provider-error",
    )
    found = [(r["provider"], r["reason"], r.get("error")) for r in await rejections(admin_engine)]
    assert found == [
        ("nope", "unknown_provider", None),
        ("nope", "unknown_provider", None),
        ("test", "provider_error", "access_denied"),
    ]


async def test_an_unreachable_provider_is_unavailable(stub, principals) -> None:
    await refusal_of(start(stub, principals, "down"), grpc.StatusCode.UNAVAILABLE, "oidc-provider-unavailable")


async def test_new_signing_keys_are_fetched_when_tokens_name_them(stub, principals, issuer, monkeypatch) -> None:
    monkeypatch.setattr(oidc, "JWKS_REFETCH_COOLDOWN_SECONDS", 0.0)
    await sign_in(stub, principals, issuer, sub="rotating")
    fetches = issuer.jwks_fetches
    issuer.rotate_key()
    pair = await sign_in(stub, principals, issuer, sub="rotating")
    assert pair.user.email == "ada@example.com" and issuer.jwks_fetches == fetches + 1
    await sign_in(stub, principals, issuer, sub="rotating")
    assert issuer.jwks_fetches == fetches + 1  # cached again


# --- SSO ------------------------------------------------------------------------------------


async def test_the_sso_provider_is_found_from_the_email_domain(stub, principals, admin_engine) -> None:
    await put_sso_domains(admin_engine, {"acme.com": "acme", "Example.ORG": "test", "ghost.com": "unconfigured"})

    async def discover(email: str):
        return await stub.DiscoverProvider(
            oidc_pb2.DiscoverProviderRequest(email=email), metadata=principals.metadata()
        )

    assert (await discover("Bob@ACME.com")).provider == "acme"
    assert (await discover("eve@example.org")).provider == "test"
    for email in ("eve@ghost.com", "eve@elsewhere.com", "eve@sub.acme.com"):
        await refusal_of(discover(email), grpc.StatusCode.NOT_FOUND, "sso-provider-not-found")
    await refusal_of(discover("not an email"), grpc.StatusCode.INVALID_ARGUMENT, "invalid-email")


async def test_a_domain_with_sso_signs_in_only_through_its_provider(
    stub, principals, issuer, acme, admin_engine
) -> None:
    await put_sso_domains(admin_engine, {"acme.com": "acme"})
    problem = await refusal_of(
        sign_in(stub, principals, issuer, email="bob@acme.com"),
        grpc.StatusCode.PERMISSION_DENIED,
        "sso-provider-required",
    )
    assert problem["provider"] == "acme"
    assert [r["reason"] for r in await rejections(admin_engine)] == ["sso_provider_required"]
    pair = await sign_in(stub, principals, acme, "acme", email="bob@acme.com", name="Bob")
    assert (pair.user.email, pair.user.name) == ("bob@acme.com", "Bob")
    assert acme.token_auth_methods[-1] == "client_secret_post"


# --- provider metadata and keys, without a service ------------------------------------------


class FakeProvider:
    """An issuer behind httpx2.MockTransport, counting requests; the clock is the test's."""

    issuer = "https://idp.example"

    def __init__(self) -> None:
        self.key = new_key("RS256")
        self.kids = ["k1"]
        self.hits: dict[str, int] = {}
        self.now = 0.0
        self.down = False

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if self.down:
            raise httpx2.ConnectError("refused", request=request)
        self.hits[request.url.path] = self.hits.get(request.url.path, 0) + 1
        if request.url.path == "/.well-known/openid-configuration":
            return httpx2.Response(
                200,
                json={
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                },
            )
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return httpx2.Response(200, json={"keys": [jwk | {"kid": kid} for kid in self.kids]})

    def providers(self) -> OidcProviders:
        return OidcProviders(
            {"idp": OidcProviderSettings(issuer=self.issuer, client_id="c")},
            http=httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle)),
            clock=lambda: self.now,
        )


async def test_metadata_and_keys_are_cached_and_unknown_key_ids_refetch_at_a_bounded_rate() -> None:
    fake = FakeProvider()
    providers = fake.providers()
    idp = providers.get("idp")
    assert await providers.signing_key(idp, "k1", "RS256") is not None
    assert await providers.signing_key(idp, "k1", "RS256") is not None
    assert fake.hits == {"/.well-known/openid-configuration": 1, "/jwks": 1}

    fake.kids = ["k2"]  # rotated at the provider
    fake.now = 1.0
    assert await providers.signing_key(idp, "k2", "RS256") is None  # within the cooldown: no refetch
    assert await providers.signing_key(idp, "forged", "RS256") is None
    assert fake.hits["/jwks"] == 1
    fake.now = 1.0 + oidc.JWKS_REFETCH_COOLDOWN_SECONDS
    assert await providers.signing_key(idp, "k2", "RS256") is not None
    assert await providers.signing_key(idp, "k1", "RS256") is None  # retired, and the cooldown holds again
    assert fake.hits["/jwks"] == 2
    assert await providers.signing_key(idp, "k2", "ES256") is None  # an RSA key never verifies ES256

    fake.down = True
    fake.now = 2 * oidc.JWKS_TTL_SECONDS
    assert await providers.signing_key(idp, "k2", "RS256") is not None  # stale keys outlive an outage


async def test_metadata_must_name_the_configured_issuer() -> None:
    fake = FakeProvider()
    fake.issuer = "https://idp.example/"  # configured without the slash
    providers = OidcProviders(
        {"idp": OidcProviderSettings(issuer="https://idp.example", client_id="c")},
        http=httpx2.AsyncClient(transport=httpx2.MockTransport(fake.handle)),
    )
    with pytest.raises(Unavailable):
        await providers.metadata(providers.get("idp"))


def test_provider_settings_are_checked_at_start_up() -> None:
    with pytest.raises(ValueError, match="https"):
        OidcProviders({"idp": OidcProviderSettings(issuer="http://idp.example", client_id="c")})
    with pytest.raises(ValueError, match="name"):
        OidcProviders({"Bad Name": OidcProviderSettings(issuer="https://idp.example", client_id="c")})
    with pytest.raises(ValueError, match="openid"):
        OidcProviders({"idp": OidcProviderSettings(issuer="https://idp.example", client_id="c", scopes=["email"])})
