"""Tables of schema ``identity``: people, their ways in, projects and everything about access to them.

Secrets are never stored: passwords as argon2id, tokens, codes and keys as SHA-256 (or HMAC for
six-digit codes), integration secrets sealed with AES-GCM under a key id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.authz import Role
from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "identity"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)


def _in(column: str, values: list[str] | tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ROLES = tuple(r.value for r in Role)
PLANS = ("trial", "team", "business")
REBALANCE_MODES = ("off", "suggest", "auto_with_approval")
LLM_PROVIDERS = ("auto", "offline", "anthropic")
INTEGRATION_PROVIDERS = ("github", "bitbucket", "jira", "slack", "telegram")
INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")
ISSUE_STATUSES = ("open", "in_progress", "resolved", "closed")
ISSUE_PRIORITIES = ("low", "medium", "high", "critical")


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True)


def _uuid(*, nullable: bool = False, **kwargs: Any) -> Mapped[Any]:
    return mapped_column(UUID(as_uuid=True), nullable=nullable, **kwargs)


def _user_fk(*, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


def _project_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)


def _when(*, nullable: bool = True) -> Mapped[Any]:
    return mapped_column(DateTime(timezone=True), nullable=nullable)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _json(default: str = "'{}'::jsonb") -> Mapped[Any]:
    return mapped_column(JSONB, nullable=False, server_default=text(default))


class Base(DeclarativeBase):
    metadata = metadata


# --- people -------------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(Text, nullable=False, unique=True)  # normalised lower case
    name: Mapped[str] = mapped_column(Text, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2id; None for passwordless accounts
    google_id: Mapped[str | None] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'active'"))
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    email_verified_at: Mapped[datetime | None] = _when()
    last_login_at: Mapped[datetime | None] = _when()
    password_changed_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint("status IN ('active', 'disabled')", name="ck_users_status"),)


class RefreshToken(Base):
    """One refresh token of a session family; rotation links a used token to its successor."""

    __tablename__ = "auth_refresh_tokens"

    jti: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)  # SHA-256 hex
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    expires_at: Mapped[datetime] = _when(nullable=False)
    revoked_at: Mapped[datetime | None] = _when()
    used_at: Mapped[datetime | None] = _when()
    replaced_by: Mapped[uuid.UUID | None] = _uuid(nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class EmailVerification(Base):
    __tablename__ = "auth_email_verifications"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    email: Mapped[str] = mapped_column(Text, nullable=False)
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    expires_at: Mapped[datetime] = _when(nullable=False)
    consumed_at: Mapped[datetime | None] = _when()
    send_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    last_sent_at: Mapped[datetime] = _created()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_auth_email_verifications_user", "user_id", "created_at"),)


class PasswordResetOtp(Base):
    """A six-digit code (stored as HMAC-SHA256) with an attempt counter and a lockout."""

    __tablename__ = "auth_password_reset_otps"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    otp_hash: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("5"))
    expires_at: Mapped[datetime] = _when(nullable=False)
    consumed_at: Mapped[datetime | None] = _when()
    locked_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_auth_password_reset_otps_user", "user_id", "created_at"),)


class MagicLink(Base):
    __tablename__ = "auth_magic_links"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    next_path: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'/'"))
    expires_at: Mapped[datetime] = _when(nullable=False)
    consumed_at: Mapped[datetime | None] = _when()
    requested_ip: Mapped[str | None] = mapped_column(INET)
    created_at: Mapped[datetime] = _created()


class WebauthnCredential(Base):
    __tablename__ = "webauthn_credentials"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # COSE key
    sign_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    friendly_name: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'Passkey'"))
    transports: Mapped[list[str]] = _json("'[]'::jsonb")
    aaguid: Mapped[str | None] = mapped_column(Text)
    backed_up: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    last_used_at: Mapped[datetime | None] = _when()


class WebauthnChallenge(Base):
    """A challenge handed to a browser, valid once and briefly."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = _user_fk(nullable=True)  # None for username-less sign-in
    challenge: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[datetime] = _when(nullable=False)
    consumed_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint("purpose IN ('registration', 'authentication')", name="ck_webauthn_purpose"),)


class OidcIdentity(Base):
    __tablename__ = "auth_oidc_identities"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    issuer: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    last_login_at: Mapped[datetime | None] = _when()

    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_auth_oidc_identities_issuer_subject"),)


class UserAuditEntry(Base):
    """A security-relevant event of one account (or of an unknown email, user_id NULL)."""

    __tablename__ = "user_audit_log"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = _user_fk(nullable=True)
    event_type: Mapped[str] = mapped_column(Text, nullable=False)
    ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = _json()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_user_audit_log_user", "user_id", "id"),)


class ApiKey(Base):
    """A project-bound key; ``key_hash`` is the SHA-256 of the secret shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    key_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_prefix: Mapped[str] = mapped_column(Text, nullable=False)  # shown in lists to recognise a key
    name: Mapped[str] = mapped_column(Text, nullable=False)
    scopes: Mapped[list[str]] = _json("'[]'::jsonb")
    expires_at: Mapped[datetime | None] = _when()
    last_used_at: Mapped[datetime | None] = _when()
    revoked_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (Index("ix_api_keys_user_project", "user_id", "project_id"),)


class SystemConfig(Base):
    """Deployment-wide settings kept in the database (e.g. ``sso.domains``)."""

    __tablename__ = "system_config"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = _json()
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    updated_at: Mapped[datetime] = _created()


# --- projects -----------------------------------------------------------------------------


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    vision: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    onboarding_mode: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'manual'"))
    health_snapshot: Mapped[dict[str, Any]] = _json()
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None] = _when()  # soft delete: invisible everywhere once set

    __table_args__ = (
        CheckConstraint("onboarding_mode IN ('manual', 'guided', 'automatic')", name="ck_projects_onboarding_mode"),
    )


class ProjectMember(Base):
    __tablename__ = "project_members"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"), nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    invited_at: Mapped[datetime | None] = _when()
    accepted_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        UniqueConstraint("project_id", "user_id", name="uq_project_members_project_user"),
        Index("ix_project_members_user", "user_id", "project_id"),
        CheckConstraint(_in("role", ROLES), name="ck_project_members_role"),
    )


class ProjectSettings(Base):
    __tablename__ = "project_settings"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    timezone: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'UTC'"))
    llm_provider: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'auto'"))
    llm_model: Mapped[str | None] = mapped_column(Text)
    heartbeat_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    auto_rebalance_mode: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'suggest'"))
    pr_automation_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    allow_parallel_sprints: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("llm_provider", LLM_PROVIDERS), name="ck_project_settings_llm_provider"),
        CheckConstraint(_in("auto_rebalance_mode", REBALANCE_MODES), name="ck_project_settings_rebalance_mode"),
    )


class ProjectBilling(Base):
    __tablename__ = "project_billing"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    plan: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'trial'"))
    trial_started_at: Mapped[datetime] = _created()
    trial_ends_at: Mapped[datetime] = _when(nullable=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(Text)
    is_trial_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    plan_changed_at: Mapped[datetime | None] = _when()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (CheckConstraint(_in("plan", PLANS), name="ck_project_billing_plan"),)


class ProjectInvitation(Base):
    __tablename__ = "project_invitations"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    email: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    invited_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'pending'"))
    expires_at: Mapped[datetime] = _when(nullable=False)
    responded_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="ck_project_invitations_role"),
        CheckConstraint(_in("status", INVITATION_STATUSES), name="ck_project_invitations_status"),
        Index("ix_project_invitations_project", "project_id", "status"),
    )


class ProjectIntegration(Base):
    """A provider's configuration; secrets sealed with AES-GCM (``secret_key_id`` names the key)."""

    __tablename__ = "project_integrations"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    config: Mapped[dict[str, Any]] = _json()  # non-secret settings, returned as they are
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_key_id: Mapped[str | None] = mapped_column(Text)
    secret_hints: Mapped[dict[str, str]] = _json()  # e.g. {"token": "…a9f3"}
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'active'"))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (
        UniqueConstraint("project_id", "provider", name="uq_project_integrations_project_provider"),
        CheckConstraint(_in("provider", INTEGRATION_PROVIDERS), name="ck_project_integrations_provider"),
    )


class ProjectIssue(Base):
    """An issue a user raises about Aira itself, tracked per project."""

    __tablename__ = "project_issues"

    id: Mapped[uuid.UUID] = _uuid_pk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'open'"))
    priority: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'medium'"))
    reporter_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    resolved_at: Mapped[datetime | None] = _when()

    __table_args__ = (
        CheckConstraint(_in("status", ISSUE_STATUSES), name="ck_project_issues_status"),
        CheckConstraint(_in("priority", ISSUE_PRIORITIES), name="ck_project_issues_priority"),
        Index("ix_project_issues_project", "project_id", "status", "id"),
    )


class UserPreferences(Base):
    __tablename__ = "user_preferences"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _user_fk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    preferences: Mapped[dict[str, Any]] = _json()
    updated_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("user_id", "project_id", name="uq_user_preferences_user_project"),)


# --- MCP OAuth 2.1 authorization server ------------------------------------------------------


class McpOAuthClient(Base):
    """A dynamically registered MCP client (RFC 7591)."""

    __tablename__ = "mcp_oauth_clients"

    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    client_secret_hash: Mapped[str | None] = mapped_column(Text)  # None for public clients
    redirect_uris: Mapped[list[str]] = _json("'[]'::jsonb")
    client_name: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)
    grant_types: Mapped[list[str]] = _json('\'["authorization_code", "refresh_token"]\'::jsonb')
    token_endpoint_auth_method: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'none'"))
    metadata_json: Mapped[dict[str, Any]] = _json()  # the full registration as received
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    client_secret_expires_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()


class McpOAuthAuthorizationCode(Base):
    """A code bound to one client, redirect URI, PKCE challenge, user and project; single use."""

    __tablename__ = "mcp_oauth_authorization_codes"

    id: Mapped[uuid.UUID] = _uuid_pk()
    code_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    client_id: Mapped[str] = mapped_column(
        Text, ForeignKey("mcp_oauth_clients.client_id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = _user_fk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    redirect_uri: Mapped[str] = mapped_column(Text, nullable=False)
    redirect_uri_provided_explicitly: Mapped[bool] = mapped_column(Boolean, nullable=False)
    code_challenge: Mapped[str] = mapped_column(Text, nullable=False)
    scopes: Mapped[list[str]] = _json("'[]'::jsonb")
    resource: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = _when(nullable=False)
    consumed_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()


class McpOAuthRefreshToken(Base):
    """An MCP refresh token; rotation keeps the family, reuse revokes it."""

    __tablename__ = "mcp_oauth_refresh_tokens"

    id: Mapped[uuid.UUID] = _uuid_pk()
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    client_id: Mapped[str] = mapped_column(
        Text, ForeignKey("mcp_oauth_clients.client_id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = _user_fk()
    project_id: Mapped[uuid.UUID] = _project_fk()
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    scopes: Mapped[list[str]] = _json("'[]'::jsonb")
    resource: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = _when(nullable=False)
    used_at: Mapped[datetime | None] = _when()
    revoked_at: Mapped[datetime | None] = _when()
    created_at: Mapped[datetime] = _created()


# --- rate limiting ------------------------------------------------------------------------


class RateLimitCounter(Base):
    """Fixed-window counters shared by every identity replica (login, OTP, magic links, sign-up)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(Text, primary_key=True)  # e.g. "login:ip:203.0.113.7"
    window_start: Mapped[datetime] = _when(nullable=False)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
