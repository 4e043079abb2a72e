"""API keys: create (shown once), list and revoke your keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aira.identity.v1 import api_keys_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of
from gateway.schemas import ApiKeyIn, ApiKeyList, ApiKeyOut, CreatedApiKeyOut, from_proto

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


@router.post("", status_code=201, response_model=CreatedApiKeyOut, summary="Create a key bound to one project")
async def create(body: ApiKeyIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    reply = await gateway.clients.api_keys.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(
            project_id=project_id_of(body.project_id),
            name=body.name,
            scopes=body.scopes,
            expires_in_days=body.expires_in_days,
        ),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    return from_proto(reply)


@router.get("", response_model=ApiKeyList, summary="Your keys (optionally of one project)")
async def list_keys(who: CallerDep, gateway: State, project_id: Annotated[str, Query(max_length=64)] = ""):
    reply = await gateway.clients.api_keys.ListApiKeys(
        api_keys_pb2.ListApiKeysRequest(project_id=project_id_of(project_id) if project_id else ""),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.delete("/{key_id}", response_model=ApiKeyOut, summary="Revoke a key")
async def revoke(key_id: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.api_keys.RevokeApiKey(
        api_keys_pb2.RevokeApiKeyRequest(key_id=key_id), metadata=gateway.principals.metadata(who)
    )
    return from_proto(reply)
