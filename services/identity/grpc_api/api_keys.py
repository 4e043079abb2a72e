"""The ApiKeys contract."""

from __future__ import annotations

from aira.identity.v1 import api_keys_pb2, api_keys_pb2_grpc
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.identity.api_keys import ApiKeys
from services.identity.models import ApiKey


def key_message(key: ApiKey) -> api_keys_pb2.ApiKey:
    message = api_keys_pb2.ApiKey(
        id=str(key.id),
        project_id=str(key.project_id),
        name=key.name,
        scopes=key.scopes,
        prefix=key.key_prefix,
        created_at=to_timestamp(key.created_at),
    )
    for field in ("expires_at", "last_used_at", "revoked_at"):
        if (value := getattr(key, field)) is not None:
            getattr(message, field).CopyFrom(to_timestamp(value))
    return message


class ApiKeysServicer(api_keys_pb2_grpc.ApiKeysServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, keys: ApiKeys) -> None:
        self._uow = uow
        self._reader = reader
        self._keys = keys

    async def CreateApiKey(self, request, ctx):
        async with self._uow() as uow:
            key, secret = await self._keys.create(
                uow,
                request.project_id,
                name=request.name,
                scopes=list(request.scopes),
                expires_in_days=request.expires_in_days,
            )
            reply = api_keys_pb2.CreatedApiKey(key=key_message(key), secret=secret)
            await uow.commit(reply)
        return reply

    async def ListApiKeys(self, request, ctx):
        async with self._reader() as uow:
            keys = await self._keys.of_caller(uow, request.project_id)
        return api_keys_pb2.ListApiKeysResponse(items=[key_message(k) for k in keys])

    async def RevokeApiKey(self, request, ctx):
        async with self._uow() as uow:
            reply = key_message(await self._keys.revoke(uow, request.key_id))
            await uow.commit()
        return reply

    async def AuthenticateApiKey(self, request, ctx):
        async with self._uow() as uow:
            found = await self._keys.authenticate(uow, request.secret)
            await uow.commit()
        key = found.key
        reply = api_keys_pb2.ApiKeyIdentity(
            key_id=str(key.id),
            user_id=str(key.user_id),
            project_id=str(key.project_id),
            role=found.role,
            scopes=key.scopes,
        )
        if key.expires_at:
            reply.expires_at.CopyFrom(to_timestamp(key.expires_at))
        return reply
