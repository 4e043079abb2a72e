"""The generated contract code is exactly what the .proto files produce."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pool

import aira.agents.v1.audit_pb2
import aira.common.v1.service_info_pb2
import aira.identity.v1.accounts_pb2
import aira.identity.v1.api_keys_pb2
import aira.identity.v1.projects_pb2  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_fresh() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, "regenerate with scripts/gen_protos.py:\n" + result.stdout + result.stderr


def test_every_rpc_takes_a_unary_request() -> None:
    """The chassis interceptors wrap unary-request methods only (server streaming is fine)."""
    pool = descriptor_pool.Default()
    for name in (
        "aira.identity.v1.Accounts",
        "aira.identity.v1.Projects",
        "aira.identity.v1.ApiKeys",
        "aira.agents.v1.AuditLog",
        "aira.common.v1.ServiceInfo",
    ):
        for method in pool.FindServiceByName(name).methods:
            assert not method.client_streaming, f"{name}/{method.name} streams requests"
