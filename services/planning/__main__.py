"""Composition root of the planning service: ``python -m services.planning`` or ``aira serve planning``."""

from __future__ import annotations

from services.chassis.service import ServiceSpec, run
from services.planning import models

SPEC = ServiceSpec(name="planning", infra=models.infra)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
