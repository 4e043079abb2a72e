"""Sign-up and sign-in."""

from __future__ import annotations

from fastapi import APIRouter

from aira.identity.v1 import identity_pb2
from gateway.deps import IdempotencyDep, State
from gateway.schemas import LoginIn, SignUpIn, TokenPairOut, token_pair_out

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/signup", status_code=201, response_model=TokenPairOut, summary="Create an account")
async def signup(body: SignUpIn, gateway: State, idempotency: IdempotencyDep) -> TokenPairOut:
    pair = await gateway.clients.identity.SignUp(
        identity_pb2.SignUpRequest(email=body.email, password=body.password, name=body.name),
        metadata=gateway.principals.metadata(None) + idempotency,
    )
    return token_pair_out(pair)


@router.post("/login", response_model=TokenPairOut, summary="Sign in with email and password")
async def login(body: LoginIn, gateway: State) -> TokenPairOut:
    pair = await gateway.clients.identity.Login(
        identity_pb2.LoginRequest(email=body.email, password=body.password),
        metadata=gateway.principals.metadata(None),
    )
    return token_pair_out(pair)
