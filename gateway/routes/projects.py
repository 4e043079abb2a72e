"""Projects and everything under ``/v1/projects/{project_id}`` that identity answers (the audit log is
in ``audit.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.struct_pb2 import Struct

from aira.common.v1 import types_pb2
from aira.identity.v1 import projects_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of
from gateway.schemas import (
    BillingIn,
    BillingOut,
    IntegrationIn,
    IntegrationList,
    IntegrationOut,
    InvitationIn,
    InvitationList,
    InvitationOut,
    IssueIn,
    IssueOut,
    IssuePage,
    IssuePatch,
    IssuePriority,
    IssueStatus,
    MemberList,
    MemberOut,
    OwnershipIn,
    ProjectIn,
    ProjectOut,
    ProjectPage,
    ProjectPatch,
    Provider,
    RoleIn,
    SettingsOut,
    SettingsPatch,
    from_proto,
    page_of,
)

router = APIRouter(prefix="/v1/projects", tags=["projects"])

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]


def _ref(project_id: str) -> projects_pb2.ProjectRef:
    return projects_pb2.ProjectRef(project_id=project_id_of(project_id))


def _set(message, values: dict) -> None:
    """Copy the fields the client sent (``exclude_unset``) onto a request message."""
    for field, value in values.items():
        setattr(message, field, value)


# --- projects ------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=ProjectOut, summary="Create a project you own")
async def create_project(
    body: ProjectIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project = await gateway.clients.projects.CreateProject(
        projects_pb2.CreateProjectRequest(name=body.name, description=body.description, vision=body.vision),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    response.headers["Location"] = f"/v1/projects/{project.id}"
    return from_proto(project)


@router.get("", response_model=ProjectPage, summary="Projects you are a member of, newest first")
async def list_projects(who: CallerDep, gateway: State, limit: Limit = 50, cursor: Cursor = ""):
    reply = await gateway.clients.projects.ListProjects(
        projects_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=limit, cursor=cursor)),
        metadata=gateway.principals.metadata(who),
    )
    return page_of(reply)


@router.get("/{project_id}", response_model=ProjectOut, summary="One of your projects")
async def get_project(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.GetProject(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.patch("/{project_id}", response_model=ProjectOut, summary="Change name, description, vision, onboarding mode")
async def update_project(project_id: str, body: ProjectPatch, who: CallerDep, gateway: State):
    request = projects_pb2.UpdateProjectRequest(project_id=project_id_of(project_id))
    _set(request, body.model_dump(exclude_unset=True, exclude_none=True))
    return from_proto(await gateway.clients.projects.UpdateProject(request, metadata=gateway.principals.metadata(who)))


@router.delete("/{project_id}", status_code=204, summary="Delete a project (owner only; soft delete)")
async def delete_project(project_id: str, who: CallerDep, gateway: State) -> Response:
    await gateway.clients.projects.DeleteProject(_ref(project_id), metadata=gateway.principals.metadata(who))
    return Response(status_code=204)


# --- members and ownership -----------------------------------------------------------------


@router.get("/{project_id}/members", response_model=MemberList, summary="Members and their roles")
async def list_members(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.ListMembers(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.patch("/{project_id}/members/{user_id}", response_model=MemberOut, summary="Change a member's role")
async def change_role(project_id: str, user_id: str, body: RoleIn, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.ChangeMemberRole(
        projects_pb2.ChangeMemberRoleRequest(project_id=project_id_of(project_id), user_id=user_id, role=body.role),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.delete("/{project_id}/members/{user_id}", status_code=204, summary="Remove a member, or leave")
async def remove_member(project_id: str, user_id: str, who: CallerDep, gateway: State) -> Response:
    await gateway.clients.projects.RemoveMember(
        projects_pb2.MemberRef(project_id=project_id_of(project_id), user_id=user_id),
        metadata=gateway.principals.metadata(who),
    )
    return Response(status_code=204)


@router.post("/{project_id}/transfer-ownership", response_model=MemberList, summary="Hand ownership to a member")
async def transfer_ownership(project_id: str, body: OwnershipIn, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.TransferOwnership(
        projects_pb2.MemberRef(project_id=project_id_of(project_id), user_id=body.user_id),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


# --- invitations ---------------------------------------------------------------------------


@router.post("/{project_id}/invitations", status_code=201, response_model=InvitationOut, summary="Invite by email")
async def invite(project_id: str, body: InvitationIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    reply = await gateway.clients.projects.CreateInvitation(
        projects_pb2.CreateInvitationRequest(project_id=project_id_of(project_id), email=body.email, role=body.role),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    return from_proto(reply)


@router.get("/{project_id}/invitations", response_model=InvitationList, summary="Pending invitations")
async def list_invitations(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.ListInvitations(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.delete(
    "/{project_id}/invitations/{invitation_id}", response_model=InvitationOut, summary="Revoke an invitation"
)
async def revoke_invitation(project_id: str, invitation_id: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.RevokeInvitation(
        projects_pb2.InvitationRef(project_id=project_id_of(project_id), invitation_id=invitation_id),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


# --- settings and billing ------------------------------------------------------------------


@router.get("/{project_id}/settings", response_model=SettingsOut, summary="Project settings")
async def get_settings(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.GetSettings(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.patch("/{project_id}/settings", response_model=SettingsOut, summary="Change project settings")
async def update_settings(project_id: str, body: SettingsPatch, who: CallerDep, gateway: State):
    request = projects_pb2.UpdateSettingsRequest(project_id=project_id_of(project_id))
    _set(request, body.model_dump(exclude_unset=True, exclude_none=True))
    return from_proto(await gateway.clients.projects.UpdateSettings(request, metadata=gateway.principals.metadata(who)))


@router.get("/{project_id}/billing", response_model=BillingOut, summary="Plan and trial clock")
async def get_billing(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.GetBilling(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.put("/{project_id}/billing", response_model=BillingOut, summary="Change plan (owner only)")
async def update_billing(project_id: str, body: BillingIn, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.UpdateBilling(
        projects_pb2.UpdateBillingRequest(project_id=project_id_of(project_id), plan=body.plan),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


# --- integrations --------------------------------------------------------------------------


@router.get("/{project_id}/integrations", response_model=IntegrationList, summary="Configured integrations")
async def list_integrations(project_id: str, who: CallerDep, gateway: State):
    return from_proto(
        await gateway.clients.projects.ListIntegrations(_ref(project_id), metadata=gateway.principals.metadata(who))
    )


@router.get("/{project_id}/integrations/{provider}", response_model=IntegrationOut, summary="One integration")
async def get_integration(project_id: str, provider: Provider, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.GetIntegration(
        projects_pb2.IntegrationRef(project_id=project_id_of(project_id), provider=provider),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.put(
    "/{project_id}/integrations/{provider}",
    response_model=IntegrationOut,
    summary="Configure an integration (secrets are sealed and never returned)",
)
async def put_integration(project_id: str, provider: Provider, body: IntegrationIn, who: CallerDep, gateway: State):
    config = Struct()
    config.update(body.config)
    reply = await gateway.clients.projects.PutIntegration(
        projects_pb2.PutIntegrationRequest(
            project_id=project_id_of(project_id),
            provider=provider,
            config=config,
            secrets=body.secrets or {},
            keep_secrets=body.secrets is None,
        ),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.delete("/{project_id}/integrations/{provider}", status_code=204, summary="Remove an integration")
async def delete_integration(project_id: str, provider: Provider, who: CallerDep, gateway: State) -> Response:
    await gateway.clients.projects.DeleteIntegration(
        projects_pb2.IntegrationRef(project_id=project_id_of(project_id), provider=provider),
        metadata=gateway.principals.metadata(who),
    )
    return Response(status_code=204)


# --- issues about Aira ---------------------------------------------------------------------


@router.post("/{project_id}/issues", status_code=201, response_model=IssueOut, summary="Raise an issue about Aira")
async def create_issue(project_id: str, body: IssueIn, who: CallerDep, gateway: State, idempotency: IdempotencyDep):
    reply = await gateway.clients.projects.CreateIssue(
        projects_pb2.CreateIssueRequest(
            project_id=project_id_of(project_id), title=body.title, description=body.description, priority=body.priority
        ),
        metadata=gateway.principals.metadata(who) + idempotency,
    )
    return from_proto(reply)


@router.get("/{project_id}/issues", response_model=IssuePage, summary="Issues, newest first")
async def list_issues(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    status: IssueStatus | None = None,
    priority: IssuePriority | None = None,
):
    reply = await gateway.clients.projects.ListIssues(
        projects_pb2.ListIssuesRequest(
            project_id=project_id_of(project_id),
            page=types_pb2.PageRequest(limit=limit, cursor=cursor),
            status=status or "",
            priority=priority or "",
        ),
        metadata=gateway.principals.metadata(who),
    )
    return page_of(reply)


@router.get("/{project_id}/issues/{issue_id}", response_model=IssueOut, summary="One issue")
async def get_issue(project_id: str, issue_id: str, who: CallerDep, gateway: State):
    reply = await gateway.clients.projects.GetIssue(
        projects_pb2.IssueRef(project_id=project_id_of(project_id), issue_id=issue_id),
        metadata=gateway.principals.metadata(who),
    )
    return from_proto(reply)


@router.patch("/{project_id}/issues/{issue_id}", response_model=IssueOut, summary="Change an issue")
async def update_issue(project_id: str, issue_id: str, body: IssuePatch, who: CallerDep, gateway: State):
    request = projects_pb2.UpdateIssueRequest(project_id=project_id_of(project_id), issue_id=issue_id)
    _set(request, body.model_dump(exclude_unset=True, exclude_none=True))
    return from_proto(await gateway.clients.projects.UpdateIssue(request, metadata=gateway.principals.metadata(who)))
