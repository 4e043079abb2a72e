"""Identity's settings on top of the shared ones."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from services.chassis.settings import Settings


class OidcProviderSettings(BaseModel):
    """One OpenID Connect provider (an entry of ``AIRA_OIDC_PROVIDERS``)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key fails at start-up, not at sign-in

    issuer: str  # e.g. https://accounts.google.com; metadata from {issuer}/.well-known/openid-configuration
    client_id: str
    client_secret: SecretStr = SecretStr("")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    # How the client authenticates at the token endpoint; by default what the provider supports, basic first.
    token_auth_method: Literal["client_secret_basic", "client_secret_post"] | None = None
    # Redirect URIs besides {public_base_url}/v1/auth/oidc/{provider}/callback that Start accepts.
    redirect_uris: list[str] = Field(default_factory=list)


class IdentitySettings(Settings):
    access_token_ttl_seconds: int = 30 * 60
    refresh_token_ttl_seconds: int = 7 * 24 * 3600
    # argon2id cost; the defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    rate_limits_enabled: bool = True
    # Replace a limit's allowance by name, e.g. {"signup:ip": 200} for an office behind one address.
    rate_limits: dict[str, int] = Field(default_factory=dict)
    # Passkeys (WebAuthn). Unset, the relying party id is the host of public_base_url ("localhost"
    # when that is an IP address, which browsers refuse as an RP id) and the allowed origins are
    # public_base_url plus, for "localhost", its http://localhost:<port> twin. Set both when the web
    # app is served from another origin, e.g. AIRA_WEBAUTHN_ORIGINS='["https://app.example.com"]'.
    webauthn_rp_id: str | None = None
    webauthn_rp_name: str = "Aira"
    webauthn_origins: list[str] = Field(default_factory=list)
    oidc_providers: dict[str, OidcProviderSettings] = Field(
        default_factory=dict,
        description='OIDC sign-in providers by name, e.g. {"google": {"issuer": "https://accounts.google.com", '
        '"client_id": "…", "client_secret": "…"}}.',
    )
