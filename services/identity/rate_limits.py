"""Rate limits on the doors people knock on: sign-up, login, magic links, password reset codes.

Fixed windows counted in ``rate_limit_counters``, shared by every identity replica. Each hit is
committed on its own, so a refused request still counts; the refusal says when to retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.chassis import context
from services.chassis.errors import RateLimited
from services.chassis.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window: timedelta


SIGNUP_PER_IP = Limit("signup:ip", 20, timedelta(hours=1))
SIGNUP_PER_EMAIL = Limit("signup:email", 5, timedelta(hours=1))
LOGIN_PER_EMAIL = Limit("login:email", 10, timedelta(minutes=15))
LOGIN_PER_IP = Limit("login:ip", 100, timedelta(minutes=15))
MAGIC_LINK_PER_EMAIL = Limit("magic:email", 5, timedelta(hours=1))
MAGIC_LINK_PER_IP = Limit("magic:ip", 30, timedelta(hours=1))
RESET_PER_EMAIL = Limit("reset:email", 5, timedelta(hours=1))
RESET_PER_IP = Limit("reset:ip", 30, timedelta(hours=1))
RESET_CONFIRM_PER_EMAIL = Limit("reset-confirm:email", 10, timedelta(hours=1))
VERIFICATION_PER_USER = Limit("verify-resend:user", 5, timedelta(hours=1))

_HIT = text(
    """
    INSERT INTO identity.rate_limit_counters (key, window_start, hits) VALUES (:key, now(), 1)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limit_counters.window_start <= now() - CAST(:window AS interval) THEN 1
                    ELSE rate_limit_counters.hits + 1 END,
        window_start = CASE WHEN rate_limit_counters.window_start <= now() - CAST(:window AS interval) THEN now()
                            ELSE rate_limit_counters.window_start END
    RETURNING hits, window_start
    """
)
_PURGE = text("DELETE FROM identity.rate_limit_counters WHERE window_start < now() - interval '1 day'")


class RateLimiter:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, *, enabled: bool = True, allowances: Mapping[str, int] | None = None
    ) -> None:
        self._uow = uow_factory
        self._enabled = enabled
        self._allowances = dict(allowances or {})

    async def hit(self, limit: Limit, subject: str) -> None:
        """Count one attempt against ``subject``; RateLimited (with ``retry_after``) past the limit."""
        if not self._enabled or not subject:
            return
        async with self._uow() as uow:
            row = (
                await uow.session.execute(_HIT, {"key": f"{limit.name}:{subject.lower()}", "window": limit.window})
            ).one()
            await uow.commit()
        if row.hits > self._allowances.get(limit.name, limit.max_hits):
            reopens = row.window_start + limit.window
            retry_after = max(1, int((reopens - datetime.now(UTC)).total_seconds()) + 1)
            raise RateLimited(
                f"too many attempts; try again in {retry_after} seconds",
                slug="rate-limited",
                retry_after=retry_after,
            )

    async def hit_per_client(self, per_subject: Limit, subject: str, per_ip: Limit) -> None:
        """Count against ``subject`` and against the caller's IP address."""
        await self.hit(per_ip, context.client_ip.get() or "")
        await self.hit(per_subject, subject)

    async def purge(self) -> None:
        """Forget counters whose windows closed long ago."""
        async with self._uow() as uow:
            await uow.session.execute(_PURGE)
            await uow.commit()
