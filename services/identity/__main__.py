"""Composition root of the identity service: ``python -m services.identity`` or ``aira serve identity``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aira.identity.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    api_keys_pb2,
    api_keys_pb2_grpc,
    mcp_oauth_pb2,
    mcp_oauth_pb2_grpc,
    oidc_pb2,
    oidc_pb2_grpc,
    passkeys_pb2,
    passkeys_pb2_grpc,
    projects_pb2,
    projects_pb2_grpc,
)
from services.chassis.mail import create_mailer
from services.chassis.secretbox import SecretBox
from services.chassis.service import ServiceContext, ServiceParts, ServiceSpec, run, servicer
from services.identity import mcp_oauth_repository, models, passkeys_repository, repository
from services.identity.accounts import Accounts
from services.identity.api_keys import ApiKeys
from services.identity.emails import SEND_EMAIL, Emails
from services.identity.grpc_api.accounts import AccountsServicer
from services.identity.grpc_api.api_keys import ApiKeysServicer
from services.identity.grpc_api.mcp_oauth import McpOAuthServicer
from services.identity.grpc_api.oidc import OidcServicer
from services.identity.grpc_api.passkeys import PasskeysServicer
from services.identity.grpc_api.projects import ProjectsServicer
from services.identity.integrations import Integrations
from services.identity.members import Invitations
from services.identity.oidc import Oidc, OidcProviders
from services.identity.passkeys import Passkeys, RelyingParty
from services.identity.passwords import Passwords
from services.identity.rate_limits import RateLimiter
from services.identity.security_log import SecurityLog
from services.identity.sessions import Sessions
from services.identity.settings import IdentitySettings
from services.identity.tokens import AccessTokens

PURGE_INTERVAL_SECONDS = 3600


def build(ctx: ServiceContext) -> ServiceParts:
    settings = ctx.settings
    assert isinstance(settings, IdentitySettings)
    access_tokens = AccessTokens.from_keys_dir(settings.keys_path, settings.access_token_ttl_seconds)
    passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)
    security_log = SecurityLog(ctx.uow)
    limiter = RateLimiter(ctx.uow, enabled=settings.rate_limits_enabled, allowances=settings.rate_limits)
    emails = Emails(
        SecretBox(ctx.secret, "outgoing-mail", settings.encryption_key_id),
        create_mailer(settings.smtp_url, settings.mail_from, settings.mailbox_path),
        settings.public_base_url,
    )
    sessions = Sessions(ctx.uow, access_tokens, timedelta(seconds=settings.refresh_token_ttl_seconds), security_log)
    accounts = Accounts(
        uow_factory=ctx.uow,
        passwords=passwords,
        sessions=sessions,
        emails=emails,
        security_log=security_log,
        limiter=limiter,
        secret=ctx.secret,
    )
    oidc = Oidc(
        providers=OidcProviders(settings.oidc_providers, allow_http=settings.environment != "production"),
        sessions=sessions,
        security_log=security_log,
        state_box=SecretBox(ctx.secret, "oidc-state", settings.encryption_key_id),
        public_base_url=settings.public_base_url,
    )

    async def purge_expired(stop: asyncio.Event) -> None:
        """Hourly: forget spent one-time credentials, dead MCP codes and tokens, closed rate-limit windows."""
        while not stop.is_set():
            async with ctx.uow() as uow:
                await repository.purge_expired_credentials(uow)
                await passkeys_repository.purge_expired_challenges(uow)
                await mcp_oauth_repository.purge_dead_credentials(uow)
                await uow.commit()
            await limiter.purge()
            try:
                await asyncio.wait_for(stop.wait(), timeout=PURGE_INTERVAL_SECONDS)
            except TimeoutError:
                pass

    return ServiceParts(
        servicers=[
            servicer(
                accounts_pb2,
                accounts_pb2_grpc,
                "Accounts",
                AccountsServicer(ctx.uow, ctx.reader, accounts, access_tokens, security_log),
            ),
            servicer(
                projects_pb2,
                projects_pb2_grpc,
                "Projects",
                ProjectsServicer(
                    ctx.uow,
                    ctx.reader,
                    Invitations(emails, security_log),
                    Integrations(SecretBox(ctx.secret, "integration-secrets", settings.encryption_key_id)),
                ),
            ),
            servicer(
                api_keys_pb2,
                api_keys_pb2_grpc,
                "ApiKeys",
                ApiKeysServicer(ctx.uow, ctx.reader, ApiKeys(security_log)),
            ),
            servicer(
                mcp_oauth_pb2,
                mcp_oauth_pb2_grpc,
                "McpOAuth",
                McpOAuthServicer.build(ctx, security_log, limiter),
            ),
            servicer(oidc_pb2, oidc_pb2_grpc, "Oidc", OidcServicer(ctx.uow, ctx.reader, oidc)),
            servicer(
                passkeys_pb2,
                passkeys_pb2_grpc,
                "Passkeys",
                PasskeysServicer(
                    ctx.uow,
                    ctx.reader,
                    Passkeys(
                        uow_factory=ctx.uow,
                        sessions=sessions,
                        security_log=security_log,
                        limiter=limiter,
                        secret=ctx.secret,
                        relying_party=RelyingParty.from_settings(settings),
                    ),
                ),
            ),
        ],
        job_handlers={SEND_EMAIL: emails.send},
        background=[purge_expired, oidc.providers.close_when],
    )


SPEC = ServiceSpec(name="identity", infra=models.infra, build=build, settings_class=IdentitySettings)


def main() -> None:
    run(SPEC)


if __name__ == "__main__":
    main()
