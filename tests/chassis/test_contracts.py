"""The generated contract code is exactly what the .proto files produce."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from google.protobuf.descriptor import ServiceDescriptor

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


def test_generated_code_is_fresh() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, "regenerate with scripts/gen_protos.py:\n" + result.stdout + result.stderr


def every_service() -> dict[str, ServiceDescriptor]:
    """The services of every generated module under protos/aira, by full name."""
    modules = [
        importlib.import_module(".".join(path.relative_to(PROTOS).with_suffix("").parts))
        for path in sorted((PROTOS / "aira").rglob("*_pb2.py"))
    ]
    return {service.full_name: service for module in modules for service in module.DESCRIPTOR.services_by_name.values()}


def test_every_rpc_takes_a_unary_request() -> None:
    """The chassis interceptors wrap unary-request methods only (server streaming is fine)."""
    services = every_service()
    assert services, "no contract found under protos/aira"
    assert {
        "aira.identity.v1.Accounts",
        "aira.identity.v1.Projects",
        "aira.identity.v1.ApiKeys",
        "aira.identity.v1.Passkeys",
        "aira.identity.v1.Oidc",
        "aira.identity.v1.McpOAuth",
        "aira.agents.v1.AuditLog",
        "aira.common.v1.ServiceInfo",
    } <= set(services)
    for name, service in services.items():
        for method in service.methods:
            assert not method.client_streaming, f"{name}/{method.name} streams requests"
