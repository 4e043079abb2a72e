"""``aira status`` reports every part of a running system."""

from __future__ import annotations

import subprocess
import sys

from services.chassis.settings import SERVICES


def test_status_reports_every_part_healthy(system) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.chassis.cli", "status"],
        env=system.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for part in ("postgres", "nats", *SERVICES, "gateway"):
        assert any(line.startswith("✓") and f" {part} " in f"{line} " for line in lines), (part, result.stdout)


def test_status_fails_when_a_part_is_unreachable(system) -> None:
    env = system.env | {"AIRA_GRPC_TARGETS": '{"ledger": "127.0.0.1:9"}'}
    result = subprocess.run(
        [sys.executable, "-m", "services.chassis.cli", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert any(line.startswith("✗") and "ledger" in line for line in result.stdout.splitlines()), result.stdout
