"""Settings shared by every Aira process, read from the environment with the ``AIRA_`` prefix.

Per-service settings subclass :class:`Settings`. Nothing here is read at import time: the
composition root builds settings once at start-up and passes them down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = (
    "identity",
    "planning",
    "ledger",
    "team",
    "rebalance",
    "agents",
    "integrations",
)


class Settings(BaseSettings):
    """Configuration every process understands."""

    model_config = SettingsConfigDict(env_prefix="AIRA_", extra="ignore")

    home: Path = Field(default=Path("~/.aira"), description="Data, keys and logs of a local install.")
    environment: Literal["development", "test", "production"] = "development"

    # Infrastructure. Without URLs `aira up` starts embedded PostgreSQL and NATS under `home`.
    database_url: str | None = Field(
        default=None,
        description="Administrative PostgreSQL URL (plain postgresql://, socket form allowed).",
    )
    service_database_url: str | None = Field(
        default=None,
        description="URL this process connects with; derived from database_url and the service's role when unset.",
    )
    nats_url: str | None = None
    pg_port: int = 54329
    nats_port: int = 42229
    db_role_prefix: str = "aira_"
    db_pool_size: int = 10

    # Network.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8400
    grpc_host: str = "127.0.0.1"
    grpc_port_base: int = 50710
    grpc_targets: dict[str, str] = Field(
        default_factory=dict, description='Overrides, e.g. {"identity": "identity:50051"}.'
    )
    grpc_listen: str | None = Field(default=None, description="Listen address of this process's gRPC server.")
    grpc_deadline_seconds: float = 5.0
    # OpenTelemetry traces (services/chassis/tracing.py): exported over OTLP/HTTP when set.
    otlp_endpoint: str | None = Field(default=None, description="An OTLP/HTTP collector, e.g. http://otel:4318.")
    # Prometheus metrics (services/chassis/metrics.py): off unless one of the two ports is set.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, description="This process's metrics port (one process a pod).")
    metrics_port_base: int | None = Field(
        default=None, description="Metrics ports of a whole machine: this for the gateway, +1… for the services."
    )
    # Files people upload (planning's sources). The gateway answers 413 above this and planning
    # checks again; gRPC messages are sized to carry one upload (see grpc_max_message_bytes).
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    keys_dir: Path | None = Field(default=None, description="Signing keys and the secret key; default <home>/keys.")

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    # Secrets at rest and outgoing mail.
    encryption_key_id: str = Field(default="k1", description="Key id that seals new secrets (rotate by bumping).")
    smtp_url: str | None = Field(
        default=None, description="smtp:// or smtps:// URL; without it mail goes to <home>/mailbox."
    )
    mail_from: str = "Aira <no-reply@aira.local>"
    public_url: str | None = Field(
        default=None, description="Base URL people open (links in emails); default the gateway URL."
    )

    # Bus.
    stream_replicas: int = 1
    stream_max_age_days: int = 30

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def mailbox_path(self) -> Path:
        """Folder of the development mailbox."""
        return self.home / "mailbox"

    @property
    def keys_path(self) -> Path:
        """Folder holding the signing keys and the secret key."""
        return (self.keys_dir or self.home / "keys").expanduser().resolve()

    def grpc_target(self, service: str) -> str:
        """Address other processes use to reach ``service`` over gRPC."""
        if service in self.grpc_targets:
            return self.grpc_targets[service]
        return f"{self.grpc_host}:{self.grpc_port_base + 1 + SERVICES.index(service)}"

    def metrics_port_of(self, process: str) -> int | None:
        """The port ``process`` (the gateway or a service) serves its metrics on; None when off."""
        if self.metrics_port:
            return self.metrics_port
        if not self.metrics_port_base:
            return None
        return self.metrics_port_base + (0 if process == "gateway" else 1 + SERVICES.index(process))

    def grpc_listen_address(self, service: str) -> str:
        """Address ``service`` binds its gRPC server to."""
        if self.grpc_listen:
            return self.grpc_listen
        port = self.grpc_port_base + 1 + SERVICES.index(service)
        return f"{self.grpc_host}:{port}"

    @property
    def grpc_max_message_bytes(self) -> int:
        """Largest gRPC message a server accepts or a channel receives: one upload plus room for the
        rest of the message (gRPC's own default, 4 MiB, would refuse uploads above it)."""
        return max(4 * 1024 * 1024, self.max_upload_bytes + 1024 * 1024)

    @property
    def public_base_url(self) -> str:
        """Where people reach Aira: ``public_url`` when set, else the gateway's own URL."""
        return (self.public_url or self.gateway_url).rstrip("/")

    @property
    def gateway_url(self) -> str:
        """Base URL of the HTTP gateway."""
        host = "127.0.0.1" if self.gateway_host in ("0.0.0.0", "::") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"
