"""Composition root of the integrations service: ``python -m services.integrations`` or ``aira serve integrations``."""

from __future__ import annotations

from services.chassis.service import ServiceSpec, run
from services.integrations import models

SPEC = ServiceSpec(name="integrations", infra=models.infra)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
