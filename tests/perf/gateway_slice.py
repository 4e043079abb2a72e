"""Benchmark: an authenticated GET /v1/projects/{id} through gateway → gRPC → identity → PostgreSQL.

Compared in the same run with a single-process FastAPI + asyncpg app answering the same query
against the same database, at 1, 16 and 64 concurrent clients. Prints JSON; the goal is at least
35% of the baseline's throughput at 16 clients.

    python -m tests.perf.gateway_slice [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

from tests.e2e.conftest import start_system, stop_and_check_no_orphans, wait_ready
from tests.harness import free_port, free_port_block
from tests.perf.loadgen import run_load

CONCURRENCY = (1, 16, 64)
GOAL = {"concurrency": 16, "min_ratio": 0.35}


async def _prepare(base_url: str) -> tuple[dict[str, str], str, str]:
    async with httpx2.AsyncClient(base_url=base_url, timeout=30) as api:
        tokens = (
            await api.post(
                "/v1/auth/signup",
                json={"email": "bench@example.com", "password": "a sturdy passphrase 42", "name": "Bench"},
            )
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        project = (await api.post("/v1/projects", json={"name": "Benchmark"}, headers=headers)).json()
        check = await api.get(f"/v1/projects/{project['id']}", headers=headers)
        assert check.status_code == 200, check.text
    return headers, project["id"], tokens["user"]["id"]


async def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            try:
                await client.get(url)
                return
            except httpx2.TransportError:
                await asyncio.sleep(0.2)
    raise TimeoutError(url)


async def main(seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="aira-bench-") as tmp:
        home = Path(tmp)
        pg_port, gateway_port, baseline_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRA_")} | {
            "AIRA_HOME": str(home),
            "AIRA_PG_PORT": str(pg_port),
            "AIRA_NATS_PORT": str(free_port()),
            "AIRA_GATEWAY_PORT": str(gateway_port),
            "AIRA_GRPC_PORT_BASE": str(free_port_block(7)),
            "AIRA_LOG_LEVEL": "WARNING",
        }
        system = start_system(home, env)
        baseline = None
        try:
            base_url = f"http://127.0.0.1:{gateway_port}"
            await wait_ready(base_url, system)
            headers, project_id, user_id = await _prepare(base_url)
            baseline = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
                [
                    sys.executable,
                    "-m",
                    "tests.perf.baseline_app",
                    str(baseline_port),
                    f"postgresql://postgres@127.0.0.1:{pg_port}/aira",
                ],
            )
            baseline_url = f"http://127.0.0.1:{baseline_port}"
            await _wait_http(baseline_url)

            levels = []
            for concurrency in CONCURRENCY:
                measured = await run_load(f"{base_url}/v1/projects/{project_id}", headers, concurrency, seconds)
                floor = await run_load(
                    f"{baseline_url}/v1/projects/{project_id}", {"X-User-Id": user_id}, concurrency, seconds
                )
                system_stats, baseline_stats = measured.summary(), floor.summary()
                levels.append(
                    {
                        "concurrency": concurrency,
                        "aira": system_stats,
                        "baseline": baseline_stats,
                        "throughput_ratio": round(system_stats["rps"] / baseline_stats["rps"], 3),
                    }
                )
        finally:
            if baseline is not None:
                baseline.terminate()
                baseline.wait(10)
            stop_and_check_no_orphans(system)
    at_goal = next(level for level in levels if level["concurrency"] == GOAL["concurrency"])
    return {
        "benchmark": "gateway_slice",
        "route": "GET /v1/projects/{id} (authenticated)",
        "seconds_per_level": seconds,
        "cpu_count": os.cpu_count(),
        "levels": levels,
        "goal": GOAL | {"ratio": at_goal["throughput_ratio"], "met": at_goal["throughput_ratio"] >= GOAL["min_ratio"]},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    result = asyncio.run(main(parser.parse_args().seconds))
    print(json.dumps(result, indent=2))
