"""``aira up`` on its own: embedded PostgreSQL and NATS, supervision, clean stop."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import httpx2
import psutil

from tests.e2e.conftest import start_system, stop_and_check_no_orphans, wait_ready
from tests.harness import free_port, free_port_block


async def test_embedded_system_starts_restarts_a_dead_service_and_stops_cleanly(tmp_path) -> None:
    home = tmp_path / "aira"
    home.mkdir()
    gateway_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRA_")} | {
        "AIRA_HOME": str(home),
        "AIRA_PG_PORT": str(free_port()),
        "AIRA_NATS_PORT": str(free_port()),
        "AIRA_GATEWAY_PORT": str(gateway_port),
        "AIRA_GRPC_PORT_BASE": str(free_port_block(7)),
    }
    process = start_system(home, env)
    try:
        base_url = f"http://127.0.0.1:{gateway_port}"
        await wait_ready(base_url, process)
        assert (home / "postgres" / "PG_VERSION").exists() and (home / "nats" / "jetstream").exists()

        children = psutil.Process(process.pid).children(recursive=True)
        [planning] = [p for p in children if "serve" in p.cmdline() and "planning" in p.cmdline()]
        planning.kill()
        planning.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [
                p
                for p in psutil.Process(process.pid).children()
                if p.is_running() and "planning" in p.cmdline() and p.pid != planning.pid
            ]
            if alive:
                break
            await asyncio.sleep(0.2)
        assert alive, "the supervisor did not restart planning"
        await wait_ready(base_url, process)

        async with httpx2.AsyncClient(base_url=base_url) as api:
            response = await api.post(
                "/v1/auth/signup",
                json={"email": "embedded@example.com", "password": "a sturdy passphrase 42", "name": "E"},
            )
        assert response.status_code == 201
    finally:
        if process.poll() is None:
            stop_and_check_no_orphans(process)
    assert process.returncode == 0


async def test_a_second_aira_up_refuses_busy_ports(tmp_path) -> None:
    gateway_port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", gateway_port))
        squatter.listen()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRA_")} | {
            "AIRA_HOME": str(tmp_path),
            "AIRA_GATEWAY_PORT": str(gateway_port),
            "AIRA_GRPC_PORT_BASE": str(free_port_block(7)),
        }
        process = start_system(tmp_path, env)
        assert process.wait(60) == 1
    assert f"gateway port {gateway_port}" in (tmp_path / "aira-up.log").read_text()
