"""A project's integrations (GitHub, Bitbucket, Jira, Slack, Telegram): settings and sealed secrets.

Secrets are sealed with AES-GCM under the current key id, bound to their project and provider,
and never returned: readers see each secret's last characters only. Settings that look like
secrets are refused, so a token cannot end up in the clear by mistake.
"""

from __future__ import annotations

from typing import Any

import orjson

from aira.identity.v1 import events_pb2
from services.chassis.authz import Action
from services.chassis.errors import InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.secretbox import SecretBox
from services.chassis.uow import UnitOfWork
from services.identity import repository
from services.identity.access import authorize
from services.identity.models import INTEGRATION_PROVIDERS, ProjectIntegration

MAX_CONFIG_BYTES = 16 * 1024
MAX_SECRET_LENGTH = 8 * 1024
_SECRET_WORDS = ("secret", "token", "password", "private_key", "api_key", "apikey")


def hint(secret: str) -> str:
    """What a reader may see of a secret: its last four characters, if it is long enough to spare them."""
    return f"…{secret[-4:]}" if len(secret) >= 12 else "…"


def _provider(raw: str) -> str:
    if raw not in INTEGRATION_PROVIDERS:
        raise InvalidArgument(f"provider must be one of {', '.join(INTEGRATION_PROVIDERS)}", slug="unknown-provider")
    return raw


def _check_config(config: dict[str, Any]) -> dict[str, Any]:
    if len(orjson.dumps(config)) > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"config is limited to {MAX_CONFIG_BYTES} bytes", slug="validation-failed")
    suspicious = [k for k in config if any(word in k.lower() for word in _SECRET_WORDS)]
    if suspicious:
        raise InvalidArgument(f"put {', '.join(sorted(suspicious))} under secrets, not config", slug="secret-in-config")
    return config


def _check_secrets(secrets: dict[str, str]) -> dict[str, str]:
    for name, value in secrets.items():
        if not name or len(name) > 100:
            raise InvalidArgument("secret names are 1-100 characters", slug="validation-failed")
        if not value or len(value) > MAX_SECRET_LENGTH:
            raise InvalidArgument(f"secret {name!r} must be 1-{MAX_SECRET_LENGTH} characters", slug="validation-failed")
    return secrets


class Integrations:
    def __init__(self, box: SecretBox) -> None:
        self._box = box

    @staticmethod
    def _aad(integration: ProjectIntegration) -> bytes:
        return f"{integration.project_id}:{integration.provider}".encode()

    async def configured(self, uow: UnitOfWork, project_id: str) -> list[ProjectIntegration]:
        access = await authorize(uow, project_id, Action.READ)
        return await repository.integrations_of(uow, access.project_id)

    async def get(self, uow: UnitOfWork, project_id: str, provider: str) -> ProjectIntegration:
        access = await authorize(uow, project_id, Action.READ)
        found = await repository.integration(uow, access.project_id, _provider(provider))
        if found is None:
            raise NotFound(f"{provider} is not configured", slug="integration-not-found")
        return found

    async def put(
        self,
        uow: UnitOfWork,
        project_id: str,
        provider: str,
        *,
        config: dict[str, Any],
        secrets: dict[str, str],
        keep_secrets: bool,
    ) -> ProjectIntegration:
        """Configure a provider; secrets are replaced unless ``keep_secrets``."""
        access = await authorize(uow, project_id, Action.MANAGE_PROJECT)
        provider = _provider(provider)
        config, secrets = _check_config(config), _check_secrets(secrets)
        found = await repository.integration(uow, access.project_id, provider)
        created = found is None
        integration = found or ProjectIntegration(
            id=uuid7(), project_id=access.project_id, provider=provider, created_by=access.user_id
        )
        integration.config = config
        if not keep_secrets or created:
            if secrets:
                key_id, sealed = self._box.seal(orjson.dumps(secrets), self._aad(integration))
                integration.secret_key_id, integration.secret_ciphertext = key_id, sealed
            else:
                integration.secret_key_id, integration.secret_ciphertext = None, None
            integration.secret_hints = {name: hint(value) for name, value in secrets.items()}
        integration = await (repository.add(uow, integration) if created else repository.save(uow, integration))
        uow.emit(
            Event(
                entity_type="integration",
                action="configured",
                entity_id=provider,
                project_id=access.project_id,
                payload=events_pb2.IntegrationChanged(project_id=str(access.project_id), provider=provider),
                snapshot={"provider": provider, "config": config, "secrets": sorted(integration.secret_hints)},
            )
        )
        return integration

    async def delete(self, uow: UnitOfWork, project_id: str, provider: str) -> None:
        access = await authorize(uow, project_id, Action.MANAGE_PROJECT)
        found = await repository.integration(uow, access.project_id, _provider(provider))
        if found is None:
            raise NotFound(f"{provider} is not configured", slug="integration-not-found")
        await repository.delete_row(uow, found)
        uow.emit(
            Event(
                entity_type="integration",
                action="removed",
                entity_id=provider,
                project_id=access.project_id,
                payload=events_pb2.IntegrationChanged(project_id=str(access.project_id), provider=provider),
            )
        )

    def secrets(self, integration: ProjectIntegration) -> dict[str, str]:
        """The opened secrets, for the service code that calls the provider (never for replies)."""
        if integration.secret_ciphertext is None or integration.secret_key_id is None:
            return {}
        return orjson.loads(
            self._box.open(integration.secret_key_id, integration.secret_ciphertext, self._aad(integration))
        )
