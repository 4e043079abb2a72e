"""Composition root of the ledger service: ``python -m services.ledger`` or ``aira serve ledger``."""

from __future__ import annotations

from services.chassis.service import ServiceSpec, run
from services.ledger import models

SPEC = ServiceSpec(name="ledger", infra=models.infra)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
