"""Tables of schema ``team``. Domain tables arrive with the domain's issue; the infrastructure is here now."""

from __future__ import annotations

from sqlalchemy import MetaData

from services.chassis.infra_tables import add_infrastructure_tables

SCHEMA = "team"
metadata = MetaData(schema=SCHEMA)
infra = add_infrastructure_tables(metadata)
