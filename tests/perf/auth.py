"""Benchmark: login latency at real argon2id cost, and what authentication adds per request.

1. ``POST /v1/auth/login`` through gateway → identity, sequential and at 4 clients, with
   argon2id at OWASP's minimum (m=19 MiB, t=2, p=1, identity's default): p50/p99.
2. The gateway's authentication overhead: ``GET /v1/auth/session`` (access token checked locally
   against identity's cached keys, no service call) against ``GET /healthz`` (no authentication),
   in the same run: throughput and latency at 16 clients.
3. In-process: one access-token verification with a signature check (first sight of a token)
   against a repeat (the gateway remembers verified tokens until they expire).

    python -m tests.perf.auth [--seconds 5]

Rate limits are switched off for the run (every login is the same account).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx2

from gateway.auth import AccessTokenVerifier
from services.chassis.keys import ensure_keys, load_private_key, load_public_keys, public_jwk
from services.identity.tokens import AccessTokens
from tests.e2e.conftest import start_system, stop_and_check_no_orphans, wait_ready
from tests.harness import free_port, free_port_block
from tests.perf.loadgen import run_load

PASSWORD = "a sturdy passphrase 42"


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


async def _logins(base_url: str, email: str, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    remaining = count

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            latencies.append((time.perf_counter() - started) * 1000)

    async with httpx2.AsyncClient(base_url=base_url, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "logins_per_second": round(count / elapsed, 1), **_percentiles(latencies)}


async def _verification_cost(home: Path) -> dict:
    """Microseconds per verification: a fresh token (signature checked) and a repeat (remembered)."""
    keys_dir = home / "bench-keys"
    ensure_keys(keys_dir)
    tokens = AccessTokens(load_private_key(keys_dir, "jwt-signing"), load_public_keys(keys_dir, "jwt-signing"), 1800)
    jwks = json.dumps({"keys": [public_jwk(k) for k in load_public_keys(keys_dir, "jwt-signing")]})

    async def fetch() -> str:
        return jwks

    verifier = AccessTokenVerifier(fetch)
    import uuid

    fresh = [tokens.issue(uuid.uuid4(), f"u{i}@example.com") for i in range(2000)]
    await verifier.verify(fresh[0])
    started = time.perf_counter()
    for token in fresh[1:]:
        await verifier.verify(token)
    first_sight = (time.perf_counter() - started) / (len(fresh) - 1) * 1e6
    started = time.perf_counter()
    for token in fresh[1:]:
        await verifier.verify(token)
    repeat = (time.perf_counter() - started) / (len(fresh) - 1) * 1e6
    return {"first_sight_us": round(first_sight, 1), "repeat_us": round(repeat, 2)}


async def main(seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="aira-bench-auth-") as tmp:
        home = Path(tmp)
        gateway_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRA_")} | {
            "AIRA_HOME": str(home),
            "AIRA_PG_PORT": str(free_port()),
            "AIRA_NATS_PORT": str(free_port()),
            "AIRA_GATEWAY_PORT": str(gateway_port),
            "AIRA_GRPC_PORT_BASE": str(free_port_block(7)),
            "AIRA_LOG_LEVEL": "WARNING",
            "AIRA_RATE_LIMITS_ENABLED": "false",
        }
        system = start_system(home, env)
        try:
            base_url = f"http://127.0.0.1:{gateway_port}"
            await wait_ready(base_url, system)
            async with httpx2.AsyncClient(base_url=base_url, timeout=30) as api:
                tokens = (
                    await api.post(
                        "/v1/auth/signup", json={"email": "bench@example.com", "password": PASSWORD, "name": "Bench"}
                    )
                ).json()
            login = [
                await _logins(base_url, "bench@example.com", 40, 1),
                await _logins(base_url, "bench@example.com", 80, 4),
            ]
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            unauthenticated = (await run_load(f"{base_url}/healthz", {}, 16, seconds)).summary()
            authenticated = (await run_load(f"{base_url}/v1/auth/session", headers, 16, seconds)).summary()
        finally:
            stop_and_check_no_orphans(system)
        verification = await _verification_cost(home)
    return {
        "benchmark": "auth",
        "argon2id": {"memory_kib": 19 * 1024, "time_cost": 2, "parallelism": 1},
        "login": login,
        "gateway_overhead_at_16_clients": {
            "unauthenticated_GET_healthz": unauthenticated,
            "authenticated_GET_v1_auth_session": authenticated,
            "throughput_ratio": round(authenticated["rps"] / unauthenticated["rps"], 3),
            # The gateway is CPU-bound here, so the time one request adds is the difference of the
            # inverse throughputs (dependency resolution, the cached token check, the reply model).
            "added_cpu_ms_per_request": round(1000 / authenticated["rps"] - 1000 / unauthenticated["rps"], 3),
        },
        "access_token_verification": verification,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    print(json.dumps(asyncio.run(main(parser.parse_args().seconds)), indent=2))
