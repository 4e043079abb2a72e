"""Gateway settings on top of the shared ones."""

from __future__ import annotations

from pydantic import Field

from services.chassis.settings import Settings


class GatewaySettings(Settings):
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API from a browser.")
    max_body_bytes: int = 1024 * 1024
    jwks_refresh_seconds: float = 300.0
    # How long the gateway trusts a project role it looked up (role changes apply within this).
    access_cache_seconds: float = 5.0
    # How long the gateway trusts an API key it resolved (revocation applies within this).
    api_key_cache_seconds: float = 30.0
    # How long the gateway trusts that an access token's session is open (logout, a password change
    # or a theft response recall its access tokens within this, not only when they expire).
    session_check_seconds: float = Field(default=15.0, ge=0)
    # Server-Sent Events: a comment this often keeps proxies from closing an idle stream; a stream
    # ends after sse_max_seconds (clients reconnect with Last-Event-ID), so a removed member's
    # stream stops within that.
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    sse_max_seconds: float = Field(default=600.0, gt=0)
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="Proxies whose X-Forwarded-* headers are trusted (e.g. '10.0.0.0/8'); none by default.",
    )
