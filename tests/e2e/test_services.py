"""Every service process answers over gRPC as its own database role, on its own schema."""

from __future__ import annotations

import grpc
import pytest

from aira.common.v1 import service_info_pb2, service_info_pb2_grpc
from services.chassis.migrations import head_revision
from services.chassis.principal import Principal, PrincipalSigner
from services.chassis.settings import SERVICES, Settings


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_describes_itself(system, service: str) -> None:
    settings = Settings(home=system.home, grpc_port_base=int(system.env["AIRA_GRPC_PORT_BASE"]))
    token = PrincipalSigner.from_keys_dir(settings.keys_path).mint(Principal.anonymous())
    async with grpc.aio.insecure_channel(settings.grpc_target(service)) as channel:
        stub = service_info_pb2_grpc.ServiceInfoStub(channel)
        info = await stub.Describe(
            service_info_pb2.DescribeRequest(), metadata=(("x-aira-principal", token),), timeout=5
        )
    assert (info.service, info.schema, info.database_role) == (service, service, f"aira_{service}")
    assert info.schema_revision == head_revision(service)
    assert info.nats_connected
