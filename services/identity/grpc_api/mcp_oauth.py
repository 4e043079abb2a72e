"""The McpOAuth contract."""

from __future__ import annotations

from datetime import datetime

import orjson

from aira.identity.v1 import mcp_oauth_pb2, mcp_oauth_pb2_grpc, types_pb2
from services.chassis.service import ServiceContext
from services.chassis.uow import UnitOfWorkFactory
from services.identity.mcp_oauth import McpOAuth, McpTokens, McpTokenSigner, RegisteredClient
from services.identity.rate_limits import RateLimiter
from services.identity.security_log import SecurityLog


def _epoch(when: datetime | None) -> int:
    return int(when.timestamp()) if when is not None else 0


def client_message(registered: RegisteredClient) -> mcp_oauth_pb2.McpClient:
    client = registered.client
    return mcp_oauth_pb2.McpClient(
        client_id=client.client_id,
        client_secret=registered.secret or "",
        client_secret_expires_at=_epoch(client.client_secret_expires_at),
        client_id_issued_at=_epoch(client.created_at),
        redirect_uris=client.redirect_uris,
        client_name=client.client_name or "",
        scope=client.scope or "",
        grant_types=client.grant_types,
        token_endpoint_auth_method=client.token_endpoint_auth_method,
        metadata_json=orjson.dumps(client.metadata_json).decode(),
    )


def tokens_message(tokens: McpTokens) -> mcp_oauth_pb2.McpTokens:
    return mcp_oauth_pb2.McpTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        scopes=tokens.scopes,
    )


class McpOAuthServicer(mcp_oauth_pb2_grpc.McpOAuthServicer):
    def __init__(self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, oauth: McpOAuth) -> None:
        self._uow = uow
        self._reader = reader
        self._oauth = oauth

    @classmethod
    def build(cls, ctx: ServiceContext, security_log: SecurityLog, limiter: RateLimiter) -> McpOAuthServicer:
        """The servicer with its domain object, for the composition root."""
        oauth = McpOAuth(
            uow_factory=ctx.uow,
            signer=McpTokenSigner.from_keys_dir(ctx.settings.keys_path),
            secret=ctx.secret,
            security_log=security_log,
            limiter=limiter,
        )
        return cls(ctx.uow, ctx.reader, oauth)

    async def RegisterClient(self, request, ctx):
        async with self._uow() as uow:
            registered = await self._oauth.register_client(
                uow,
                client_id=request.client_id,
                redirect_uris=list(request.redirect_uris),
                client_name=request.client_name,
                scope=request.scope,
                grant_types=list(request.grant_types),
                auth_method=request.token_endpoint_auth_method or "none",
                metadata_json=request.metadata_json,
            )
            reply = client_message(registered)
            await uow.commit()
        return reply

    async def GetClient(self, request, ctx):
        async with self._reader() as uow:
            registered = await self._oauth.get_client(uow, request.client_id)
        return client_message(registered)

    async def CreateAuthorizationCode(self, request, ctx):
        async with self._uow() as uow:
            code, expires_at = await self._oauth.create_code(
                uow,
                client_id=request.client_id,
                project_id=request.project_id,
                redirect_uri=request.redirect_uri,
                redirect_uri_provided_explicitly=request.redirect_uri_provided_explicitly,
                code_challenge=request.code_challenge,
                scopes=list(request.scopes),
                resource=request.resource,
            )
            await uow.commit()
        return mcp_oauth_pb2.CreatedMcpAuthorizationCode(code=code, expires_at=_epoch(expires_at))

    async def LoadAuthorizationCode(self, request, ctx):
        async with self._reader() as uow:
            code = await self._oauth.load_code(uow, request.client_id, request.code)
        return mcp_oauth_pb2.McpAuthorizationCode(
            client_id=code.client_id,
            user_id=str(code.user_id),
            project_id=str(code.project_id),
            redirect_uri=code.redirect_uri,
            redirect_uri_provided_explicitly=code.redirect_uri_provided_explicitly,
            code_challenge=code.code_challenge,
            scopes=code.scopes,
            resource=code.resource or "",
            expires_at=_epoch(code.expires_at),
            consumed=code.consumed_at is not None,
        )

    async def ExchangeAuthorizationCode(self, request, ctx):
        async with self._uow() as uow:
            reply = tokens_message(await self._oauth.exchange_code(uow, request.client_id, request.code))
            await uow.commit()
        return reply

    async def LoadRefreshToken(self, request, ctx):
        async with self._reader() as uow:
            token = await self._oauth.load_refresh_token(uow, request.client_id, request.refresh_token)
        return mcp_oauth_pb2.McpRefreshToken(
            client_id=token.client_id,
            user_id=str(token.user_id),
            project_id=str(token.project_id),
            scopes=token.scopes,
            resource=token.resource or "",
            expires_at=_epoch(token.expires_at),
            family_id=str(token.family_id),
        )

    async def ExchangeRefreshToken(self, request, ctx):
        async with self._uow() as uow:
            tokens = await self._oauth.exchange_refresh_token(
                uow, request.client_id, request.refresh_token, list(request.scopes)
            )
            reply = tokens_message(tokens)
            await uow.commit()
        return reply

    async def LoadAccessToken(self, request, ctx):
        async with self._reader() as uow:
            grant = await self._oauth.load_grant(uow, request.access_token)
        return mcp_oauth_pb2.McpGrant(
            client_id=grant.client_id,
            user_id=str(grant.user_id),
            project_id=str(grant.project_id),
            role=grant.role,
            scopes=grant.scopes,
            resource=grant.resource,
            expires_at=grant.expires_at,
            family_id=str(grant.family_id),
        )

    async def RevokeToken(self, request, ctx):
        async with self._uow() as uow:
            await self._oauth.revoke(uow, request.client_id, request.token)
            await uow.commit()
        return types_pb2.Accepted()

    async def RecordRejection(self, request, ctx):
        await self._oauth.record_rejection(
            endpoint=request.endpoint,
            error=request.error,
            reason=request.reason,
            client_id=request.client_id,
            credential=request.credential,
            redirect_uri=request.redirect_uri,
        )
        return types_pb2.Accepted()

    async def ListGrants(self, request, ctx):
        user_id = self._oauth.person()
        async with self._reader() as reader:
            grants = await self._oauth.grants_of(reader, user_id)
        return mcp_oauth_pb2.ListMcpGrantsResponse(
            items=[
                mcp_oauth_pb2.McpGrantSummary(
                    grant_id=str(g.grant_id),
                    client_id=g.client_id,
                    client_name=g.client_name,
                    project_id=str(g.project_id),
                    project_name=g.project_name,
                    scopes=g.scopes,
                    connected_at=_epoch(g.connected_at),
                    refreshed_at=_epoch(g.refreshed_at),
                    expires_at=_epoch(g.expires_at),
                )
                for g in grants
            ]
        )

    async def RevokeGrant(self, request, ctx):
        user_id = self._oauth.person()
        async with self._uow() as uow:
            await self._oauth.revoke_grant(uow, user_id, request.grant_id)
            await uow.commit()
        return types_pb2.Accepted()
