"""Planning's settings on top of the shared ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from services.chassis.settings import Settings


class PlanningSettings(Settings):
    """Settings of the planning service."""

    # Repository analysis of local paths lets whoever may start an analysis make the server read
    # a folder of its disk: a development convenience. Unset, it is allowed everywhere but in
    # production; AIRA_REPOSITORY_LOCAL_ROOT confines it to one folder (symlinks resolved).
    repository_local_paths: bool | None = Field(
        default=None, description="AIRA_REPOSITORY_LOCAL_PATHS; default: true unless environment is production"
    )
    repository_local_root: Path | None = Field(
        default=None, description="AIRA_REPOSITORY_LOCAL_ROOT: local repositories must lie inside this folder"
    )

    @field_validator("repository_local_root", mode="after")
    @classmethod
    def _absolute_root(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @property
    def local_repositories_allowed(self) -> bool:
        """Whether repository analyses may read local paths."""
        if self.repository_local_paths is not None:
            return self.repository_local_paths
        return self.environment != "production"


def planning_settings(settings: Settings) -> PlanningSettings:
    """``settings`` as PlanningSettings (a process started with the shared settings reads the rest from env)."""
    if isinstance(settings, PlanningSettings):
        return settings
    return PlanningSettings(**settings.model_dump())
