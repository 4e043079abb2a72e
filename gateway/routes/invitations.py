"""Answering an invitation, by the token from its email."""

from __future__ import annotations

from fastapi import APIRouter

from aira.identity.v1 import projects_pb2
from gateway.deps import CallerDep, State
from gateway.schemas import InvitationOut, ProjectOut, from_proto

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get("/{token}", response_model=InvitationOut, summary="What an invitation offers")
async def show(token: str, gateway: State):
    reply = await gateway.clients.projects.GetInvitation(
        projects_pb2.InvitationToken(token=token), metadata=gateway.principals.metadata(None)
    )
    return from_proto(reply)


@router.post("/{token}/accept", response_model=ProjectOut, summary="Join the project (signed in as the invited email)")
async def accept(token: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.AcceptInvitation(
        projects_pb2.InvitationToken(token=token), metadata=gateway.principals.metadata(who)
    )
    return from_proto(reply)


@router.post("/{token}/decline", response_model=InvitationOut, summary="Decline the invitation")
async def decline(token: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.DeclineInvitation(
        projects_pb2.InvitationToken(token=token), metadata=gateway.principals.metadata(who)
    )
    return from_proto(reply)
