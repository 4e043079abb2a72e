"""Composition root of the identity service: ``python -m services.identity`` or ``aira serve identity``."""

from __future__ import annotations

from datetime import timedelta

from aira.identity.v1 import identity_pb2, identity_pb2_grpc
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, run
from services.identity import models
from services.identity.accounts import Accounts
from services.identity.grpc_api import IdentityServicer
from services.identity.passwords import Passwords
from services.identity.settings import IdentitySettings
from services.identity.tokens import AccessTokens


def build(ctx: ServiceContext) -> ServiceParts:
    settings = ctx.settings
    assert isinstance(settings, IdentitySettings)
    access_tokens = AccessTokens.from_keys_dir(settings.keys_path, settings.access_token_ttl_seconds)
    passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)
    accounts = Accounts(passwords, access_tokens, timedelta(seconds=settings.refresh_token_ttl_seconds))
    servicer = IdentityServicer(ctx.uow, ctx.reader, accounts, access_tokens)
    return ServiceParts(
        servicers=[
            (
                identity_pb2_grpc.add_IdentityServicer_to_server,
                servicer,
                identity_pb2.DESCRIPTOR.services_by_name["Identity"].full_name,
            )
        ]
    )


SPEC = ServiceSpec(name="identity", infra=models.infra, build=build, settings_class=IdentitySettings)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
