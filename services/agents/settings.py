"""Agents' settings on top of the shared ones."""

from __future__ import annotations

from services.chassis.settings import Settings


class AgentsSettings(Settings):
    """Settings of the agents service (the AI gateway's provider keys live here and nowhere else)."""
