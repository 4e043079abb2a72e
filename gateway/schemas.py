"""Request and response bodies of the REST API, and their translation from contracts.

Request models are strict and forbid unknown fields, so a typo is an error, not a silent no-op.
Responses are built from the service's protobuf reply (:func:`from_proto`) and shaped by the
response models, which also document the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, EmailStr, Field

Role = Literal["owner", "admin", "product_manager", "member", "stakeholder", "viewer"]
Plan = Literal["trial", "team", "business"]
Provider = Literal["github", "bitbucket", "jira", "slack", "telegram"]
IssueStatus = Literal["open", "in_progress", "resolved", "closed"]
IssuePriority = Literal["low", "medium", "high", "critical"]
Scope = Literal["read", "write", "sources:write", "admin"]


def from_proto(message: Message) -> dict[str, Any]:
    """A reply as JSON-ready fields, named as in the contract, with empty values kept."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- requests ------------------------------------------------------------------------------


class SignUpIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(min_length=1, max_length=200)


class LoginIn(StrictBody):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(StrictBody):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutIn(StrictBody):
    refresh_token: str = Field(min_length=1, max_length=512)
    everywhere: bool = False


class TokenIn(StrictBody):
    token: str = Field(min_length=1, max_length=512)


class MagicLinkIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    next_path: str = Field(default="/", max_length=2048)


class PasswordResetIn(StrictBody):
    email: EmailStr = Field(max_length=320)


class PasswordResetConfirmIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    code: str = Field(min_length=1, max_length=16)
    new_password: str = Field(min_length=1, max_length=1024)


class ChangePasswordIn(StrictBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class UpdateMeIn(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)


class PreferencesIn(StrictBody):
    preferences: dict[str, Any]


class ProjectIn(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    vision: str = Field(default="", max_length=10_000)


class ProjectPatch(StrictBody):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    vision: str | None = Field(default=None, max_length=10_000)
    onboarding_mode: Literal["manual", "guided", "automatic"] | None = None


class RoleIn(StrictBody):
    role: Role


class OwnershipIn(StrictBody):
    user_id: str = Field(min_length=1, max_length=64)


class InvitationIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    role: Role = "member"


class SettingsPatch(StrictBody):
    timezone: str | None = Field(default=None, max_length=64)
    llm_provider: Literal["auto", "offline", "anthropic"] | None = None
    llm_model: str | None = Field(default=None, max_length=100)
    heartbeat_enabled: bool | None = None
    auto_rebalance_mode: Literal["off", "suggest", "auto_with_approval"] | None = None
    pr_automation_enabled: bool | None = None
    allow_parallel_sprints: bool | None = None


class BillingIn(StrictBody):
    plan: Plan


class IntegrationIn(StrictBody):
    config: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] | None = Field(
        default=None, description="Replaces every stored secret; leave out to keep the stored ones."
    )


class IssueIn(StrictBody):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    priority: IssuePriority = "medium"


class IssuePatch(StrictBody):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    status: IssueStatus | None = None
    priority: IssuePriority | None = None


class ApiKeyIn(StrictBody):
    project_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1, max_length=4)
    expires_in_days: int = Field(default=90, ge=1, le=365)


# --- responses -----------------------------------------------------------------------------


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    status: str
    is_admin: bool
    email_verified: bool
    has_password: bool
    created_at: datetime


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: UserOut
    next_path: str | None = Field(default=None, description="Where to go next (magic links, OIDC)")


class OidcStartOut(BaseModel):
    authorization_url: str = Field(description="Send the browser here")
    state: str = Field(description="Compare it with the state the provider sends back to your page")
    expires_in: int = Field(description="Seconds the sign-in may take")


class SsoProviderOut(BaseModel):
    provider: str = Field(description="Sign in at /v1/auth/oidc/{provider}/start")


class SessionOut(BaseModel):
    user_id: str
    email: str | None = None
    kind: str = Field(description="user (access token) or api_key")
    project_id: str | None = Field(default=None, description="The project an API key is bound to")
    role: str | None = None
    scopes: list[str] = Field(default_factory=list)


class AuditEntryOut(BaseModel):
    id: str
    event_type: str
    ip: str
    user_agent: str
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


class PreferencesOut(BaseModel):
    project_id: str
    preferences: dict[str, Any] = Field(default_factory=dict)
    updated_at: datetime | None = None


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    vision: str
    onboarding_mode: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    role: str


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class MemberOut(BaseModel):
    user_id: str
    name: str
    email: str
    role: str
    joined_at: datetime


class MemberList(BaseModel):
    items: list[MemberOut]


class InvitationOut(BaseModel):
    id: str
    project_id: str
    project_name: str
    email: str
    role: str
    status: str
    invited_by: str
    invited_by_name: str
    expires_at: datetime
    created_at: datetime


class InvitationList(BaseModel):
    items: list[InvitationOut]


class SettingsOut(BaseModel):
    project_id: str
    timezone: str
    llm_provider: str
    llm_model: str
    heartbeat_enabled: bool
    auto_rebalance_mode: str
    pr_automation_enabled: bool
    allow_parallel_sprints: bool
    updated_at: datetime


class BillingOut(BaseModel):
    project_id: str
    plan: str
    trial_started_at: datetime
    trial_ends_at: datetime
    is_trial_active: bool
    trial_days_left: int
    plan_changed_at: datetime | None = None


class IntegrationOut(BaseModel):
    provider: str
    config: dict[str, Any] = Field(default_factory=dict)
    secret_hints: dict[str, str] = Field(default_factory=dict, description="Last characters of each secret")
    status: str
    updated_at: datetime


class IntegrationList(BaseModel):
    items: list[IntegrationOut]


class IssueOut(BaseModel):
    id: str
    project_id: str
    title: str
    description: str
    status: str
    priority: str
    reporter_id: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None


class IssuePage(BaseModel):
    items: list[IssueOut]
    next_cursor: str | None


class ApiKeyOut(BaseModel):
    id: str
    project_id: str
    name: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class CreatedApiKeyOut(BaseModel):
    key: ApiKeyOut
    secret: str = Field(description="The key itself. Shown once: store it now.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


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
    changes: dict[str, Any] | None = None
    snapshot: dict[str, Any] | None = None
    actor: ActorOut
    occurred_at: datetime
    recorded_at: datetime


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class ActivityOut(BaseModel):
    id: str
    sequence: int
    actor: ActorOut
    actor_name: str
    verb: str
    entity_type: str
    entity_id: str
    summary: str = Field(description="One readable sentence, e.g. “Ada invited bob@example.com to join as a viewer”")
    occurred_at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    id: str
    project_id: str = Field(description="Empty when the error concerns no project")
    service: str
    kind: str
    message: str
    reference: str
    details: dict[str, Any] = Field(default_factory=dict)
    trace_id: str
    occurred_at: datetime


class ErrorPage(BaseModel):
    items: list[ErrorOut]
    next_cursor: str | None


def page_of(reply: Message) -> dict[str, Any]:
    """``{items, next_cursor}`` from a list reply with a ``page`` field."""
    body = from_proto(reply)
    return {"items": body.get("items", []), "next_cursor": body.get("page", {}).get("next_cursor") or None}
