"""The Oidc contract."""

from __future__ import annotations

from aira.identity.v1 import oidc_pb2, oidc_pb2_grpc
from services.chassis.uow import UnitOfWorkFactory
from services.identity.grpc_api.messages import token_pair
from services.identity.oidc import Oidc


class OidcServicer(oidc_pb2_grpc.OidcServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, oidc: Oidc) -> None:
        self._uow = uow
        self._reader = reader
        self._oidc = oidc

    async def Start(self, request, ctx):
        found = await self._oidc.start(
            request.provider,
            next_path=request.next_path,
            redirect_uri=request.redirect_uri,
            email=request.email if request.HasField("email") else None,
        )
        return oidc_pb2.OidcStartResponse(authorization_url=found.url, state=found.state, expires_in=found.expires_in)

    async def Callback(self, request, ctx):
        # The provider is called before the unit of work first touches the database, so no
        # connection is held while waiting for it.
        async with self._uow() as uow:
            session = await self._oidc.callback(
                uow, request.provider, code=request.code, state=request.state, error=request.error
            )
            reply = token_pair(session)
            await uow.commit()
        return reply

    async def DiscoverProvider(self, request, ctx):
        async with self._reader() as uow:
            provider = await self._oidc.discover(uow, request.email)
        return oidc_pb2.SsoProvider(provider=provider)
