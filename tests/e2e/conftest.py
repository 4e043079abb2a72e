"""The real system for end-to-end tests: ``aira up`` in a subprocess, driven over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import nats
import orjson
import psutil
import pytest

from tests.harness import create_database, drop_database, free_port, free_port_block, make_settings, unique_name
from tests.oidc_issuer import OidcIssuer
from tests.otlp_collector import OtlpCollector


@dataclass
class System:
    base_url: str
    home: Path
    process: subprocess.Popen
    env: dict[str, str]

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(base_url=self.base_url, timeout=30)


async def delete_streams(nats_url: str) -> None:
    """Start the bus from scratch, so no earlier test's events reach these consumers."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            await js.delete_stream(info.config.name)
    finally:
        await nc.close()


async def wait_ready(base_url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, "aira up exited early"
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise TimeoutError("the system did not become ready")


def stop_and_check_no_orphans(process: subprocess.Popen) -> None:
    """SIGTERM ``aira up`` and prove every process it started is gone."""
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "aira up should supervise child processes"
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"orphans left behind: {[p.pid for p in alive]}"


def start_system(home: Path, env: dict[str, str]) -> subprocess.Popen:
    log = open(home / "aira-up.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "services.chassis.cli", "up"], env=env, stdout=log, stderr=log)


@pytest.fixture(scope="package")
def oidc_issuer() -> Iterator[OidcIssuer]:
    """The identity provider "test" of the system: a local issuer signing ID tokens the tests ask for."""
    with OidcIssuer().serving() as issuer:
        yield issuer


@pytest.fixture(scope="package")
def collector() -> Iterator[OtlpCollector]:
    """The OpenTelemetry collector the system exports its spans to."""
    with OtlpCollector().serving() as running:
        yield running


@pytest.fixture(scope="package")
async def system(
    infra, smtp, oidc_issuer: OidcIssuer, collector: OtlpCollector, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    name = unique_name("aira_e2e")
    database_url = await create_database(infra.server_url, name)
    home = tmp_path_factory.mktemp("e2e-home")
    settings = make_settings(home, database_url, infra.nats_url)
    await delete_streams(infra.nats_url)
    gateway_port = free_port()
    env = os.environ | {
        "AIRA_HOME": str(home),
        "AIRA_DATABASE_URL": database_url,
        "AIRA_NATS_URL": infra.nats_url,
        "AIRA_GRPC_PORT_BASE": str(settings.grpc_port_base),
        "AIRA_GATEWAY_PORT": str(gateway_port),
        "AIRA_METRICS_PORT_BASE": str(free_port_block(8) + 1),  # the gateway, then the seven services
        "AIRA_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans every 0.2 s rather than 5 s
        "AIRA_ENVIRONMENT": "test",
        "AIRA_SMTP_URL": smtp.url,
        "AIRA_OIDC_PROVIDERS": orjson.dumps({"test": oidc_issuer.provider_config()}).decode(),
        "AIRA_API_KEY_CACHE_SECONDS": "1",
        "AIRA_SESSION_CHECK_SECONDS": "1",
        "AIRA_SSE_HEARTBEAT_SECONDS": "1",  # so tests see heartbeats without waiting 15 s
        # Every e2e client comes from 127.0.0.1: per-address limits would be shared by the whole
        # suite, so they are raised; the per-email limits stay as in production (and are tested).
        "AIRA_RATE_LIMITS": (
            '{"signup:ip": 100000, "login:ip": 100000, "magic:ip": 100000, "reset:ip": 100000, "passkey:ip": 100000}'
        ),
    }
    process = start_system(home, env)
    base_url = f"http://127.0.0.1:{gateway_port}"
    try:
        await wait_ready(base_url, process)
        yield System(base_url=base_url, home=home, process=process, env=env)
    finally:
        if process.poll() is None:
            stop_and_check_no_orphans(process)
        await drop_database(infra.server_url, name)
    assert_no_server_errors(home / "logs")


def assert_no_server_errors(log_dir: Path) -> None:
    """Whatever the tests sent, no process logged an unhandled error and no request got a 5xx."""
    problems = []
    for log_file in log_dir.glob("*.log"):
        for line in log_file.read_text(errors="replace").splitlines():
            server_error = '"status":5' in line and '"path":"/readyz"' not in line  # 503 before ready is its job
            if '"level":"error"' in line or '"level":"critical"' in line or server_error:
                problems.append(f"{log_file.name}: {line[:500]}")
    assert not problems, "\n".join(problems)


@pytest.fixture
async def api(system: System) -> AsyncIterator[httpx2.AsyncClient]:
    async with system.client() as client:
        yield client
