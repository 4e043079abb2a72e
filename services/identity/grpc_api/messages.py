"""Domain objects as identity protobuf messages, shared by the servicers."""

from __future__ import annotations

from aira.identity.v1 import types_pb2
from services.chassis.proto_values import to_timestamp
from services.identity.models import User
from services.identity.repository import ProjectView
from services.identity.sessions import Session


def user_message(user: User) -> types_pb2.User:
    return types_pb2.User(
        id=str(user.id),
        email=user.email,
        name=user.name,
        status=user.status,
        is_admin=user.is_admin,
        created_at=to_timestamp(user.created_at),
        email_verified=user.email_verified_at is not None,
        has_password=user.password_hash is not None,
    )


def token_pair(session: Session) -> types_pb2.TokenPair:
    return types_pb2.TokenPair(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        token_type="Bearer",
        expires_in=session.expires_in,
        user=user_message(session.user),
        next_path=session.next_path,
    )


def project_message(project: ProjectView) -> types_pb2.Project:
    return types_pb2.Project(
        id=str(project.id),
        name=project.name,
        description=project.description,
        vision=project.vision,
        onboarding_mode=project.onboarding_mode,
        created_by=str(project.created_by),
        created_at=to_timestamp(project.created_at),
        updated_at=to_timestamp(project.updated_at),
        role=project.role,
    )
