"""The Accounts contract."""

from __future__ import annotations

import uuid

from google.protobuf.json_format import MessageToDict

from aira.common.v1 import types_pb2 as common_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, types_pb2
from services.chassis import context
from services.chassis.authz import current_user_id
from services.chassis.errors import PermissionDenied
from services.chassis.pagination import cursor_id, decode_cursor, encode_cursor, page_limit
from services.chassis.proto_values import to_struct, to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.identity import accounts, preferences, repository
from services.identity.accounts import Accounts
from services.identity.grpc_api.messages import token_pair, user_message
from services.identity.security_log import SecurityLog
from services.identity.tokens import AccessTokens

GATEWAY_EVENTS = frozenset({"access_token_rejected", "api_key_rejected"})


class AccountsServicer(accounts_pb2_grpc.AccountsServicer):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        accounts_: Accounts,
        access_tokens: AccessTokens,
        security_log: SecurityLog,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._accounts = accounts_
        self._access_tokens = access_tokens
        self._log = security_log

    async def SignUp(self, request, ctx):
        async with self._uow() as uow:
            session = await self._accounts.sign_up(
                uow, email=request.email, password=request.password, name=request.name
            )
            reply = token_pair(session)
            await uow.commit(reply)
        return reply

    async def Login(self, request, ctx):
        async with self._uow() as uow:
            reply = token_pair(await self._accounts.log_in(uow, email=request.email, password=request.password))
            await uow.commit()
        return reply

    async def Refresh(self, request, ctx):
        async with self._uow() as uow:
            reply = token_pair(await self._accounts.sessions.refresh(uow, request.refresh_token))
            await uow.commit()
        return reply

    async def Logout(self, request, ctx):
        async with self._uow() as uow:
            await self._accounts.sessions.logout(uow, request.refresh_token, everywhere=request.everywhere)
            await uow.commit()
        return types_pb2.Accepted()

    async def VerifyEmail(self, request, ctx):
        async with self._uow() as uow:
            reply = user_message(await self._accounts.verify_email(uow, request.token))
            await uow.commit()
        return reply

    async def ResendVerification(self, request, ctx):
        user_id = current_user_id()
        async with self._uow() as uow:
            await self._accounts.resend_verification(uow, user_id)
            await uow.commit()
        return types_pb2.Accepted()

    async def RequestMagicLink(self, request, ctx):
        async with self._uow() as uow:
            await self._accounts.request_magic_link(uow, email=request.email, next_path=request.next_path)
            await uow.commit()
        return types_pb2.Accepted()

    async def ConsumeMagicLink(self, request, ctx):
        async with self._uow() as uow:
            reply = token_pair(await self._accounts.consume_magic_link(uow, request.token))
            await uow.commit()
        return reply

    async def RequestPasswordReset(self, request, ctx):
        async with self._uow() as uow:
            await self._accounts.request_password_reset(uow, email=request.email)
            await uow.commit()
        return types_pb2.Accepted()

    async def ConfirmPasswordReset(self, request, ctx):
        async with self._uow() as uow:
            await self._accounts.confirm_password_reset(
                uow, email=request.email, code=request.code, new_password=request.new_password
            )
            await uow.commit()
        return types_pb2.Accepted()

    async def GetSigningKeys(self, request, ctx):
        return accounts_pb2.SigningKeys(jwks_json=self._access_tokens.jwks_json())

    async def RecordSecurityEvent(self, request, ctx):
        principal = context.principal.get()
        if principal is None or principal.kind != "service" or request.event_type not in GATEWAY_EVENTS:
            raise PermissionDenied("only the gateway reports these events")
        details = MessageToDict(request.details) if request.HasField("details") else {}
        await self._log.record_now(request.event_type, None, claimed_user_id=request.claimed_user_id, **details)
        return types_pb2.Accepted()

    async def CheckSession(self, request, ctx):
        principal = context.principal.get()
        if principal is None or principal.kind != "service":
            raise PermissionDenied("only the gateway checks sessions")
        try:
            family_id = uuid.UUID(request.session_id)
        except ValueError:
            return accounts_pb2.SessionState(open=False)
        async with self._reader() as reader:
            return accounts_pb2.SessionState(open=await repository.session_open(reader, family_id))

    async def GetMe(self, request, ctx):
        user_id = current_user_id()
        async with self._reader() as uow:
            user = await accounts.current_user(uow, user_id)
        return user_message(user)

    async def UpdateMe(self, request, ctx):
        user_id = current_user_id()
        async with self._uow() as uow:
            user = await self._accounts.update_me(uow, user_id, name=request.name if request.HasField("name") else None)
            reply = user_message(user)
            await uow.commit()
        return reply

    async def ChangePassword(self, request, ctx):
        user_id = current_user_id()
        async with self._uow() as uow:
            await self._accounts.change_password(
                uow, user_id, current=request.current_password, new=request.new_password
            )
            await uow.commit()
        return types_pb2.Accepted()

    async def ListAuditLog(self, request, ctx):
        user_id = current_user_id()
        limit = page_limit(request.page.limit)
        before = cursor_id(decode_cursor(request.page.cursor), "before")
        async with self._reader() as uow:
            rows = await repository.audit_entries(uow, user_id, limit=limit + 1, before=before)
        page = rows[:limit]
        return accounts_pb2.ListAuditLogResponse(
            items=[
                accounts_pb2.AuditEntry(
                    id=str(e.id),
                    event_type=e.event_type,
                    ip=str(e.ip or ""),
                    user_agent=e.user_agent or "",
                    details=to_struct(e.details),
                    created_at=to_timestamp(e.created_at),
                )
                for e in page
            ],
            page=common_pb2.PageInfo(
                next_cursor=encode_cursor({"before": str(page[-1].id)}) if len(rows) > limit else ""
            ),
        )

    async def GetPreferences(self, request, ctx):
        async with self._reader() as uow:
            found = await preferences.get(uow, request.project_id)
        return _preferences_message(request.project_id, found)

    async def PutPreferences(self, request, ctx):
        values = MessageToDict(request.preferences) if request.HasField("preferences") else {}
        async with self._uow() as uow:
            stored = await preferences.put(uow, request.project_id, values)
            reply = _preferences_message(request.project_id, stored)
            await uow.commit()
        return reply


def _preferences_message(project_id: str, stored) -> accounts_pb2.Preferences:
    if stored is None:
        return accounts_pb2.Preferences(project_id=project_id, preferences=to_struct({}))
    return accounts_pb2.Preferences(
        project_id=project_id, preferences=to_struct(stored.preferences), updated_at=to_timestamp(stored.updated_at)
    )
