"""Agents' settings on top of the shared ones."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from services.agents.pricing import DEFAULT_TIER_MODELS, TIERS
from services.chassis.settings import Settings


class AgentsSettings(Settings):
    """Settings of the agents service (the AI gateway's provider keys live here and nowhere else)."""

    # The AI gateway. Without a key every project runs offline (its domains' deterministic paths).
    anthropic_api_key: SecretStr | None = Field(default=None, description="AIRA_ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, description="Default: the SDK's (api.anthropic.com).")
    llm_request_timeout_seconds: float = Field(default=60.0, gt=0, description="One HTTP request to the provider.")
    llm_max_attempts: int = Field(default=4, ge=1, le=10, description="Requests per exchange, retries included.")
    llm_retry_budget_seconds: float = Field(
        default=120.0, gt=0, description="The most one exchange may take, requests and retry waits included."
    )
    llm_tier_models: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TIER_MODELS), description='e.g. {"fast": "claude-haiku-5-5", …}'
    )
    llm_default_max_output_tokens: int = Field(default=4096, ge=1, le=64_000)
    llm_reservation_ttl_seconds: float = Field(
        default=600.0, gt=0, description="A reservation older than this belongs to a crashed call and is released."
    )
    llm_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    job_retention_days: int = Field(
        default=30, ge=1, description="Orchestration jobs done or dead longer than this are deleted."
    )

    @field_validator("llm_tier_models", mode="after")
    @classmethod
    def _every_tier(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(TIERS) or not all(value.values()):
            raise ValueError(f"llm_tier_models must name a model for each of {', '.join(TIERS)}")
        return value

    @model_validator(mode="after")
    def _reservations_outlive_calls(self) -> AgentsSettings:
        # A call makes at most two exchanges (the answer and one repair); releasing its reservation
        # while it still runs would let concurrent calls spend the same money twice.
        if self.llm_reservation_ttl_seconds <= 2 * self.llm_retry_budget_seconds:
            raise ValueError("llm_reservation_ttl_seconds must exceed twice llm_retry_budget_seconds")
        return self


def agents_settings(settings: Settings) -> AgentsSettings:
    """``settings`` as AgentsSettings (a process started with the shared settings reads the rest from env)."""
    if isinstance(settings, AgentsSettings):
        return settings
    return AgentsSettings(**settings.model_dump())
