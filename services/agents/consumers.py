"""Events agents consumes from other domains: every domain's events feed the audit log."""

from __future__ import annotations

from services.agents import audit_log
from services.chassis.inbox import Subscription
from services.chassis.settings import SERVICES

AUDIT_SUBSCRIPTIONS = [Subscription(domain=domain, handler=audit_log.record) for domain in SERVICES]
