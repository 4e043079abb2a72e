"""Accounts and sessions over gRPC against real PostgreSQL, NATS and SMTP."""

from __future__ import annotations

import uuid

import grpc
import jwt
import orjson
import pytest
from sqlalchemy import func, select, text, update

from aira.common.v1 import events_pb2 as common_events_pb2
from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc
from aira.identity.v1 import events_pb2 as identity_events_pb2
from services.chassis.events import unpack
from services.chassis.principal import Principal
from services.identity.models import MagicLink, PasswordResetOtp, User, UserAuditEntry
from tests.grpc_calls import refused
from tests.mail import code_in, token_in

pytestmark = pytest.mark.usefixtures("clean_db")

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def stub(identity_channel) -> accounts_pb2_grpc.AccountsStub:
    return accounts_pb2_grpc.AccountsStub(identity_channel)


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


async def signup(stub, principals, email: str, name: str = "Ada") -> accounts_pb2.SignUpRequest:
    return await stub.SignUp(
        accounts_pb2.SignUpRequest(email=email, password=PASSWORD, name=name), metadata=principals.metadata()
    )


async def audit_types(engine, user_id: str | None = None) -> list[str]:
    async with engine.connect() as conn:
        query = select(UserAuditEntry.event_type).order_by(UserAuditEntry.id)
        if user_id:
            query = query.where(UserAuditEntry.user_id == uuid.UUID(user_id))
        return list((await conn.execute(query)).scalars())


# --- sign-up, login, tokens ----------------------------------------------------------------


async def test_signup_returns_tokens_the_published_keys_verify(stub, principals) -> None:
    pair = await signup(stub, principals, "  Ada@Example.COM ")
    assert (pair.token_type, pair.expires_in) == ("Bearer", 1800)
    assert (pair.user.email, pair.user.email_verified, pair.user.has_password) == ("ada@example.com", False, True)
    jwks = orjson.loads(
        (await stub.GetSigningKeys(accounts_pb2.GetSigningKeysRequest(), metadata=principals.metadata())).jwks_json
    )
    claims = jwt.decode(
        pair.access_token, jwt.PyJWK(jwks["keys"][0]).key, algorithms=["EdDSA"], audience="aira", issuer="aira-identity"
    )
    assert claims["sub"] == pair.user.id and claims["typ"] == "access" and claims["exp"] - claims["iat"] == 1800
    assert claims["sid"]  # the session family, for logout


async def test_email_is_unique_case_insensitively(stub, principals) -> None:
    await signup(stub, principals, "grace@example.com")
    request = accounts_pb2.SignUpRequest(email="GRACE@example.com", password=PASSWORD, name="Twin")
    await refused(stub.SignUp, request, principals.metadata(), grpc.StatusCode.ALREADY_EXISTS, "email-taken")


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.com", "x" * 300 + "@example.com"])
async def test_invalid_emails_are_refused(stub, principals, email: str) -> None:
    request = accounts_pb2.SignUpRequest(email=email, password=PASSWORD, name="X")
    await refused(stub.SignUp, request, principals.metadata(), grpc.StatusCode.INVALID_ARGUMENT, "invalid-email")


async def test_login_says_the_same_for_unknown_email_and_wrong_password_and_logs_both(
    stub, principals, service_engines
) -> None:
    user = (await signup(stub, principals, "linus@example.com")).user
    pair = await stub.Login(
        accounts_pb2.LoginRequest(email="Linus@example.com", password=PASSWORD), metadata=principals.metadata()
    )
    assert pair.user.id == user.id
    details = set()
    for email, password in (("linus@example.com", PASSWORD + "!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.Login(accounts_pb2.LoginRequest(email=email, password=password), metadata=principals.metadata())
        details.add((failure.value.code(), failure.value.details()))
    assert details == {(grpc.StatusCode.UNAUTHENTICATED, "email or password is wrong")}
    assert (await audit_types(service_engines["identity"])).count("login_failed") == 2
    assert await audit_types(service_engines["identity"], user.id) == [
        "signed_up",
        "login_succeeded",
        "login_succeeded",
        "login_failed",
    ]


async def test_logins_are_rate_limited_per_email_with_retry_after(stub, principals, service_engines) -> None:
    await signup(stub, principals, "target@example.com")
    request = accounts_pb2.LoginRequest(email="target@example.com", password="wrong password 1")
    for _ in range(10):
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Login(request, metadata=principals.metadata())
    found = await refused(
        stub.Login, request, principals.metadata(), grpc.StatusCode.RESOURCE_EXHAUSTED, "rate-limited"
    )
    assert 1 <= found["retry_after"] <= 15 * 60 + 1
    # Even the right password waits: the window is about the address, not the guess.
    correct = accounts_pb2.LoginRequest(email="target@example.com", password=PASSWORD)
    await refused(stub.Login, correct, principals.metadata(), grpc.StatusCode.RESOURCE_EXHAUSTED, "rate-limited")
    assert "login_rate_limited" in await audit_types(service_engines["identity"])


# --- refresh rotation and logout -----------------------------------------------------------


async def test_refresh_rotates_and_a_reused_token_ends_the_family(stub, principals, service_engines) -> None:
    first = await signup(stub, principals, new_email())
    second = await stub.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=first.refresh_token), metadata=principals.metadata()
    )
    assert second.refresh_token != first.refresh_token and second.user.id == first.user.id
    third = await stub.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=second.refresh_token), metadata=principals.metadata()
    )

    # A thief replays the first token: the whole family dies, including the newest token.
    replay = accounts_pb2.RefreshRequest(refresh_token=first.refresh_token)
    await refused(stub.Refresh, replay, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "refresh-token-reused")
    newest = accounts_pb2.RefreshRequest(refresh_token=third.refresh_token)
    await refused(stub.Refresh, newest, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "session-revoked")
    assert "refresh_token_reused" in await audit_types(service_engines["identity"], first.user.id)


async def test_logout_ends_one_session_or_all(stub, principals) -> None:
    email = new_email()
    a = await signup(stub, principals, email)
    b = await stub.Login(accounts_pb2.LoginRequest(email=email, password=PASSWORD), metadata=principals.metadata())
    c = await stub.Login(accounts_pb2.LoginRequest(email=email, password=PASSWORD), metadata=principals.metadata())
    await stub.Logout(accounts_pb2.LogoutRequest(refresh_token=a.refresh_token), metadata=principals.metadata())
    ended = accounts_pb2.RefreshRequest(refresh_token=a.refresh_token)
    await refused(stub.Refresh, ended, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "session-revoked")
    b2 = await stub.Refresh(accounts_pb2.RefreshRequest(refresh_token=b.refresh_token), metadata=principals.metadata())
    await stub.Logout(
        accounts_pb2.LogoutRequest(refresh_token=b2.refresh_token, everywhere=True), metadata=principals.metadata()
    )
    for token in (b2.refresh_token, c.refresh_token):
        request = accounts_pb2.RefreshRequest(refresh_token=token)
        await refused(stub.Refresh, request, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "session-revoked")
    # Unknown tokens are a no-op, not an oracle.
    await stub.Logout(accounts_pb2.LogoutRequest(refresh_token="nonsense"), metadata=principals.metadata())


async def test_the_gateway_learns_which_sessions_are_open(stub, principals) -> None:
    email = new_email()
    a = await signup(stub, principals, email)
    b = await stub.Login(accounts_pb2.LoginRequest(email=email, password=PASSWORD), metadata=principals.metadata())
    gateway = principals.metadata(Principal(subject="gateway", kind="service"))

    async def is_open(pair) -> bool:
        session_id = jwt.decode(pair.access_token, options={"verify_signature": False})["sid"]
        return (await stub.CheckSession(accounts_pb2.CheckSessionRequest(session_id=session_id), metadata=gateway)).open

    assert await is_open(a) and await is_open(b)
    rotated = await stub.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=a.refresh_token), metadata=principals.metadata()
    )
    assert await is_open(rotated)  # rotation keeps the session
    await stub.Logout(accounts_pb2.LogoutRequest(refresh_token=rotated.refresh_token), metadata=principals.metadata())
    assert not await is_open(a) and await is_open(b)
    for session_id in ("not-a-uuid", str(uuid.uuid4())):
        request = accounts_pb2.CheckSessionRequest(session_id=session_id)
        assert not (await stub.CheckSession(request, metadata=gateway)).open
    person = principals.user(a.user.id)
    await refused(
        stub.CheckSession,
        accounts_pb2.CheckSessionRequest(session_id=str(uuid.uuid4())),
        person,
        grpc.StatusCode.PERMISSION_DENIED,
        "forbidden",
    )


# --- email verification --------------------------------------------------------------------


async def test_verification_email_link_works_once(stub, principals, smtp) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    token = token_in(await smtp.wait_for(email, "confirm"))
    user = await stub.VerifyEmail(accounts_pb2.VerifyEmailRequest(token=token), metadata=principals.metadata())
    assert user.email_verified
    again = accounts_pb2.VerifyEmailRequest(token=token)
    await refused(
        stub.VerifyEmail, again, principals.metadata(), grpc.StatusCode.INVALID_ARGUMENT, "verification-link-used"
    )
    await refused(
        stub.ResendVerification,
        accounts_pb2.ResendVerificationRequest(),
        principals.user(pair.user.id),
        grpc.StatusCode.ALREADY_EXISTS,
        "already-verified",
    )


async def test_resending_retires_the_old_link_and_is_throttled(stub, principals, smtp, service_engines) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    first = token_in(await smtp.wait_for(email, "confirm"))
    await refused(
        stub.ResendVerification,
        accounts_pb2.ResendVerificationRequest(),
        principals.user(pair.user.id),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "rate-limited",
    )
    async with service_engines["identity"].begin() as conn:  # a minute passes
        await conn.execute(
            text("UPDATE identity.auth_email_verifications SET last_sent_at = now() - interval '2 minutes'")
        )
    await stub.ResendVerification(accounts_pb2.ResendVerificationRequest(), metadata=principals.user(pair.user.id))
    second = token_in(await smtp.wait_for(email, "confirm", count=2))
    stale = accounts_pb2.VerifyEmailRequest(token=first)
    await refused(
        stub.VerifyEmail, stale, principals.metadata(), grpc.StatusCode.INVALID_ARGUMENT, "verification-link-expired"
    )
    assert (
        await stub.VerifyEmail(accounts_pb2.VerifyEmailRequest(token=second), metadata=principals.metadata())
    ).email_verified


# --- magic links ---------------------------------------------------------------------------


async def test_magic_link_signs_in_once_and_lands_on_next_path(stub, principals, smtp, service_engines) -> None:
    email = new_email()
    await signup(stub, principals, email)
    await stub.RequestMagicLink(
        accounts_pb2.MagicLinkRequest(email=email, next_path="/projects/42?tab=plan"), metadata=principals.metadata()
    )
    token = token_in(await smtp.wait_for(email, "sign-in link"))
    pair = await stub.ConsumeMagicLink(
        accounts_pb2.ConsumeMagicLinkRequest(token=token), metadata=principals.metadata()
    )
    assert pair.next_path == "/projects/42?tab=plan" and pair.user.email == email and pair.user.email_verified
    replay = accounts_pb2.ConsumeMagicLinkRequest(token=token)
    await refused(
        stub.ConsumeMagicLink, replay, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "magic-link-used"
    )
    assert "magic_link_rejected" in await audit_types(service_engines["identity"], pair.user.id)


async def test_an_expired_magic_link_is_refused(stub, principals, smtp, service_engines) -> None:
    email = new_email()
    await signup(stub, principals, email)
    await stub.RequestMagicLink(accounts_pb2.MagicLinkRequest(email=email), metadata=principals.metadata())
    token = token_in(await smtp.wait_for(email, "sign-in link"))
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(MagicLink).values(expires_at=func.now()))
    request = accounts_pb2.ConsumeMagicLinkRequest(token=token)
    await refused(
        stub.ConsumeMagicLink, request, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "magic-link-expired"
    )


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "projects", "/a\nb"],
)
async def test_magic_links_refuse_open_redirects(stub, principals, service_engines, next_path: str) -> None:
    email = new_email()
    await signup(stub, principals, email)
    request = accounts_pb2.MagicLinkRequest(email=email, next_path=next_path)
    await refused(
        stub.RequestMagicLink, request, principals.metadata(), grpc.StatusCode.INVALID_ARGUMENT, "invalid-next-path"
    )
    assert "open_redirect_blocked" in await audit_types(service_engines["identity"])
    async with service_engines["identity"].connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(MagicLink))).scalar_one() == 0


async def test_magic_links_do_not_reveal_whether_an_account_exists(stub, principals, smtp) -> None:
    reply = await stub.RequestMagicLink(
        accounts_pb2.MagicLinkRequest(email="ghost@example.com"), metadata=principals.metadata()
    )
    assert reply == reply.__class__()
    with pytest.raises(TimeoutError):
        await smtp.wait_for("ghost@example.com", timeout=1.5)


# --- password reset by code ----------------------------------------------------------------


async def test_password_reset_by_code_changes_the_password_and_ends_sessions(stub, principals, smtp) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    await stub.RequestPasswordReset(accounts_pb2.PasswordResetRequest(email=email), metadata=principals.metadata())
    code = code_in(await smtp.wait_for(email, "reset code"))
    await stub.ConfirmPasswordReset(
        accounts_pb2.ConfirmPasswordResetRequest(email=email, code=code, new_password="another sturdy phrase 7"),
        metadata=principals.metadata(),
    )
    await stub.Login(
        accounts_pb2.LoginRequest(email=email, password="another sturdy phrase 7"), metadata=principals.metadata()
    )
    old = accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token)
    await refused(stub.Refresh, old, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "session-revoked")
    reuse = accounts_pb2.ConfirmPasswordResetRequest(email=email, code=code, new_password="yet another phrase 99")
    await refused(
        stub.ConfirmPasswordReset, reuse, principals.metadata(), grpc.StatusCode.INVALID_ARGUMENT, "invalid-reset-code"
    )


async def test_five_wrong_codes_lock_the_code(stub, principals, smtp, service_engines) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    await stub.RequestPasswordReset(accounts_pb2.PasswordResetRequest(email=email), metadata=principals.metadata())
    code = code_in(await smtp.wait_for(email, "reset code"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    request = accounts_pb2.ConfirmPasswordResetRequest(email=email, code=wrong, new_password="another sturdy phrase 7")
    lefts = []
    for _ in range(4):
        lefts.append(
            (
                await refused(
                    stub.ConfirmPasswordReset,
                    request,
                    principals.metadata(),
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "invalid-reset-code",
                )
            )["attempts_left"]
        )
    assert lefts == [4, 3, 2, 1]
    await refused(
        stub.ConfirmPasswordReset,
        request,
        principals.metadata(),
        grpc.StatusCode.FAILED_PRECONDITION,
        "reset-code-locked",
    )
    right = accounts_pb2.ConfirmPasswordResetRequest(email=email, code=code, new_password="another sturdy phrase 7")
    await refused(
        stub.ConfirmPasswordReset,
        right,
        principals.metadata(),
        grpc.StatusCode.FAILED_PRECONDITION,
        "reset-code-locked",
    )
    await stub.Login(accounts_pb2.LoginRequest(email=email, password=PASSWORD), metadata=principals.metadata())
    types = await audit_types(service_engines["identity"], pair.user.id)
    assert types.count("password_reset_failed") >= 4 and "password_reset_locked" in types
    async with service_engines["identity"].connect() as conn:
        stored = (await conn.execute(select(PasswordResetOtp.otp_hash))).scalar_one()
    assert code not in stored  # kept as an HMAC


async def test_an_expired_code_is_refused(stub, principals, smtp, service_engines) -> None:
    email = new_email()
    await signup(stub, principals, email)
    await stub.RequestPasswordReset(accounts_pb2.PasswordResetRequest(email=email), metadata=principals.metadata())
    code = code_in(await smtp.wait_for(email, "reset code"))
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(PasswordResetOtp).values(expires_at=func.now()))
    request = accounts_pb2.ConfirmPasswordResetRequest(email=email, code=code, new_password="another sturdy phrase 7")
    await refused(
        stub.ConfirmPasswordReset,
        request,
        principals.metadata(),
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-reset-code",
    )


async def test_change_password_needs_the_current_one(stub, principals, service_engines) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    wrong = accounts_pb2.ChangePasswordRequest(current_password="not it at all", new_password="another sturdy phrase 7")
    await refused(
        stub.ChangePassword, wrong, principals.user(pair.user.id), grpc.StatusCode.PERMISSION_DENIED, "wrong-password"
    )
    await stub.ChangePassword(
        accounts_pb2.ChangePasswordRequest(current_password=PASSWORD, new_password="another sturdy phrase 7"),
        metadata=principals.user(pair.user.id),
    )
    await stub.Login(
        accounts_pb2.LoginRequest(email=email, password="another sturdy phrase 7"), metadata=principals.metadata()
    )
    types = await audit_types(service_engines["identity"], pair.user.id)
    assert "password_change_failed" in types and "password_changed" in types


# --- the security log as its owner sees it -------------------------------------------------


async def test_the_audit_log_pages_newest_first_with_ip_and_agent(stub, principals) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    metadata = (*principals.metadata(), ("x-client-ip", "203.0.113.7"), ("x-user-agent", "pytest/1.0"))
    for _ in range(3):
        await stub.Login(accounts_pb2.LoginRequest(email=email, password=PASSWORD), metadata=metadata)
    seen, cursor = [], ""
    while True:
        page = await stub.ListAuditLog(
            accounts_pb2.ListAuditLogRequest(page=types_pb2.PageRequest(limit=2, cursor=cursor)),
            metadata=principals.user(pair.user.id),
        )
        seen += list(page.items)
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert [e.event_type for e in seen] == ["login_succeeded"] * 3 + ["login_succeeded", "signed_up"]
    assert (seen[0].ip, seen[0].user_agent) == ("203.0.113.7", "pytest/1.0")


async def test_disabled_accounts_cannot_sign_in(stub, principals, service_engines) -> None:
    email = new_email()
    pair = await signup(stub, principals, email)
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(User).values(status="disabled"))
    request = accounts_pb2.LoginRequest(email=email, password=PASSWORD)
    await refused(stub.Login, request, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "account-disabled")
    refresh = accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token)
    await refused(stub.Refresh, refresh, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "inactive-account")


async def test_a_rename_is_published_once(stub, principals, service_engines) -> None:
    pair = await signup(stub, principals, new_email(), name="Ada Lovelace")
    me = principals.user(pair.user.id)
    for name in ("Ada King", "  Ada King ", "Ada King"):
        renamed = await stub.UpdateMe(accounts_pb2.UpdateMeRequest(name=name), metadata=me)
        assert renamed.name == "Ada King"
    async with service_engines["identity"].connect() as conn:
        payloads = (await conn.execute(text("SELECT payload FROM identity.outbox ORDER BY id"))).scalars().all()
    envelopes = [common_events_pb2.EventEnvelope.FromString(p) for p in payloads]
    [renamed_event] = [e for e in envelopes if e.entity_id == pair.user.id and e.type == "identity.user.renamed.v1"]
    payload = unpack(renamed_event, identity_events_pb2.UserRenamed)
    assert (payload.user_id, payload.name, payload.previous_name) == (pair.user.id, "Ada King", "Ada Lovelace")
