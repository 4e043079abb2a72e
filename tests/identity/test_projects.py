"""Projects and their doors over gRPC: members, ownership, invitations, settings, billing,
integrations and issues."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import func, select, text, update

from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, projects_pb2, projects_pb2_grpc
from services.identity.models import ProjectBilling, ProjectIntegration, ProjectInvitation, ProjectMember
from tests.grpc_calls import refused
from tests.identity.test_accounts import PASSWORD, audit_types, new_email
from tests.mail import token_in

pytestmark = pytest.mark.usefixtures("clean_db")
NOT_FOUND, DENIED = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED


class World:
    """People and stubs for a test."""

    def __init__(self, channel, principals) -> None:
        self.accounts = accounts_pb2_grpc.AccountsStub(channel)
        self.projects = projects_pb2_grpc.ProjectsStub(channel)
        self.principals = principals

    async def person(self, name: str = "Ada") -> tuple[str, str]:
        email = new_email()
        pair = await self.accounts.SignUp(
            accounts_pb2.SignUpRequest(email=email, password=PASSWORD, name=name), metadata=self.principals.metadata()
        )
        return pair.user.id, email

    def as_(self, user_id: str):
        return self.principals.user(user_id)

    async def project(self, owner: str, name: str = "Apollo") -> projects_pb2.ProjectRef:
        project = await self.projects.CreateProject(
            projects_pb2.CreateProjectRequest(name=name), metadata=self.as_(owner)
        )
        return projects_pb2.ProjectRef(project_id=project.id)

    async def member(self, project: projects_pb2.ProjectRef, owner: str, role: str, service_engines) -> str:
        """Someone added with ``role`` (straight into the table; invitations are tested on their own)."""
        user_id, _ = await self.person(role)
        async with service_engines["identity"].begin() as conn:
            await conn.execute(
                ProjectMember.__table__.insert().values(
                    id=uuid.uuid4(), project_id=uuid.UUID(project.project_id), user_id=uuid.UUID(user_id), role=role
                )
            )
        return user_id


@pytest.fixture
def world(identity_channel, principals) -> World:
    return World(identity_channel, principals)


async def test_a_project_comes_with_settings_a_trial_and_its_owner(world) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    settings = await world.projects.GetSettings(ref, metadata=world.as_(owner))
    assert (settings.timezone, settings.llm_provider, settings.auto_rebalance_mode) == ("UTC", "auto", "suggest")
    billing = await world.projects.GetBilling(ref, metadata=world.as_(owner))
    assert (billing.plan, billing.is_trial_active, billing.trial_days_left) == ("trial", True, 14)
    assert billing.trial_ends_at.ToDatetime() - billing.trial_started_at.ToDatetime() == timedelta(days=14)
    members = await world.projects.ListMembers(ref, metadata=world.as_(owner))
    assert [(m.user_id, m.role) for m in members.items] == [(owner, "owner")]


async def test_update_and_soft_delete(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    admin = await world.member(ref, owner, "admin", service_engines)
    updated = await world.projects.UpdateProject(
        projects_pb2.UpdateProjectRequest(
            project_id=ref.project_id, vision="Land and return", onboarding_mode="guided"
        ),
        metadata=world.as_(admin),
    )
    assert (updated.name, updated.vision, updated.onboarding_mode) == ("Apollo", "Land and return", "guided")
    bad = projects_pb2.UpdateProjectRequest(project_id=ref.project_id, onboarding_mode="sideways")
    await refused(
        world.projects.UpdateProject, bad, world.as_(owner), grpc.StatusCode.INVALID_ARGUMENT, "validation-failed"
    )
    await refused(world.projects.DeleteProject, ref, world.as_(admin), DENIED, "forbidden")
    await world.projects.DeleteProject(ref, metadata=world.as_(owner))
    for user in (owner, admin):
        await refused(world.projects.GetProject, ref, world.as_(user), NOT_FOUND, "project-not-found")
    listed = await world.projects.ListProjects(projects_pb2.ListProjectsRequest(), metadata=world.as_(owner))
    assert list(listed.items) == []


async def test_project_lists_page_newest_first(world) -> None:
    owner, _ = await world.person()
    created = [(await world.project(owner, f"P{n}")).project_id for n in range(7)]
    seen, cursor = [], ""
    while True:
        page = await world.projects.ListProjects(
            projects_pb2.ListProjectsRequest(page=types_pb2.PageRequest(limit=3, cursor=cursor)),
            metadata=world.as_(owner),
        )
        seen += [p.id for p in page.items]
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert seen == list(reversed(created))


# --- members and ownership -----------------------------------------------------------------


async def test_roles_change_only_within_the_rules(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    admin = await world.member(ref, owner, "admin", service_engines)
    member = await world.member(ref, owner, "member", service_engines)
    pid = ref.project_id

    promoted = await world.projects.ChangeMemberRole(
        projects_pb2.ChangeMemberRoleRequest(project_id=pid, user_id=member, role="product_manager"),
        metadata=world.as_(admin),
    )
    assert promoted.role == "product_manager"
    make_owner = projects_pb2.ChangeMemberRoleRequest(project_id=pid, user_id=member, role="owner")
    await refused(world.projects.ChangeMemberRole, make_owner, world.as_(admin), DENIED, "owner-required")
    demote_owner = projects_pb2.ChangeMemberRoleRequest(project_id=pid, user_id=owner, role="viewer")
    await refused(world.projects.ChangeMemberRole, demote_owner, world.as_(admin), DENIED, "owner-required")
    await refused(
        world.projects.ChangeMemberRole,
        demote_owner,
        world.as_(owner),
        grpc.StatusCode.FAILED_PRECONDITION,
        "last-owner",
    )
    by_member = projects_pb2.ChangeMemberRoleRequest(project_id=pid, user_id=admin, role="viewer")
    await refused(world.projects.ChangeMemberRole, by_member, world.as_(member), DENIED, "forbidden")
    bad_role = projects_pb2.ChangeMemberRoleRequest(project_id=pid, user_id=member, role="emperor")
    await refused(
        world.projects.ChangeMemberRole, bad_role, world.as_(owner), grpc.StatusCode.INVALID_ARGUMENT, "invalid-role"
    )


async def test_the_last_owner_cannot_leave_but_others_can(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    viewer = await world.member(ref, owner, "viewer", service_engines)
    admin = await world.member(ref, owner, "admin", service_engines)
    pid = ref.project_id
    await world.projects.RemoveMember(
        projects_pb2.MemberRef(project_id=pid, user_id=viewer), metadata=world.as_(viewer)
    )
    leave = projects_pb2.MemberRef(project_id=pid, user_id=owner)
    await refused(
        world.projects.RemoveMember, leave, world.as_(owner), grpc.StatusCode.FAILED_PRECONDITION, "last-owner"
    )
    await refused(world.projects.RemoveMember, leave, world.as_(admin), DENIED, "owner-required")
    members = await world.projects.ListMembers(ref, metadata=world.as_(owner))
    assert {m.user_id for m in members.items} == {owner, admin}


async def test_transfer_ownership(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    member = await world.member(ref, owner, "member", service_engines)
    stranger, _ = await world.person("Stranger")
    to_stranger = projects_pb2.MemberRef(project_id=ref.project_id, user_id=stranger)
    await refused(world.projects.TransferOwnership, to_stranger, world.as_(owner), NOT_FOUND, "member-not-found")
    to_member = projects_pb2.MemberRef(project_id=ref.project_id, user_id=member)
    await refused(world.projects.TransferOwnership, to_member, world.as_(member), DENIED, "forbidden")
    members = await world.projects.TransferOwnership(to_member, metadata=world.as_(owner))
    assert {(m.user_id, m.role) for m in members.items} == {(owner, "admin"), (member, "owner")}
    # The former owner is an admin now and cannot delete the project any more.
    await refused(world.projects.DeleteProject, ref, world.as_(owner), DENIED, "forbidden")


# --- invitations ---------------------------------------------------------------------------


async def test_an_invitation_is_emailed_and_accepted_by_the_invited_address(world, smtp, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    invitee, invitee_email = await world.person("Grace")
    invitation = await world.projects.CreateInvitation(
        projects_pb2.CreateInvitationRequest(
            project_id=ref.project_id, email=invitee_email.upper(), role="product_manager"
        ),
        metadata=world.as_(owner),
    )
    assert (invitation.email, invitation.role, invitation.status, invitation.project_name) == (
        invitee_email,
        "product_manager",
        "pending",
        "Apollo",
    )
    token = token_in(await smtp.wait_for(invitee_email, "invited you"))
    shown = await world.projects.GetInvitation(
        projects_pb2.InvitationToken(token=token), metadata=world.principals.metadata()
    )
    assert shown.invited_by_name == "Ada"

    intruder, _ = await world.person("Eve")
    as_intruder = projects_pb2.InvitationToken(token=token)
    await refused(world.projects.AcceptInvitation, as_intruder, world.as_(intruder), DENIED, "invitation-wrong-email")
    assert "invitation_email_mismatch" in await audit_types(service_engines["identity"], intruder)
    await refused(world.projects.GetProject, ref, world.as_(intruder), NOT_FOUND, "project-not-found")

    project = await world.projects.AcceptInvitation(
        projects_pb2.InvitationToken(token=token), metadata=world.as_(invitee)
    )
    assert (project.id, project.role) == (ref.project_id, "product_manager")
    again = projects_pb2.InvitationToken(token=token)
    await refused(
        world.projects.AcceptInvitation,
        again,
        world.as_(invitee),
        grpc.StatusCode.FAILED_PRECONDITION,
        "invitation-accepted",
    )


async def test_invitations_can_be_declined_revoked_and_expire(world, smtp, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    _, declining_email = await world.person("Decliner")
    decliner = (
        await world.accounts.Login(
            accounts_pb2.LoginRequest(email=declining_email, password=PASSWORD), metadata=world.principals.metadata()
        )
    ).user.id
    await world.projects.CreateInvitation(
        projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=declining_email, role="member"),
        metadata=world.as_(owner),
    )
    token = token_in(await smtp.wait_for(declining_email, "invited you"))
    declined = await world.projects.DeclineInvitation(
        projects_pb2.InvitationToken(token=token), metadata=world.as_(decliner)
    )
    assert declined.status == "declined"

    revoked_email = new_email()
    pending = await world.projects.CreateInvitation(
        projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=revoked_email, role="viewer"),
        metadata=world.as_(owner),
    )
    listed = await world.projects.ListInvitations(ref, metadata=world.as_(owner))
    assert [i.email for i in listed.items] == [revoked_email]
    revoked = await world.projects.RevokeInvitation(
        projects_pb2.InvitationRef(project_id=ref.project_id, invitation_id=pending.id), metadata=world.as_(owner)
    )
    assert revoked.status == "revoked"

    late_id, late_email = await world.person("Late")
    await world.projects.CreateInvitation(
        projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=late_email, role="viewer"),
        metadata=world.as_(owner),
    )
    late_token = token_in(await smtp.wait_for(late_email, "invited you"))
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(ProjectInvitation).values(expires_at=func.now()))
    late = projects_pb2.InvitationToken(token=late_token)
    await refused(
        world.projects.AcceptInvitation,
        late,
        world.as_(late_id),
        grpc.StatusCode.FAILED_PRECONDITION,
        "invitation-expired",
    )


async def test_only_owners_invite_owners_and_members_cannot_invite(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    admin = await world.member(ref, owner, "admin", service_engines)
    member = await world.member(ref, owner, "member", service_engines)
    as_owner = projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=new_email(), role="owner")
    await refused(world.projects.CreateInvitation, as_owner, world.as_(admin), DENIED, "owner-required")
    plain = projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=new_email(), role="viewer")
    await refused(world.projects.CreateInvitation, plain, world.as_(member), DENIED, "forbidden")
    async with service_engines["identity"].connect() as conn:
        member_email = (
            await conn.execute(text("SELECT email FROM identity.users WHERE id = :i"), {"i": member})
        ).scalar()
    existing = projects_pb2.CreateInvitationRequest(project_id=ref.project_id, email=member_email, role="viewer")
    await refused(
        world.projects.CreateInvitation, existing, world.as_(owner), grpc.StatusCode.ALREADY_EXISTS, "already-member"
    )


# --- settings and billing ------------------------------------------------------------------


async def test_settings_are_validated_and_changed_by_admins(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    pm = await world.member(ref, owner, "product_manager", service_engines)
    pid = ref.project_id
    changed = await world.projects.UpdateSettings(
        projects_pb2.UpdateSettingsRequest(
            project_id=pid,
            timezone="Europe/Berlin",
            llm_provider="offline",
            auto_rebalance_mode="auto_with_approval",
            heartbeat_enabled=False,
        ),
        metadata=world.as_(owner),
    )
    assert (changed.timezone, changed.llm_provider, changed.heartbeat_enabled) == ("Europe/Berlin", "offline", False)
    assert changed.pr_automation_enabled  # untouched
    for bad in (
        projects_pb2.UpdateSettingsRequest(project_id=pid, timezone="Mars/Olympus_Mons"),
        projects_pb2.UpdateSettingsRequest(project_id=pid, llm_provider="gpt-please"),
        projects_pb2.UpdateSettingsRequest(project_id=pid, auto_rebalance_mode="always"),
        projects_pb2.UpdateSettingsRequest(project_id=pid, llm_model="model with spaces"),
    ):
        await refused(
            world.projects.UpdateSettings, bad, world.as_(owner), grpc.StatusCode.INVALID_ARGUMENT, "validation-failed"
        )
    tweak = projects_pb2.UpdateSettingsRequest(project_id=pid, heartbeat_enabled=True)
    await refused(world.projects.UpdateSettings, tweak, world.as_(pm), DENIED, "forbidden")
    assert (await world.projects.GetSettings(ref, metadata=world.as_(pm))).timezone == "Europe/Berlin"


async def test_billing_belongs_to_the_owner_and_the_trial_does_not_return(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    admin = await world.member(ref, owner, "admin", service_engines)
    assert (await world.projects.GetBilling(ref, metadata=world.as_(admin))).plan == "trial"
    upgrade = projects_pb2.UpdateBillingRequest(project_id=ref.project_id, plan="team")
    await refused(world.projects.UpdateBilling, upgrade, world.as_(admin), DENIED, "forbidden")
    team = await world.projects.UpdateBilling(upgrade, metadata=world.as_(owner))
    assert (team.plan, team.is_trial_active, team.trial_days_left) == ("team", False, 0)
    back = projects_pb2.UpdateBillingRequest(project_id=ref.project_id, plan="trial")
    await refused(
        world.projects.UpdateBilling, back, world.as_(owner), grpc.StatusCode.FAILED_PRECONDITION, "trial-unavailable"
    )


async def test_an_ended_trial_is_reported_as_ended(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    async with service_engines["identity"].begin() as conn:
        await conn.execute(update(ProjectBilling).values(trial_ends_at=func.now() - timedelta(hours=1)))
    billing = await world.projects.GetBilling(ref, metadata=world.as_(owner))
    assert (billing.is_trial_active, billing.trial_days_left) == (False, 0)


# --- integrations --------------------------------------------------------------------------


async def test_integration_secrets_are_sealed_and_never_returned(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    config = Struct()
    config.update({"repository": "acme/rocket", "default_branch": "main"})
    secret = "ghp_0123456789abcdefSECRET42"
    stored = await world.projects.PutIntegration(
        projects_pb2.PutIntegrationRequest(
            project_id=ref.project_id,
            provider="github",
            config=config,
            secrets={"token": secret, "webhook_secret": "w" * 20},
        ),
        metadata=world.as_(owner),
    )
    assert stored.secret_hints == {"token": "…" + secret[-4:], "webhook_secret": "…wwww"}
    assert dict(stored.config) == {"repository": "acme/rocket", "default_branch": "main"}
    async with service_engines["identity"].connect() as conn:
        row = (await conn.execute(select(ProjectIntegration.secret_ciphertext, ProjectIntegration.secret_key_id))).one()
    assert secret.encode() not in row.secret_ciphertext and row.secret_key_id == "k1"

    kept = await world.projects.PutIntegration(
        projects_pb2.PutIntegrationRequest(
            project_id=ref.project_id, provider="github", config=config, keep_secrets=True
        ),
        metadata=world.as_(owner),
    )
    assert set(kept.secret_hints) == {"token", "webhook_secret"}
    leaky = Struct()
    leaky.update({"api_token": "oops"})
    bad = projects_pb2.PutIntegrationRequest(project_id=ref.project_id, provider="jira", config=leaky)
    await refused(
        world.projects.PutIntegration, bad, world.as_(owner), grpc.StatusCode.INVALID_ARGUMENT, "secret-in-config"
    )
    unknown = projects_pb2.PutIntegrationRequest(project_id=ref.project_id, provider="myspace")
    await refused(
        world.projects.PutIntegration, unknown, world.as_(owner), grpc.StatusCode.INVALID_ARGUMENT, "unknown-provider"
    )

    listed = await world.projects.ListIntegrations(ref, metadata=world.as_(owner))
    assert [i.provider for i in listed.items] == ["github"]
    await world.projects.DeleteIntegration(
        projects_pb2.IntegrationRef(project_id=ref.project_id, provider="github"), metadata=world.as_(owner)
    )
    gone = projects_pb2.IntegrationRef(project_id=ref.project_id, provider="github")
    await refused(world.projects.GetIntegration, gone, world.as_(owner), NOT_FOUND, "integration-not-found")


async def test_sealed_secrets_open_only_for_their_own_project(identity_channel, settings) -> None:
    from services.chassis.keys import SecretKey
    from services.chassis.secretbox import SecretBox

    box = SecretBox(SecretKey.load(settings.keys_path), "integration-secrets", "k1")
    key_id, sealed = box.seal(b'{"token": "x"}', b"project-a:github")
    assert box.open(key_id, sealed, b"project-a:github") == b'{"token": "x"}'
    with pytest.raises(ValueError):
        box.open(key_id, sealed, b"project-b:github")
    rotated = SecretBox(SecretKey.load(settings.keys_path), "integration-secrets", "k2")
    assert rotated.open(key_id, sealed, b"project-a:github") == b'{"token": "x"}'  # old key id still opens
    assert rotated.seal(b"new")[0] == "k2"


# --- issues about Aira ---------------------------------------------------------------------


async def test_members_raise_issues_and_reporters_or_admins_change_them(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    viewer = await world.member(ref, owner, "viewer", service_engines)
    other = await world.member(ref, owner, "member", service_engines)
    pid = ref.project_id
    issue = await world.projects.CreateIssue(
        projects_pb2.CreateIssueRequest(project_id=pid, title="Export is slow", priority="high"),
        metadata=world.as_(viewer),
    )
    assert (issue.status, issue.priority, issue.reporter_id) == ("open", "high", viewer)
    edit = projects_pb2.UpdateIssueRequest(project_id=pid, issue_id=issue.id, title="Export is very slow")
    await refused(world.projects.UpdateIssue, edit, world.as_(other), DENIED, "forbidden")
    assert (await world.projects.UpdateIssue(edit, metadata=world.as_(viewer))).title == "Export is very slow"
    resolved = await world.projects.UpdateIssue(
        projects_pb2.UpdateIssueRequest(project_id=pid, issue_id=issue.id, status="resolved"), metadata=world.as_(owner)
    )
    assert resolved.status == "resolved" and resolved.HasField("resolved_at")
    await world.projects.CreateIssue(
        projects_pb2.CreateIssueRequest(project_id=pid, title="Typo"), metadata=world.as_(other)
    )
    open_only = await world.projects.ListIssues(
        projects_pb2.ListIssuesRequest(project_id=pid, status="open"), metadata=world.as_(viewer)
    )
    assert [i.title for i in open_only.items] == ["Typo"]
    bad = projects_pb2.CreateIssueRequest(project_id=pid, title="X", priority="urgent-ish")
    await refused(
        world.projects.CreateIssue, bad, world.as_(viewer), grpc.StatusCode.INVALID_ARGUMENT, "validation-failed"
    )


# --- preferences ---------------------------------------------------------------------------


async def test_preferences_are_per_person_per_project(world, service_engines) -> None:
    owner, _ = await world.person()
    ref = await world.project(owner)
    stranger, _ = await world.person("Stranger")
    prefs = Struct()
    prefs.update({"board": {"columns": ["todo", "done"]}, "dense": True})
    put = await world.accounts.PutPreferences(
        accounts_pb2.PutPreferencesRequest(project_id=ref.project_id, preferences=prefs), metadata=world.as_(owner)
    )
    assert put.preferences["dense"] is True
    got = await world.accounts.GetPreferences(
        accounts_pb2.GetPreferencesRequest(project_id=ref.project_id), metadata=world.as_(owner)
    )
    assert got.preferences["board"]["columns"] == ["todo", "done"]
    peek = accounts_pb2.GetPreferencesRequest(project_id=ref.project_id)
    await refused(world.accounts.GetPreferences, peek, world.as_(stranger), NOT_FOUND, "project-not-found")
    huge = Struct()
    huge.update({"blob": "x" * 20_000})
    too_big = accounts_pb2.PutPreferencesRequest(project_id=ref.project_id, preferences=huge)
    await refused(
        world.accounts.PutPreferences,
        too_big,
        world.as_(owner),
        grpc.StatusCode.INVALID_ARGUMENT,
        "preferences-too-large",
    )
