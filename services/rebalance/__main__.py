"""Composition root of the rebalance service: ``python -m services.rebalance`` or ``aira serve rebalance``."""

from __future__ import annotations

from services.chassis.service import ServiceSpec, run
from services.rebalance import models

SPEC = ServiceSpec(name="rebalance", infra=models.infra)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
