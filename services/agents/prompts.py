"""Prompt versions: every (name, template) is stored once, immutable, numbered per name.

The same text always maps to the same version; a new text under a known name becomes the next
version. Concurrent first uses of one name queue on a transaction-scoped advisory lock, so numbers
are handed out once and without gaps.
"""

from __future__ import annotations

import hashlib

from services.agents import llm_repository as repository
from services.agents.models import PromptVersion
from services.chassis.ids import uuid7
from services.chassis.uow import UnitOfWork


def content_hash(template: str) -> str:
    """The SHA-256 (hex) of a template."""
    return hashlib.sha256(template.encode()).hexdigest()


async def version_of(uow: UnitOfWork, name: str, template: str, note: str = "") -> PromptVersion:
    """The version of ``template`` under ``name``: found, or created as the next number.

    ``note`` is kept with a new version; an existing version keeps the note it was made with.
    """
    digest = content_hash(template)
    if (found := await repository.prompt_version(uow.session, name, digest)) is not None:
        return found
    await repository.lock_prompt_name(uow.session, name)
    # Whoever held the lock before us may have just created this very version.
    if (found := await repository.prompt_version(uow.session, name, digest)) is not None:
        return found
    version = PromptVersion(
        id=uuid7(),
        name=name,
        version=await repository.last_prompt_version(uow.session, name) + 1,
        content_hash=digest,
        template=template,
        note=note,
    )
    await repository.add(uow.session, version)
    return version
