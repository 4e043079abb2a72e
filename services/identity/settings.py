"""Identity's settings on top of the shared ones."""

from __future__ import annotations

from services.chassis.settings import Settings


class IdentitySettings(Settings):
    access_token_ttl_seconds: int = 30 * 60
    refresh_token_ttl_seconds: int = 7 * 24 * 3600
    # argon2id cost; the defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    rate_limits_enabled: bool = True
