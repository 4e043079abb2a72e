"""Composition root of the team service: ``python -m services.team`` or ``aira serve team``."""

from __future__ import annotations

from aira.team.v1 import roster_pb2, roster_pb2_grpc
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, run, servicer
from services.team import models
from services.team.grpc_api.roster import RosterServicer


def build(ctx: ServiceContext) -> ServiceParts:
    """The service's parts."""
    return ServiceParts(
        servicers=[
            servicer(roster_pb2, roster_pb2_grpc, "Roster", RosterServicer(ctx.uow, ctx.reader)),
        ],
    )


SPEC = ServiceSpec(name="team", infra=models.infra, build=build)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
