"""Passkeys over gRPC against real PostgreSQL and NATS, with a software authenticator."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import func, select, update

from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, passkeys_pb2, passkeys_pb2_grpc
from services.chassis.principal import Principal
from services.identity.models import UserAuditEntry, WebauthnChallenge, WebauthnCredential
from services.identity.passkeys import RelyingParty
from services.identity.settings import IdentitySettings
from tests.grpc_calls import problem, refused
from tests.webauthn_authenticator import NoCredential, SoftAuthenticator, b64url

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "a sturdy passphrase 42"
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def stub(identity_channel) -> passkeys_pb2_grpc.PasskeysStub:
    return passkeys_pb2_grpc.PasskeysStub(identity_channel)


@pytest.fixture
def accounts(identity_channel) -> accounts_pb2_grpc.AccountsStub:
    return accounts_pb2_grpc.AccountsStub(identity_channel)


@pytest.fixture
def origin(settings) -> str:
    """An origin the identity service under test accepts (derived from its public URL)."""
    rp = RelyingParty.from_settings(IdentitySettings(**settings.model_dump()))
    assert rp.id == "localhost"
    found = f"http://localhost:{settings.gateway_port}"
    assert found in rp.origins
    return found


@pytest.fixture
def db(service_engines):
    return service_engines["identity"]


async def signup(accounts, principals, email: str | None = None) -> accounts_pb2.SignUpRequest:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    return await accounts.SignUp(
        accounts_pb2.SignUpRequest(email=email, password=PASSWORD, name="Ada"), metadata=principals.metadata()
    )


async def register(stub, principals, user_id: str, origin: str, authenticator: SoftAuthenticator, name: str = ""):
    options = await stub.RegistrationOptions(
        passkeys_pb2.RegistrationOptionsRequest(), metadata=principals.user(user_id)
    )
    credential = authenticator.create(options.options_json, origin)
    return await stub.VerifyRegistration(
        passkeys_pb2.VerifyRegistrationRequest(credential_json=json.dumps(credential), name=name),
        metadata=principals.user(user_id),
    )


async def login_options(stub, principals, email: str = "") -> str:
    reply = await stub.AuthenticationOptions(
        passkeys_pb2.AuthenticationOptionsRequest(email=email), metadata=principals.metadata()
    )
    return reply.options_json


def assertion_request(assertion: dict) -> passkeys_pb2.VerifyAuthenticationRequest:
    return passkeys_pb2.VerifyAuthenticationRequest(credential_json=json.dumps(assertion))


async def sign_in(stub, principals, origin: str, authenticator: SoftAuthenticator, email: str = ""):
    assertion = authenticator.get(await login_options(stub, principals, email), origin)
    return await stub.VerifyAuthentication(assertion_request(assertion), metadata=principals.metadata())


async def audit(db, user_id: str | None, event_type: str) -> list[dict]:
    async with db.connect() as conn:
        query = select(UserAuditEntry.details).where(UserAuditEntry.event_type == event_type)
        if user_id:
            query = query.where(UserAuditEntry.user_id == uuid.UUID(user_id))
        return list((await conn.execute(query.order_by(UserAuditEntry.id))).scalars())


async def stored_credential(db, passkey_id: str) -> WebauthnCredential:
    async with db.connect() as conn:
        return (
            await conn.execute(select(WebauthnCredential).where(WebauthnCredential.id == uuid.UUID(passkey_id)))
        ).one()


# --- the happy path ------------------------------------------------------------------------


async def test_register_then_sign_in_by_email_and_username_less(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator(synced=True)

    options = json.loads(
        (
            await stub.RegistrationOptions(passkeys_pb2.RegistrationOptionsRequest(), metadata=principals.user(user.id))
        ).options_json
    )
    assert options["rp"] == {"id": "localhost", "name": "Aira"}
    assert options["user"]["id"] == b64url(uuid.UUID(user.id).bytes)  # an opaque handle, not the email
    assert (options["user"]["name"], options["user"]["displayName"]) == (user.email, "Ada")
    assert options["excludeCredentials"] == [] and options["attestation"] == "none"
    assert options["timeout"] == 300_000

    passkey = await register(stub, principals, user.id, origin, authenticator, name="  Work laptop ")
    assert (passkey.name, passkey.backed_up, list(passkey.transports)) == ("Work laptop", True, ["hybrid", "internal"])
    assert passkey.aaguid == "a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90" and not passkey.HasField("last_used_at")
    listed = await stub.ListPasskeys(passkeys_pb2.ListPasskeysRequest(), metadata=principals.user(user.id))
    assert [p.id for p in listed.items] == [passkey.id]

    # Registering again leaves the existing passkey out.
    again = await stub.RegistrationOptions(passkeys_pb2.RegistrationOptionsRequest(), metadata=principals.user(user.id))
    assert [c["id"] for c in json.loads(again.options_json)["excludeCredentials"]] == [
        b64url(authenticator.credential_id)
    ]

    by_email = json.loads(await login_options(stub, principals, user.email.upper()))
    assert [c["id"] for c in by_email["allowCredentials"]] == [b64url(authenticator.credential_id)]
    assert by_email["rpId"] == "localhost"
    pair = await stub.VerifyAuthentication(
        assertion_request(authenticator.get(by_email, origin)), metadata=principals.metadata()
    )
    assert pair.user.id == user.id and pair.access_token and pair.refresh_token

    username_less = json.loads(await login_options(stub, principals))
    assert username_less.get("allowCredentials", []) == []
    pair = await stub.VerifyAuthentication(
        assertion_request(authenticator.get(username_less, origin)), metadata=principals.metadata()
    )
    assert pair.user.id == user.id

    stored = await stored_credential(db, passkey.id)
    assert stored.sign_count == 2 and stored.last_used_at is not None and stored.backed_up
    registered = await audit(db, user.id, "passkey_registered")
    assert registered == [{"passkey_id": passkey.id, "name": "Work laptop", "aaguid": passkey.aaguid}]
    assert [d["method"] for d in await audit(db, user.id, "login_succeeded")] == ["password", "passkey", "passkey"]


async def test_an_authenticator_without_a_counter_keeps_signing_in(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator(counting=False)
    passkey = await register(stub, principals, user.id, origin, authenticator)
    for _ in range(2):
        assert (await sign_in(stub, principals, origin, authenticator)).user.id == user.id
    assert (await stored_credential(db, passkey.id)).sign_count == 0


async def test_an_address_without_passkeys_gets_a_stable_decoy(stub, accounts, principals) -> None:
    user = (await signup(accounts, principals)).user
    answers = []
    for email in ("nobody@example.com", "nobody@example.com", user.email):
        answers.append([c["id"] for c in json.loads(await login_options(stub, principals, email))["allowCredentials"]])
    assert answers[0] == answers[1] and len(answers[0]) == 1  # same as for a real single passkey
    assert answers[2] != answers[0] and len(answers[2]) == 1


@pytest.mark.parametrize(
    ("overrides", "rp_id", "origins"),
    [
        ({"gateway_port": 9000}, "localhost", ("http://127.0.0.1:9000", "http://localhost:9000")),
        ({"public_url": "https://aira.example.com/"}, "aira.example.com", ("https://aira.example.com",)),
        (
            {"webauthn_rp_id": "example.com", "webauthn_origins": ["https://app.example.com/"]},
            "example.com",
            ("https://app.example.com",),
        ),
    ],
)
async def test_the_relying_party_follows_the_public_url_unless_configured(settings, overrides, rp_id, origins) -> None:
    rp = RelyingParty.from_settings(IdentitySettings(**(settings.model_dump() | overrides)))
    assert (rp.id, rp.name, rp.origins) == (rp_id, "Aira", origins)


# --- challenges ----------------------------------------------------------------------------


async def test_challenges_work_once(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    options = await stub.RegistrationOptions(
        passkeys_pb2.RegistrationOptionsRequest(), metadata=principals.user(user.id)
    )
    registration = passkeys_pb2.VerifyRegistrationRequest(
        credential_json=json.dumps(authenticator.create(options.options_json, origin))
    )
    await stub.VerifyRegistration(registration, metadata=principals.user(user.id))
    await refused(stub.VerifyRegistration, registration, principals.user(user.id), INVALID, "passkey-challenge-used")

    assertion = assertion_request(authenticator.get(await login_options(stub, principals), origin))
    await stub.VerifyAuthentication(assertion, metadata=principals.metadata())
    await refused(
        stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-challenge-used"
    )
    rejected = await audit(db, None, "passkey_rejected")
    assert [(d["ceremony"], d["reason"]) for d in rejected] == [
        ("registration", "challenge replayed"),
        ("authentication", "challenge replayed"),
    ]


async def test_two_verifications_racing_with_one_challenge_let_one_in(stub, accounts, principals, origin) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    await register(stub, principals, user.id, origin, authenticator)
    options = await login_options(stub, principals)
    first, second = authenticator.get(options, origin), authenticator.get(options, origin)
    results = await asyncio.gather(
        stub.VerifyAuthentication(assertion_request(first), metadata=principals.metadata()),
        stub.VerifyAuthentication(assertion_request(second), metadata=principals.metadata()),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(failures) == 1, results
    assert problem(failures[0])["type"] == "passkey-challenge-used"


async def test_expired_and_unknown_challenges_are_refused(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    await register(stub, principals, user.id, origin, authenticator)
    assertion = assertion_request(authenticator.get(await login_options(stub, principals), origin))
    async with db.begin() as conn:
        await conn.execute(
            update(WebauthnChallenge)
            .where(WebauthnChallenge.consumed_at.is_(None))
            .values(expires_at=func.now() - timedelta(seconds=1))
        )
    await refused(
        stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-challenge-expired"
    )

    invented = {"challenge": b64url(b"x" * 32), "rpId": "localhost"}
    assertion = assertion_request(authenticator.get(invented, origin))
    await refused(
        stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-challenge-unknown"
    )


async def test_a_challenge_for_one_account_does_not_sign_in_another(stub, accounts, principals, origin, db) -> None:
    ada, bob = (await signup(accounts, principals)).user, (await signup(accounts, principals)).user
    ada_key, bob_key = SoftAuthenticator(), SoftAuthenticator()
    await register(stub, principals, ada.id, origin, ada_key)
    await register(stub, principals, bob.id, origin, bob_key)
    options = json.loads(await login_options(stub, principals, ada.email))
    with pytest.raises(NoCredential):
        bob_key.get(options, origin)
    options["allowCredentials"] = []  # a browser that ignores the list
    assertion = assertion_request(bob_key.get(options, origin))
    await refused(stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-rejected")
    assert [d["reason"] for d in await audit(db, bob.id, "passkey_rejected")] == ["challenge for another account"]


# --- clones, origins, relying parties ------------------------------------------------------


async def test_a_regressed_sign_count_is_refused_logged_and_changes_nothing(
    stub, accounts, principals, origin, db
) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    passkey = await register(stub, principals, user.id, origin, authenticator)
    await sign_in(stub, principals, origin, authenticator)
    await sign_in(stub, principals, origin, authenticator)
    before = await stored_credential(db, passkey.id)
    assert before.sign_count == 2

    for rewound_to in (1, 0):  # the next assertion carries 2 (equal), then 1 (lower)
        authenticator.sign_count = rewound_to
        assertion = assertion_request(authenticator.get(await login_options(stub, principals), origin))
        found = await refused(
            stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-sign-count-regressed"
        )
        assert "counter went backwards" in found["detail"]

    after = await stored_credential(db, passkey.id)
    assert (after.sign_count, after.last_used_at) == (2, before.last_used_at)
    assert [
        (d["reason"], d["passkey_id"], d["stored_sign_count"], d["presented_sign_count"])
        for d in await audit(db, user.id, "passkey_rejected")
    ] == [("sign count regressed", passkey.id, 2, 2), ("sign count regressed", passkey.id, 2, 1)]
    assert [d["method"] for d in await audit(db, user.id, "login_succeeded")].count("passkey") == 2


async def test_wrong_origin_or_relying_party_is_refused(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    me = principals.user(user.id)
    for bad_origin, bad_rp in (("https://evil.example", None), (origin, "evil.example")):
        options = await stub.RegistrationOptions(passkeys_pb2.RegistrationOptionsRequest(), metadata=me)
        credential = SoftAuthenticator().create(options.options_json, bad_origin, rp_id=bad_rp)
        request = passkeys_pb2.VerifyRegistrationRequest(credential_json=json.dumps(credential))
        await refused(stub.VerifyRegistration, request, me, INVALID, "passkey-registration-failed")
    assert (await stub.ListPasskeys(passkeys_pb2.ListPasskeysRequest(), metadata=me)).items == []

    authenticator = SoftAuthenticator()
    passkey = await register(stub, principals, user.id, origin, authenticator)
    for bad_origin, bad_rp in (("https://evil.example", None), (origin, "evil.example")):
        assertion = authenticator.get(await login_options(stub, principals), bad_origin, rp_id=bad_rp)
        request = assertion_request(assertion)
        await refused(stub.VerifyAuthentication, request, principals.metadata(), UNAUTHENTICATED, "passkey-rejected")
    reasons = [d["reason"] for d in await audit(db, user.id, "passkey_rejected")]
    assert len(reasons) == 4 and "origin" in reasons[0] and "RP ID" in reasons[1] and "origin" in reasons[2]
    assert (await stored_credential(db, passkey.id)).sign_count == 0


async def test_a_forged_signature_or_unknown_passkey_is_refused(stub, accounts, principals, origin, db) -> None:
    user = (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    await register(stub, principals, user.id, origin, authenticator)
    impostor = SoftAuthenticator()
    impostor.credential_id, impostor.user_handle = authenticator.credential_id, authenticator.user_handle
    assertion = assertion_request(impostor.get(await login_options(stub, principals), origin))
    await refused(stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "passkey-rejected")

    stranger = SoftAuthenticator()
    stranger.user_handle = uuid.UUID(user.id).bytes
    assertion = assertion_request(stranger.get(await login_options(stub, principals), origin))
    await refused(stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "unknown-passkey")


@pytest.mark.parametrize("credential_json", ["", "not json", "[]", '{"id": "x"}', '{"id": 1, "rawId": "x"}'])
async def test_malformed_credentials_are_invalid(stub, accounts, principals, credential_json: str) -> None:
    user = (await signup(accounts, principals)).user
    await refused(
        stub.VerifyAuthentication,
        passkeys_pb2.VerifyAuthenticationRequest(credential_json=credential_json),
        principals.metadata(),
        INVALID,
        "invalid-passkey-credential",
    )
    await refused(
        stub.VerifyRegistration,
        passkeys_pb2.VerifyRegistrationRequest(credential_json=credential_json),
        principals.user(user.id),
        INVALID,
        "invalid-passkey-credential",
    )


# --- who may manage passkeys ---------------------------------------------------------------


async def test_people_remove_their_own_passkeys_only(stub, accounts, principals, origin, db) -> None:
    ada, eve = (await signup(accounts, principals)).user, (await signup(accounts, principals)).user
    authenticator = SoftAuthenticator()
    passkey = await register(stub, principals, ada.id, origin, authenticator)
    for passkey_id in (passkey.id, "not-a-uuid", str(uuid.uuid4())):
        request = passkeys_pb2.DeletePasskeyRequest(passkey_id=passkey_id)
        await refused(
            stub.DeletePasskey, request, principals.user(eve.id), grpc.StatusCode.NOT_FOUND, "passkey-not-found"
        )
    listed = await stub.ListPasskeys(passkeys_pb2.ListPasskeysRequest(), metadata=principals.user(ada.id))
    assert [p.id for p in listed.items] == [passkey.id]

    await stub.DeletePasskey(passkeys_pb2.DeletePasskeyRequest(passkey_id=passkey.id), metadata=principals.user(ada.id))
    assert (await stub.ListPasskeys(passkeys_pb2.ListPasskeysRequest(), metadata=principals.user(ada.id))).items == []
    assert await audit(db, ada.id, "passkey_removed") == [{"passkey_id": passkey.id, "name": "Passkey"}]
    assertion = assertion_request(authenticator.get(await login_options(stub, principals), origin))
    await refused(stub.VerifyAuthentication, assertion, principals.metadata(), UNAUTHENTICATED, "unknown-passkey")


async def test_only_a_signed_in_person_manages_passkeys(stub, accounts, principals) -> None:
    user = (await signup(accounts, principals)).user
    key = principals.metadata(
        Principal(subject=user.id, kind="api_key", project_id=str(uuid.uuid4()), role="owner", scopes=("admin",))
    )
    calls = (
        (stub.RegistrationOptions, passkeys_pb2.RegistrationOptionsRequest()),
        (stub.VerifyRegistration, passkeys_pb2.VerifyRegistrationRequest(credential_json="{}")),
        (stub.ListPasskeys, passkeys_pb2.ListPasskeysRequest()),
        (stub.DeletePasskey, passkeys_pb2.DeletePasskeyRequest(passkey_id=str(uuid.uuid4()))),
    )
    for call, request in calls:
        await refused(call, request, key, grpc.StatusCode.PERMISSION_DENIED, "person-required")
        await refused(call, request, principals.metadata(), UNAUTHENTICATED, "unauthenticated")
