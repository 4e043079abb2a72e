"""Composition root of the team service: ``python -m services.team`` or ``aira serve team``."""

from __future__ import annotations

from services.chassis.service import ServiceSpec, run
from services.team import models

SPEC = ServiceSpec(name="team", infra=models.infra)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
