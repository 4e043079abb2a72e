"""The Passkeys contract."""

from __future__ import annotations

from aira.identity.v1 import passkeys_pb2, passkeys_pb2_grpc, types_pb2
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.identity.grpc_api.messages import token_pair
from services.identity.models import WebauthnCredential
from services.identity.passkeys import Passkeys, signed_in_person


def passkey_message(credential: WebauthnCredential) -> passkeys_pb2.Passkey:
    message = passkeys_pb2.Passkey(
        id=str(credential.id),
        name=credential.friendly_name,
        transports=credential.transports,
        aaguid=credential.aaguid or "",
        backed_up=credential.backed_up,
        created_at=to_timestamp(credential.created_at),
    )
    if credential.last_used_at is not None:
        message.last_used_at.CopyFrom(to_timestamp(credential.last_used_at))
    return message


class PasskeysServicer(passkeys_pb2_grpc.PasskeysServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, passkeys: Passkeys) -> None:
        self._uow = uow
        self._reader = reader
        self._passkeys = passkeys

    async def RegistrationOptions(self, request, ctx):
        user_id = signed_in_person()
        async with self._uow() as uow:
            reply = passkeys_pb2.WebauthnOptions(options_json=await self._passkeys.registration_options(uow, user_id))
            await uow.commit()
        return reply

    async def VerifyRegistration(self, request, ctx):
        user_id = signed_in_person()
        async with self._uow() as uow:
            credential = await self._passkeys.verify_registration(
                uow, user_id, credential_json=request.credential_json, name=request.name
            )
            reply = passkey_message(credential)
            await uow.commit(reply)
        return reply

    async def ListPasskeys(self, request, ctx):
        user_id = signed_in_person()
        async with self._reader() as uow:
            credentials = await self._passkeys.of_user(uow, user_id)
        return passkeys_pb2.ListPasskeysResponse(items=[passkey_message(c) for c in credentials])

    async def DeletePasskey(self, request, ctx):
        user_id = signed_in_person()
        async with self._uow() as uow:
            await self._passkeys.remove(uow, user_id, request.passkey_id)
            reply = types_pb2.Accepted()
            await uow.commit(reply)
        return reply

    async def AuthenticationOptions(self, request, ctx):
        async with self._uow() as uow:
            reply = passkeys_pb2.WebauthnOptions(
                options_json=await self._passkeys.authentication_options(uow, email=request.email)
            )
            await uow.commit()
        return reply

    async def VerifyAuthentication(self, request, ctx):
        async with self._uow() as uow:
            reply = token_pair(await self._passkeys.verify_authentication(uow, credential_json=request.credential_json))
            await uow.commit()  # a token pair is never stored for replay
        return reply
