"""Composition root of the agents service: ``python -m services.agents`` or ``aira serve agents``."""

from __future__ import annotations

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from services.agents import models
from services.agents.consumers import SUBSCRIPTIONS
from services.agents.grpc_api.audit import AuditLogServicer
from services.agents.settings import AgentsSettings
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, run, servicer


def build(ctx: ServiceContext) -> ServiceParts:
    return ServiceParts(
        servicers=[
            servicer(audit_pb2, audit_pb2_grpc, "AuditLog", AuditLogServicer(ctx.reader)),
        ],
        subscriptions=SUBSCRIPTIONS,
    )


SPEC = ServiceSpec(name="agents", infra=models.infra, build=build, settings_class=AgentsSettings)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
