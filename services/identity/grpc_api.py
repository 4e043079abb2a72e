"""Identity's gRPC surface: translate protobuf to domain calls and back, nothing else."""

from __future__ import annotations

from aira.common.v1 import types_pb2
from aira.identity.v1 import identity_pb2, identity_pb2_grpc
from services.chassis.authz import current_user_id
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.identity import accounts, projects
from services.identity.accounts import Accounts, Session
from services.identity.models import User
from services.identity.repository import ProjectView
from services.identity.tokens import AccessTokens


def user_message(user: User) -> identity_pb2.User:
    return identity_pb2.User(
        id=str(user.id),
        email=user.email,
        name=user.name,
        status=user.status,
        is_admin=user.is_admin,
        created_at=to_timestamp(user.created_at),
    )


def project_message(project: ProjectView) -> identity_pb2.Project:
    return identity_pb2.Project(
        id=str(project.id),
        name=project.name,
        description=project.description,
        vision=project.vision,
        onboarding_mode=project.onboarding_mode,
        created_by=str(project.created_by),
        created_at=to_timestamp(project.created_at),
        role=project.role,
    )


def token_pair(session: Session) -> identity_pb2.TokenPair:
    return identity_pb2.TokenPair(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        token_type="Bearer",
        expires_in=session.expires_in,
        user=user_message(session.user),
    )


class IdentityServicer(identity_pb2_grpc.IdentityServicer):
    def __init__(
        self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, accounts: Accounts, access_tokens: AccessTokens
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._accounts = accounts
        self._access_tokens = access_tokens

    async def SignUp(self, request, context):
        async with self._uow() as uow:
            session = await self._accounts.sign_up(
                uow, email=request.email, password=request.password, name=request.name
            )
            reply = token_pair(session)
            await uow.commit(reply)
        return reply

    async def Login(self, request, context):
        async with self._uow() as uow:
            session = await self._accounts.log_in(uow, email=request.email, password=request.password)
            reply = token_pair(session)
            await uow.commit()
        return reply

    async def GetSigningKeys(self, request, context):
        return identity_pb2.SigningKeys(jwks_json=self._access_tokens.jwks_json())

    async def GetMe(self, request, context):
        user_id = current_user_id()
        async with self._reader() as uow:
            user = await accounts.current_user(uow, user_id)
        return user_message(user)

    async def CreateProject(self, request, context):
        user_id = current_user_id()
        async with self._uow() as uow:
            created = await projects.create_project(
                uow, user_id=user_id, name=request.name, description=request.description, vision=request.vision
            )
            reply = project_message(created)
            await uow.commit(reply)
        return reply

    async def ListProjects(self, request, context):
        user_id = current_user_id()
        async with self._reader() as uow:
            page, next_cursor = await projects.list_projects(
                uow, user_id=user_id, limit=request.page.limit, cursor=request.page.cursor
            )
        return identity_pb2.ListProjectsResponse(
            items=[project_message(p) for p in page], page=types_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetProject(self, request, context):
        user_id = current_user_id()
        async with self._reader() as uow:
            found = await projects.get_project(uow, user_id=user_id, project_id=request.project_id)
        return project_message(found)

    async def ResolveAccess(self, request, context):
        user_id = current_user_id()
        async with self._reader() as uow:
            role = await projects.resolve_role(uow, user_id=user_id, project_id=request.project_id)
        return identity_pb2.Access(project_id=request.project_id, user_id=str(user_id), role=role)
