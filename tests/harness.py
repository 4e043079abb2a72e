"""Test infrastructure: real PostgreSQL and NATS, real services over real sockets.

One PostgreSQL and one NATS serve the whole session: embedded ones from the wheels by default,
the servers named by ``AIRA_TEST_DATABASE_URL`` / ``AIRA_TEST_NATS_URL`` when set, or containers
when ``AIRA_TEST_CONTAINERS=1`` and a Docker engine answers. Each session works in a database
of its own, built by the real migrations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
from sqlalchemy.engine import make_url

from services.chassis import context
from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from services.chassis.keys import ensure_keys
from services.chassis.principal import Principal, PrincipalSigner
from services.chassis.runtime.embedded_nats import EmbeddedNats
from services.chassis.runtime.embedded_postgres import EmbeddedPostgres
from services.chassis.service import ServiceSpec, serve
from services.chassis.settings import SERVICES, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ephemeral_low() -> int:
    """Where the kernel's range of ports for outgoing connections starts (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


_handed_out: set[int] = set()  # ports of blocks this test process gave out already


def free_port_block(size: int) -> int:
    """A base port such that base+1 … base+size are all free, and stay so until bound later.

    Blocks are bound minutes after they are chosen (services start when their tests first need
    them), so they lie below the kernel's range for outgoing connections, whose local ports would
    otherwise take them meanwhile, and never overlap a block given out before.
    """
    high = max(10_001, _ephemeral_low() - size - 1)
    for _ in range(200):
        base = random.randrange(10_000, high)
        block = range(base + 1, base + size + 1)
        if not _handed_out.intersection(block) and all(port_free(port) for port in block):
            _handed_out.update(block)
            return base
    raise RuntimeError("no free block of ports")


@dataclass
class Infra:
    server_url: str  # administrative URL of the server (any database)
    nats_url: str
    postgres: EmbeddedPostgres | None = None


def _docker_available() -> bool:
    return (
        shutil.which("docker") is not None and subprocess.run(["docker", "info"], capture_output=True).returncode == 0
    )


@contextlib.contextmanager
def infrastructure(workdir: Path, *, durable: bool = False) -> Iterator[Infra]:
    """The session's PostgreSQL and NATS (an embedded PostgreSQL skips fsync unless ``durable``)."""
    with contextlib.ExitStack() as stack:
        database_url = os.environ.get("AIRA_TEST_DATABASE_URL")
        nats_url = os.environ.get("AIRA_TEST_NATS_URL")
        postgres = None
        use_containers = os.environ.get("AIRA_TEST_CONTAINERS") == "1" and _docker_available()
        if not database_url and use_containers:
            from testcontainers.postgres import PostgresContainer

            container = stack.enter_context(PostgresContainer("postgres:17", driver=None))
            database_url = container.get_connection_url()
        if not nats_url and use_containers:
            from testcontainers.core.container import DockerContainer
            from testcontainers.core.waiting_utils import wait_for_logs

            container = stack.enter_context(DockerContainer("nats:2.11").with_command("-js").with_exposed_ports(4222))
            wait_for_logs(container, "Server is ready")
            nats_url = f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"
        if not database_url:
            socket_dir = Path(tempfile.mkdtemp(prefix="aira-pg-", dir="/tmp"))
            postgres = EmbeddedPostgres(
                data_dir=workdir / "postgres", port=free_port(), socket_dir=socket_dir, fast_unsafe=not durable
            )
            process = postgres.popen(workdir / "postgres.log")
            stack.callback(_stop, process)
            stack.callback(shutil.rmtree, socket_dir, True)
            asyncio.run(postgres.wait_ready())
            database_url = postgres.url()
        if not nats_url:
            nats_server = EmbeddedNats(store_dir=workdir / "nats", port=free_port())
            process = nats_server.popen(workdir / "nats.log")
            stack.callback(_stop, process)
            asyncio.run(nats_server.wait_ready())
            nats_url = nats_server.url
        yield Infra(server_url=database_url, nats_url=nats_url, postgres=postgres)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server and return its URL."""
    url = make_url(server_url)
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(url)))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(make_url(server_url))))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_settings(home: Path, database_url: str, nats_url: str, **overrides) -> Settings:
    """Settings of a test deployment rooted at ``home``."""
    ensure_keys(home / "keys")
    values = {
        "home": home,
        "environment": "test",
        "database_url": database_url,
        "nats_url": nats_url,
        "grpc_port_base": free_port_block(len(SERVICES)),
        "db_pool_size": 4,
        "log_format": "text",
        **overrides,
    }
    return Settings(**values)


class PrincipalFactory:
    """Signs principal tokens as the gateway would, for calling services directly."""

    def __init__(self, settings: Settings) -> None:
        self._signer = PrincipalSigner.from_keys_dir(settings.keys_path)

    def metadata(self, principal: Principal | None = None) -> tuple[tuple[str, str], ...]:
        return (("x-aira-principal", self._signer.mint(principal or Principal.anonymous())),)

    def user(self, user_id: str, project_id: str | None = None, role: str | None = None):
        return self.metadata(Principal(subject=user_id, kind="user", project_id=project_id, role=role))


@contextlib.asynccontextmanager
async def running_service(spec: ServiceSpec, settings: Settings) -> AsyncIterator[grpc.aio.Channel]:
    """Serve ``spec`` in this process on a real port; yield a channel to it."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(spec, settings, stop))
    channel = grpc.aio.insecure_channel(settings.grpc_target(spec.name))
    try:
        await asyncio.wait_for(channel.channel_ready(), 20)
        yield channel
    finally:
        stop.set()
        await channel.close()
        await task


def reset_context() -> None:
    for var in (context.principal, context.principal_token, context.request_id, context.trace_id):
        var.set(None)


@contextlib.asynccontextmanager
async def private_nats(workdir: Path) -> AsyncIterator[NatsHandle]:
    """A NATS server of the test's own, which the test may stop and start again."""
    handle = NatsHandle(EmbeddedNats(store_dir=workdir / "nats", port=free_port()), workdir / "nats.log")
    await handle.start()
    try:
        yield handle
    finally:
        handle.stop()


class NatsHandle:
    def __init__(self, server: EmbeddedNats, log_file: Path) -> None:
        self.server = server
        self._log = log_file
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        self._process = self.server.popen(self._log)
        await self.server.wait_ready()

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None
