"""Passkeys (WebAuthn): register one while signed in, sign in with one, list and remove yours.

Options come back as the JSON ``PublicKeyCredential.parseCreationOptionsFromJSON`` /
``parseRequestOptionsFromJSON`` take; credentials go in as ``PublicKeyCredential.toJSON()`` gives them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from aira.identity.v1 import passkeys_pb2
from gateway.deps import CallerDep, IdempotencyDep, State
from gateway.schemas import StrictBody, TokenPairOut, from_proto

router = APIRouter(tags=["passkeys"])

CREDENTIAL = "The browser's PublicKeyCredential as JSON (PublicKeyCredential.toJSON())."


class PasskeyRegistrationIn(StrictBody):
    credential: dict[str, Any] = Field(description=CREDENTIAL)
    name: str = Field(default="", max_length=200, description='What to call it in lists; "Passkey" when empty.')


class PasskeyLoginOptionsIn(StrictBody):
    email: EmailStr | None = Field(
        default=None,
        max_length=320,
        description="Offer this account's passkeys; without it the browser offers its discoverable ones.",
    )


class PasskeyLoginIn(StrictBody):
    credential: dict[str, Any] = Field(description=CREDENTIAL)


class WebauthnOptionsOut(BaseModel):
    """WebAuthn options for the browser, as they are; the challenge works once, for five minutes."""

    model_config = ConfigDict(extra="allow")

    challenge: str


class PasskeyOut(BaseModel):
    id: str
    name: str
    transports: list[str]
    aaguid: str
    backed_up: bool
    created_at: datetime
    last_used_at: datetime | None = None


class PasskeyList(BaseModel):
    items: list[PasskeyOut]


def _options(reply: passkeys_pb2.WebauthnOptions) -> dict[str, Any]:
    return orjson.loads(reply.options_json)


@router.post(
    "/v1/auth/webauthn/register/options",
    response_model=WebauthnOptionsOut,
    summary="Start registering a passkey (options for navigator.credentials.create())",
)
async def register_options(who: CallerDep, gateway: State):
    reply = await gateway.clients.passkeys.RegistrationOptions(
        passkeys_pb2.RegistrationOptionsRequest(), metadata=gateway.principals.metadata(who)
    )
    return _options(reply)


@router.post(
    "/v1/auth/webauthn/register/verify",
    status_code=201,
    response_model=PasskeyOut,
    summary="Finish registering a passkey",
)
async def register_verify(body: PasskeyRegistrationIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    reply = await gateway.clients.passkeys.VerifyRegistration(
        passkeys_pb2.VerifyRegistrationRequest(credential_json=orjson.dumps(body.credential).decode(), name=body.name),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    return from_proto(reply)


@router.post(
    "/v1/auth/webauthn/login/options",
    response_model=WebauthnOptionsOut,
    summary="Start signing in with a passkey (options for navigator.credentials.get())",
)
async def login_options(gateway: State, body: PasskeyLoginOptionsIn | None = None):
    reply = await gateway.clients.passkeys.AuthenticationOptions(
        passkeys_pb2.AuthenticationOptionsRequest(email=body.email if body and body.email else ""),
        metadata=gateway.principals.metadata(None),
    )
    return _options(reply)


@router.post("/v1/auth/webauthn/login/verify", response_model=TokenPairOut, summary="Sign in with a passkey")
async def login_verify(body: PasskeyLoginIn, gateway: State):
    pair = await gateway.clients.passkeys.VerifyAuthentication(
        passkeys_pb2.VerifyAuthenticationRequest(credential_json=orjson.dumps(body.credential).decode()),
        metadata=gateway.principals.metadata(None),
    )
    return from_proto(pair)


@router.get("/v1/me/passkeys", response_model=PasskeyList, summary="Your passkeys")
async def list_passkeys(who: CallerDep, gateway: State):
    reply = await gateway.clients.passkeys.ListPasskeys(
        passkeys_pb2.ListPasskeysRequest(), metadata=gateway.principals.metadata(who)
    )
    return from_proto(reply)


@router.delete("/v1/me/passkeys/{passkey_id}", status_code=204, summary="Remove one of your passkeys")
async def delete_passkey(passkey_id: str, who: CallerDep, gateway: State) -> Response:
    await gateway.clients.passkeys.DeletePasskey(
        passkeys_pb2.DeletePasskeyRequest(passkey_id=passkey_id), metadata=gateway.principals.metadata(who)
    )
    return Response(status_code=204)
