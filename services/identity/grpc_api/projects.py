"""The Projects contract."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict

from aira.common.v1 import types_pb2 as common_pb2
from aira.identity.v1 import projects_pb2, projects_pb2_grpc, types_pb2
from services.chassis.proto_values import to_struct, to_timestamp
from services.chassis.uow import UnitOfWorkFactory
from services.identity import issues, members, projects
from services.identity.grpc_api.messages import project_message
from services.identity.integrations import Integrations
from services.identity.members import Invitations, InvitationView, MemberView
from services.identity.models import ProjectBilling, ProjectIntegration, ProjectIssue, ProjectSettings

SETTINGS_FIELDS = (
    "timezone",
    "llm_provider",
    "llm_model",
    "heartbeat_enabled",
    "auto_rebalance_mode",
    "pr_automation_enabled",
    "allow_parallel_sprints",
)


def _optional(request, fields: tuple[str, ...]) -> dict:
    """The optional fields the request set."""
    return {field: getattr(request, field) for field in fields if request.HasField(field)}


def member_message(member: MemberView) -> projects_pb2.Member:
    return projects_pb2.Member(
        user_id=str(member.user_id),
        name=member.name,
        email=member.email,
        role=member.role,
        joined_at=to_timestamp(member.joined_at),
    )


def invitation_message(view: InvitationView) -> projects_pb2.Invitation:
    invitation = view.invitation
    return projects_pb2.Invitation(
        id=str(invitation.id),
        project_id=str(invitation.project_id),
        project_name=view.project_name,
        email=invitation.email,
        role=invitation.role,
        status=view.status,
        invited_by=str(invitation.invited_by),
        invited_by_name=view.inviter_name,
        expires_at=to_timestamp(invitation.expires_at),
        created_at=to_timestamp(invitation.created_at),
    )


def settings_message(settings: ProjectSettings) -> projects_pb2.Settings:
    return projects_pb2.Settings(
        project_id=str(settings.project_id),
        timezone=settings.timezone,
        llm_provider=settings.llm_provider,
        llm_model=settings.llm_model or "",
        heartbeat_enabled=settings.heartbeat_enabled,
        auto_rebalance_mode=settings.auto_rebalance_mode,
        pr_automation_enabled=settings.pr_automation_enabled,
        allow_parallel_sprints=settings.allow_parallel_sprints,
        updated_at=to_timestamp(settings.updated_at),
    )


def billing_message(billing: ProjectBilling) -> projects_pb2.Billing:
    active, days_left = projects.trial_state(billing)
    message = projects_pb2.Billing(
        project_id=str(billing.project_id),
        plan=billing.plan,
        trial_started_at=to_timestamp(billing.trial_started_at),
        trial_ends_at=to_timestamp(billing.trial_ends_at),
        is_trial_active=active,
        trial_days_left=days_left,
    )
    if billing.plan_changed_at:
        message.plan_changed_at.CopyFrom(to_timestamp(billing.plan_changed_at))
    return message


def integration_message(integration: ProjectIntegration) -> projects_pb2.Integration:
    return projects_pb2.Integration(
        provider=integration.provider,
        config=to_struct(integration.config),
        secret_hints=integration.secret_hints,
        status=integration.status,
        updated_at=to_timestamp(integration.updated_at),
    )


def issue_message(issue: ProjectIssue) -> projects_pb2.Issue:
    message = projects_pb2.Issue(
        id=str(issue.id),
        project_id=str(issue.project_id),
        title=issue.title,
        description=issue.description,
        status=issue.status,
        priority=issue.priority,
        reporter_id=str(issue.reporter_id),
        created_at=to_timestamp(issue.created_at),
        updated_at=to_timestamp(issue.updated_at),
    )
    if issue.resolved_at:
        message.resolved_at.CopyFrom(to_timestamp(issue.resolved_at))
    return message


class ProjectsServicer(projects_pb2_grpc.ProjectsServicer):
    def __init__(
        self, uow: UnitOfWorkFactory, reader: UnitOfWorkFactory, invitations: Invitations, integrations: Integrations
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._invitations = invitations
        self._integrations = integrations

    async def _write(self, action, build_reply):
        """Run ``action(uow)`` in a unit of work, commit with its reply, return the reply."""
        async with self._uow() as uow:
            reply = build_reply(await action(uow))
            await uow.commit(reply)
        return reply

    async def _read(self, action, build_reply):
        async with self._reader() as uow:
            result = await action(uow)
        return build_reply(result)

    # --- projects ------------------------------------------------------------------------

    async def CreateProject(self, request, ctx):
        return await self._write(
            lambda uow: projects.create_project(
                uow, name=request.name, description=request.description, vision=request.vision
            ),
            project_message,
        )

    async def ListProjects(self, request, ctx):
        async with self._reader() as uow:
            page, next_cursor = await projects.list_projects(uow, limit=request.page.limit, cursor=request.page.cursor)
        return projects_pb2.ListProjectsResponse(
            items=[project_message(p) for p in page], page=common_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetProject(self, request, ctx):
        return await self._read(lambda uow: projects.get_project(uow, request.project_id), project_message)

    async def UpdateProject(self, request, ctx):
        changes = _optional(request, ("name", "description", "vision", "onboarding_mode"))
        return await self._write(
            lambda uow: projects.update_project(uow, request.project_id, **changes), project_message
        )

    async def DeleteProject(self, request, ctx):
        return await self._write(
            lambda uow: projects.delete_project(uow, request.project_id), lambda _: types_pb2.Accepted()
        )

    async def ResolveAccess(self, request, ctx):
        async with self._reader() as uow:
            user_id, role = await projects.resolve_role(uow, request.project_id)
        return projects_pb2.Access(project_id=request.project_id, user_id=str(user_id), role=role)

    # --- members -------------------------------------------------------------------------

    async def ListMembers(self, request, ctx):
        return await self._read(
            lambda uow: members.list_members(uow, request.project_id),
            lambda rows: projects_pb2.ListMembersResponse(items=[member_message(m) for m in rows]),
        )

    async def ChangeMemberRole(self, request, ctx):
        return await self._write(
            lambda uow: members.change_role(uow, request.project_id, request.user_id, request.role), member_message
        )

    async def RemoveMember(self, request, ctx):
        return await self._write(
            lambda uow: members.remove_member(uow, request.project_id, request.user_id), lambda _: types_pb2.Accepted()
        )

    async def TransferOwnership(self, request, ctx):
        return await self._write(
            lambda uow: members.transfer_ownership(uow, request.project_id, request.user_id),
            lambda rows: projects_pb2.ListMembersResponse(items=[member_message(m) for m in rows]),
        )

    # --- invitations ---------------------------------------------------------------------

    async def CreateInvitation(self, request, ctx):
        return await self._write(
            lambda uow: self._invitations.create(uow, request.project_id, request.email, request.role),
            invitation_message,
        )

    async def ListInvitations(self, request, ctx):
        return await self._read(
            lambda uow: self._invitations.pending(uow, request.project_id),
            lambda rows: projects_pb2.ListInvitationsResponse(items=[invitation_message(i) for i in rows]),
        )

    async def RevokeInvitation(self, request, ctx):
        return await self._write(
            lambda uow: self._invitations.revoke(uow, request.project_id, request.invitation_id), invitation_message
        )

    async def GetInvitation(self, request, ctx):
        return await self._read(lambda uow: self._invitations.show(uow, request.token), invitation_message)

    async def AcceptInvitation(self, request, ctx):
        return await self._write(lambda uow: self._invitations.accept(uow, request.token), project_message)

    async def DeclineInvitation(self, request, ctx):
        return await self._write(lambda uow: self._invitations.decline(uow, request.token), invitation_message)

    # --- settings and billing ------------------------------------------------------------

    async def GetSettings(self, request, ctx):
        return await self._read(lambda uow: projects.get_settings(uow, request.project_id), settings_message)

    async def UpdateSettings(self, request, ctx):
        changes = _optional(request, SETTINGS_FIELDS)
        return await self._write(
            lambda uow: projects.update_settings(uow, request.project_id, changes), settings_message
        )

    async def GetBilling(self, request, ctx):
        return await self._read(lambda uow: projects.get_billing(uow, request.project_id), billing_message)

    async def UpdateBilling(self, request, ctx):
        return await self._write(
            lambda uow: projects.update_billing(uow, request.project_id, request.plan), billing_message
        )

    # --- integrations --------------------------------------------------------------------

    async def ListIntegrations(self, request, ctx):
        return await self._read(
            lambda uow: self._integrations.configured(uow, request.project_id),
            lambda rows: projects_pb2.ListIntegrationsResponse(items=[integration_message(i) for i in rows]),
        )

    async def GetIntegration(self, request, ctx):
        return await self._read(
            lambda uow: self._integrations.get(uow, request.project_id, request.provider), integration_message
        )

    async def PutIntegration(self, request, ctx):
        config = MessageToDict(request.config) if request.HasField("config") else {}
        return await self._write(
            lambda uow: self._integrations.put(
                uow,
                request.project_id,
                request.provider,
                config=config,
                secrets=dict(request.secrets),
                keep_secrets=request.keep_secrets,
            ),
            integration_message,
        )

    async def DeleteIntegration(self, request, ctx):
        return await self._write(
            lambda uow: self._integrations.delete(uow, request.project_id, request.provider),
            lambda _: types_pb2.Accepted(),
        )

    # --- issues --------------------------------------------------------------------------

    async def CreateIssue(self, request, ctx):
        return await self._write(
            lambda uow: issues.create(
                uow, request.project_id, title=request.title, description=request.description, priority=request.priority
            ),
            issue_message,
        )

    async def ListIssues(self, request, ctx):
        async with self._reader() as uow:
            rows, next_cursor = await issues.page(
                uow,
                request.project_id,
                limit=request.page.limit,
                cursor=request.page.cursor,
                status=request.status,
                priority=request.priority,
            )
        return projects_pb2.ListIssuesResponse(
            items=[issue_message(i) for i in rows], page=common_pb2.PageInfo(next_cursor=next_cursor)
        )

    async def GetIssue(self, request, ctx):
        return await self._read(lambda uow: issues.get(uow, request.project_id, request.issue_id), issue_message)

    async def UpdateIssue(self, request, ctx):
        changes = _optional(request, ("title", "description", "status", "priority"))
        return await self._write(
            lambda uow: issues.update(uow, request.project_id, request.issue_id, changes), issue_message
        )
