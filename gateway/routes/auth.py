"""Ways in: sign-up, password login, refresh, logout, email verification, magic links, password reset."""

from __future__ import annotations

from fastapi import APIRouter, Response

from aira.identity.v1 import accounts_pb2
from gateway.deps import CallerDep, IdempotencyDep, State
from gateway.schemas import (
    LoginIn,
    LogoutIn,
    MagicLinkIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    SessionOut,
    SignUpIn,
    TokenIn,
    TokenPairOut,
    UserOut,
    from_proto,
)

router = APIRouter(prefix="/v1/auth", tags=["auth"])

ACCEPTED = {202: {"description": "Accepted; an email is on its way if the address has an account"}}


@router.post("/signup", status_code=201, response_model=TokenPairOut, summary="Create an account")
async def signup(body: SignUpIn, gateway: State, idempotency: IdempotencyDep):
    pair = await gateway.clients.accounts.SignUp(
        accounts_pb2.SignUpRequest(email=body.email, password=body.password, name=body.name),
        metadata=gateway.principals.metadata(None) + idempotency,
    )
    return from_proto(pair)


@router.post("/login", response_model=TokenPairOut, summary="Sign in with email and password")
async def login(body: LoginIn, gateway: State):
    pair = await gateway.clients.accounts.Login(
        accounts_pb2.LoginRequest(email=body.email, password=body.password), metadata=gateway.principals.metadata(None)
    )
    return from_proto(pair)


@router.get("/session", response_model=SessionOut, summary="Who the presented credential is (answered by the gateway)")
async def session(who: CallerDep) -> SessionOut:
    return SessionOut(
        user_id=who.user_id,
        email=who.email or None,
        kind=who.kind,
        project_id=who.project_id,
        role=who.role,
        scopes=list(who.scopes),
    )


@router.post("/refresh", response_model=TokenPairOut, summary="Trade a refresh token for a new pair (rotation)")
async def refresh(body: RefreshIn, gateway: State):
    pair = await gateway.clients.accounts.Refresh(
        accounts_pb2.RefreshRequest(refresh_token=body.refresh_token), metadata=gateway.principals.metadata(None)
    )
    return from_proto(pair)


@router.post("/logout", status_code=204, summary="End this session (or every session, with everywhere)")
async def logout(body: LogoutIn, gateway: State) -> Response:
    await gateway.clients.accounts.Logout(
        accounts_pb2.LogoutRequest(refresh_token=body.refresh_token, everywhere=body.everywhere),
        metadata=gateway.principals.metadata(None),
    )
    return Response(status_code=204)


@router.post("/verify-email", response_model=UserOut, summary="Confirm an email address with the emailed token")
async def verify_email(body: TokenIn, gateway: State):
    user = await gateway.clients.accounts.VerifyEmail(
        accounts_pb2.VerifyEmailRequest(token=body.token), metadata=gateway.principals.metadata(None)
    )
    return from_proto(user)


@router.post("/resend-verification", status_code=202, responses=ACCEPTED, summary="Send a fresh verification link")
async def resend_verification(who: CallerDep, gateway: State) -> Response:
    await gateway.clients.accounts.ResendVerification(
        accounts_pb2.ResendVerificationRequest(), metadata=gateway.principals.metadata(who)
    )
    return Response(status_code=202)


@router.post("/magic-link", status_code=202, responses=ACCEPTED, summary="Email a one-time sign-in link")
async def magic_link(body: MagicLinkIn, gateway: State) -> Response:
    await gateway.clients.accounts.RequestMagicLink(
        accounts_pb2.MagicLinkRequest(email=body.email, next_path=body.next_path),
        metadata=gateway.principals.metadata(None),
    )
    return Response(status_code=202)


@router.post("/magic-link/consume", response_model=TokenPairOut, summary="Sign in with a magic link's token")
async def consume_magic_link(body: TokenIn, gateway: State):
    pair = await gateway.clients.accounts.ConsumeMagicLink(
        accounts_pb2.ConsumeMagicLinkRequest(token=body.token), metadata=gateway.principals.metadata(None)
    )
    return from_proto(pair)


@router.post("/password-reset", status_code=202, responses=ACCEPTED, summary="Email a six-digit reset code")
async def password_reset(body: PasswordResetIn, gateway: State) -> Response:
    await gateway.clients.accounts.RequestPasswordReset(
        accounts_pb2.PasswordResetRequest(email=body.email), metadata=gateway.principals.metadata(None)
    )
    return Response(status_code=202)


@router.post("/password-reset/confirm", status_code=204, summary="Set a new password with the emailed code")
async def password_reset_confirm(body: PasswordResetConfirmIn, gateway: State) -> Response:
    await gateway.clients.accounts.ConfirmPasswordReset(
        accounts_pb2.ConfirmPasswordResetRequest(email=body.email, code=body.code, new_password=body.new_password),
        metadata=gateway.principals.metadata(None),
    )
    return Response(status_code=204)
