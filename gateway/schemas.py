"""Request and response bodies of the REST API, and their translation from contracts.

Request models are strict and forbid unknown fields, so a typo is an error, not a silent no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from aira.agents.v1 import audit_pb2
from aira.identity.v1 import identity_pb2
from services.chassis.proto_values import from_timestamp


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SignUpIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(min_length=1, max_length=200)


class LoginIn(StrictBody):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class ProjectIn(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    vision: str = Field(default="", max_length=10_000)


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    status: str
    is_admin: bool
    created_at: datetime


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: UserOut


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    vision: str
    onboarding_mode: str
    created_by: str
    created_at: datetime
    role: str


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class ActorOut(BaseModel):
    type: str
    id: str


class EventOut(BaseModel):
    id: str
    sequence: int
    event_type: str
    entity_type: str
    entity_id: str
    action: str
    changes: dict[str, Any] | None
    snapshot: dict[str, Any] | None
    actor: ActorOut
    occurred_at: datetime
    recorded_at: datetime


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


def user_out(user: identity_pb2.User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        status=user.status,
        is_admin=user.is_admin,
        created_at=from_timestamp(user.created_at),
    )


def token_pair_out(pair: identity_pb2.TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
        user=user_out(pair.user),
    )


def project_out(project: identity_pb2.Project) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        name=project.name,
        description=project.description,
        vision=project.vision,
        onboarding_mode=project.onboarding_mode,
        created_by=project.created_by,
        created_at=from_timestamp(project.created_at),
        role=project.role,
    )


def event_out(event: audit_pb2.AuditEvent) -> EventOut:
    return EventOut(
        id=event.id,
        sequence=event.sequence,
        event_type=event.event_type,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        action=event.action,
        changes=MessageToDict(event.changes) if event.HasField("changes") else None,
        snapshot=MessageToDict(event.snapshot) if event.HasField("snapshot") else None,
        actor=ActorOut(type=event.actor.type, id=event.actor.id),
        occurred_at=from_timestamp(event.occurred_at),
        recorded_at=from_timestamp(event.recorded_at),
    )
