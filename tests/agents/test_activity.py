"""The activity feed: one readable sentence per audit event, with people's names, same sequence."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import select, text

from aira.agents.v1 import audit_pb2, audit_pb2_grpc
from aira.agents.v1 import events_pb2 as agents_events
from aira.common.v1 import types_pb2
from aira.identity.v1 import accounts_pb2, accounts_pb2_grpc, events_pb2, projects_pb2, projects_pb2_grpc
from services.agents import audit_log, known_people
from services.agents import models as agents_models
from services.agents.activity import Facts, actor_name, describe, mentioned
from services.chassis import db
from services.chassis.events import Event, error_event, to_envelope
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from tests.agents.bus import publish
from tests.grpc_calls import refused

ADA, BOB = str(uuid.uuid4()), str(uuid.uuid4())
NAMES = {ADA: "Ada", BOB: "Bob"}


def said(entity_type: str, action: str, entity_id: str = "e-1", actor: str = ADA, **facts) -> str:
    return describe(Facts(entity_type, action, entity_id, "user", actor, **facts), NAMES).summary


# --- wording (pure) ------------------------------------------------------------------------


def test_who_acted() -> None:
    assert actor_name("user", ADA, NAMES) == "Ada"
    assert actor_name("user", str(uuid.uuid4()), NAMES) == "someone"
    assert actor_name("api_key", ADA, NAMES) == "Ada (API key)"
    assert actor_name("mcp", ADA, NAMES) == "Ada (MCP)"
    assert actor_name("service", "planning", NAMES) == "planning"
    assert actor_name("system", "", NAMES) == "Aira"
    assert actor_name("", "", NAMES) == "Aira"
    assert actor_name("anonymous", "anonymous", NAMES) == "someone"


def test_projects() -> None:
    assert said("project", "created", snapshot={"name": "Apollo"}) == "Ada created the project “Apollo”"
    assert said("project", "created") == "Ada created the project"
    assert (
        said("project", "updated", changes={"name": {"from": "Apollo", "to": "Gemini"}})
        == "Ada renamed the project to “Gemini”"
    )
    assert (
        said("project", "updated", changes={"vision": {"to": "x"}, "description": {"to": "y"}})
        == "Ada updated the project's description and vision"
    )
    assert said("project", "deleted", snapshot={"name": "Apollo"}) == "Ada deleted the project “Apollo”"
    assert (
        said("project", "ownership_transferred", changes={"owner": {"from": ADA, "to": BOB}})
        == "Ada handed ownership of the project to Bob"
    )


def test_members() -> None:
    membership = str(uuid.uuid4())
    assert (
        said("member", "added", membership, snapshot={"user_id": ADA, "role": "owner"})
        == "Ada joined the project as an owner"
    )
    assert (
        said("member", "added", membership, snapshot={"user_id": BOB, "role": "viewer"}) == "Ada added Bob as a viewer"
    )
    assert (
        said("member", "role_changed", BOB, changes={"role": {"from": "member", "to": "product_manager"}})
        == "Ada changed Bob's role from member to product manager"
    )
    assert (
        said("member", "role_changed", ADA, changes={"role": {"from": "owner", "to": "admin"}})
        == "Ada changed their own role from owner to admin"
    )
    assert said("member", "removed", BOB, actor=BOB) == "Bob left the project"
    assert said("member", "removed", BOB) == "Ada removed Bob from the project"
    stranger = str(uuid.uuid4())
    assert said("member", "removed", stranger) == "Ada removed someone from the project"


def test_invitations() -> None:
    invitation = {"email": "bob@example.com", "role": "viewer", "status": "pending"}
    assert said("invitation", "created", snapshot=invitation) == "Ada invited bob@example.com to join as a viewer"
    assert said("invitation", "accepted", actor=BOB, snapshot=invitation) == (
        "Bob accepted the invitation to join as a viewer"
    )
    assert said("invitation", "declined", actor=BOB, snapshot=invitation) == (
        "Bob declined the invitation to join the project"
    )
    assert said("invitation", "revoked", snapshot=invitation) == "Ada revoked the invitation for bob@example.com"


def test_settings_billing_integrations_issues_keys() -> None:
    changes = {
        "timezone": {"from": "UTC", "to": "Europe/Berlin"},
        "heartbeat_enabled": {"from": True, "to": False},
        "auto_rebalance_mode": {"from": "off", "to": "auto_with_approval"},
    }
    assert said("project_settings", "updated", changes=changes) == (
        "Ada set automatic rebalancing to auto with approval, turned the heartbeat off and set the timezone to "
        "Europe/Berlin"
    )
    assert said("project_settings", "updated", changes={"llm_model": {"from": "x", "to": None}}) == (
        "Ada cleared the AI model"
    )
    assert said("billing", "updated", changes={"plan": {"from": "trial", "to": "team"}}) == (
        "Ada changed the plan from trial to team"
    )
    assert said("integration", "configured", "github") == "Ada configured the GitHub integration"
    assert said("integration", "removed", "slack") == "Ada removed the Slack integration"
    issue = {"title": "Login broken", "status": "open", "priority": "high"}
    assert said("issue", "created", snapshot=issue) == "Ada raised the issue “Login broken” (high priority)"
    assert said("issue", "updated", snapshot=issue, changes={"status": {"from": "open", "to": "in_progress"}}) == (
        "Ada marked the issue “Login broken” as in progress"
    )
    assert said(
        "issue",
        "updated",
        snapshot=issue,
        changes={"priority": {"from": "low", "to": "high"}, "description": {"from": "", "to": "x"}},
    ) == ("Ada updated the issue “Login broken”: set its priority to high and edited its description")
    key = {"name": "CI", "scopes": ["read", "write"], "prefix": "aira_x"}
    assert said("api_key", "created", snapshot=key) == "Ada created the API key “CI” (read, write)"
    assert said("api_key", "revoked", snapshot=key) == "Ada revoked the API key “CI”"


def test_accounts() -> None:
    assert said("user", "signed_up", BOB, actor="anonymous") == "Bob signed up"
    assert said("user", "email_verified", BOB) == "Bob verified their email address"
    renamed = {"name": {"from": "Bob", "to": "Robert"}}
    assert said("user", "renamed", BOB, changes=renamed) == "Bob changed their name to Robert"


def test_agents_own_events_read_from_their_payloads() -> None:
    budget = {"monthly_limit_usd": "100.000000", "daily_limit_usd": "5", "alert_threshold": "0.8", "hard_limit": True}
    assert said("budget", "updated", payload=budget) == "Ada set the AI budget to $100.00 a month and $5.00 a day"
    assert said("budget", "updated", payload={"hard_limit": False}) == "Ada removed the AI budget's limits"
    reached = {"period": "month", "limit_usd": "100", "spent_usd": "81.2"}
    facts = Facts("budget", "threshold_reached", "b-1", "system", "", payload=reached)
    assert describe(facts, {}).summary == "Aira noticed AI spending this month reached $81.20 of the $100.00 limit"
    job = {"job_type": "report", "status": "dead", "last_error": "RuntimeError: boom"}
    facts = Facts("job", "dead", "j-1", "system", "", payload=job)
    assert describe(facts, {}).summary == "Aira gave up on the job “report” after repeated failures: RuntimeError: boom"
    assert said("job", "enqueued", payload={"job_type": "heartbeat"}) == "Ada queued the job “heartbeat”"


@pytest.mark.parametrize(
    ("entity_type", "action", "facts", "sentence"),
    [
        (
            "source",
            "added",
            {"snapshot": {"title": "Q3 interviews", "type": "docx"}},
            "Ada added the source “Q3 interviews”",
        ),
        ("source", "updated", {"snapshot": {"title": "Roadmap"}}, "Ada replaced the content of the source “Roadmap”"),
        (
            "insight",
            "created",
            {"snapshot": {"title": "SSO is a blocker"}},
            "Ada recorded the insight “SSO is a blocker”",
        ),
        (
            "feature",
            "created",
            {"snapshot": {"title": "Support SSO login"}},
            "Ada proposed the feature “Support SSO login”",
        ),
        (
            "feature",
            "status_changed",
            {
                "snapshot": {"title": "Support SSO login"},
                "changes": {"status": {"from": "planned", "to": "in_progress"}},
            },
            "Ada moved the feature “Support SSO login” to in progress",
        ),
        ("feature", "shipped", {"snapshot": {"title": "CSV export"}}, "Ada shipped the feature “CSV export”"),
        ("task", "created", {"snapshot": {"key": "AIR-42", "title": "Add SAML"}}, "Ada created AIR-42 “Add SAML”"),
        (
            "task",
            "status_changed",
            {
                "snapshot": {"key": "AIR-42", "title": "Add SAML"},
                "changes": {"status": {"from": "todo", "to": "review"}},
            },
            "Ada moved AIR-42 “Add SAML” to review",
        ),
        (
            "task",
            "updated",
            {"snapshot": {"key": "AIR-7"}, "changes": {"priority": {"from": "low", "to": "high"}, "due_date": {}}},
            "Ada changed AIR-7 (due date and priority)",
        ),
        (
            "pull_request",
            "linked",
            {"snapshot": {"repo_full_name": "acme/app", "pr_number": 12}, "payload": {"task_key": "AIR-42"}},
            "Ada linked pull request acme/app#12 to AIR-42",
        ),
        (
            "pull_request",
            "updated",
            {
                "snapshot": {"repo_full_name": "acme/app", "pr_number": 12, "pr_state": "merged"},
                "payload": {"task_key": "AIR-42"},
            },
            "pull request acme/app#12 is now merged (AIR-42)",
        ),
        ("sprint", "started", {"snapshot": {"name": "Sprint 3"}}, "Ada started the sprint “Sprint 3”"),
        (
            "sprint",
            "completed",
            {"snapshot": {"name": "Sprint 3", "committed_hours": "40.00", "completed_hours": "32.50"}},
            "Ada completed the sprint “Sprint 3”: 32.50 of 40.00 committed hours done",
        ),
        ("sprint_plan", "requested", {}, "Ada asked for a sprint plan"),
        ("sprint_plan", "completed", {}, "A sprint plan is ready"),
        ("repository_analysis", "failed", {}, "A repository analysis failed"),
        (
            "team_member",
            "added",
            {"snapshot": {"name": "Dana", "role": "backend engineer"}},
            "Ada added Dana (backend engineer) to the team",
        ),
        ("team_member", "removed", {"snapshot": {"name": "Bot"}}, "Ada removed Bot from the team"),
    ],
)
def test_planning_and_team_events(entity_type: str, action: str, facts: dict, sentence: str) -> None:
    assert said(entity_type, action, **facts) == sentence


@pytest.mark.parametrize(
    ("entity_type", "action"),
    [
        (e, a)
        for e, actions in {
            "source": ("added", "updated", "deleted"),
            "insight": ("created", "updated"),
            "feature": ("created", "updated", "status_changed", "shipped", "deleted"),
            "task": ("created", "updated", "status_changed", "deleted"),
            "pull_request": ("linked", "updated", "unlinked"),
            "sprint": ("created", "updated", "started", "completed"),
            "sprint_plan": ("requested", "completed", "failed", "applied"),
            "repository_analysis": ("requested", "completed", "failed"),
            "team_member": ("added", "updated", "removed"),
        }.items()
        for a in actions
    ],
)
def test_planning_and_team_events_read_well_without_a_snapshot(entity_type: str, action: str) -> None:
    sentence = said(entity_type, action)
    assert sentence and "None" not in sentence and "  " not in sentence
    assert "e-1" not in sentence, "a worded event never falls back to the raw id"


def test_unknown_events_read_generically() -> None:
    facts = Facts("sprint_plan", "rolled_back", "s-9", "service", "planning")
    sentence = describe(facts, {})
    assert sentence.summary == "planning rolled back sprint plan s-9"
    assert (sentence.actor_name, sentence.verb) == ("planning", "rolled_back")


def test_long_values_are_clipped() -> None:
    summary = said("project", "created", snapshot={"name": "x" * 5000})
    assert len(summary) < 200 and summary.endswith("…”")


def test_the_people_to_look_up() -> None:
    assert mentioned(Facts("member", "added", "m-1", "user", ADA, snapshot={"user_id": BOB})) == {ADA, BOB}
    assert mentioned(Facts("member", "removed", BOB, "service", "identity")) == {BOB}
    assert mentioned(Facts("project", "ownership_transferred", "p", "user", ADA, changes={"owner": {"to": BOB}})) == {
        ADA,
        BOB,
    }
    assert mentioned(Facts("issue", "created", "i", "anonymous", "anonymous")) == set()


# --- through the real services -------------------------------------------------------------


def _reader(principals, project_id: str):
    return principals.metadata(Principal(subject=str(uuid.uuid4()), kind="user", project_id=project_id, role="viewer"))


async def _activity(audit, principals, project_id: str, limit: int = 50) -> list[audit_pb2.ActivityEntry]:
    items, cursor = [], ""
    while True:
        page = await audit.ListActivity(
            audit_pb2.ListActivityRequest(
                project_id=project_id, page=types_pb2.PageRequest(limit=limit, cursor=cursor)
            ),
            metadata=_reader(principals, project_id),
        )
        items += page.items
        cursor = page.page.next_cursor
        if not cursor:
            return items


async def known_name(engine, user_id: str) -> str | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(agents_models.KnownPerson.name).where(agents_models.KnownPerson.user_id == uuid.UUID(user_id))
            )
        ).scalar_one_or_none()


async def _wait_for_activity(audit, principals, project_id: str, count: int, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        items = await _activity(audit, principals, project_id)
        if len(items) >= count or asyncio.get_running_loop().time() > deadline:
            return items
        await asyncio.sleep(0.1)


@pytest.mark.usefixtures("clean_db")
async def test_identity_activity_reads_like_sentences(identity_channel, agents_channel, principals) -> None:
    accounts = accounts_pb2_grpc.AccountsStub(identity_channel)
    projects = projects_pb2_grpc.ProjectsStub(identity_channel)
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    ada = (
        await accounts.SignUp(
            accounts_pb2.SignUpRequest(email="ada@example.com", password="a sturdy passphrase 42", name="Ada"),
            metadata=principals.metadata(),
        )
    ).user
    project = await projects.CreateProject(
        projects_pb2.CreateProjectRequest(name="Apollo"), metadata=principals.user(ada.id)
    )
    await projects.UpdateSettings(
        projects_pb2.UpdateSettingsRequest(project_id=project.id, timezone="Europe/Berlin", heartbeat_enabled=False),
        metadata=principals.user(ada.id),
    )
    await projects.CreateIssue(
        projects_pb2.CreateIssueRequest(project_id=project.id, title="Login broken", priority="high"),
        metadata=principals.user(ada.id),
    )
    feed = await _wait_for_activity(audit, principals, project.id, 4)
    assert [(e.sequence, e.summary) for e in feed] == [
        (4, "Ada raised the issue “Login broken” (high priority)"),
        (3, "Ada turned the heartbeat off and set the timezone to Europe/Berlin"),
        (2, "Ada joined the project as an owner"),
        (1, "Ada created the project “Apollo”"),
    ]
    first = feed[-1]
    assert (first.actor.type, first.actor.id, first.actor_name, first.verb) == ("user", ada.id, "Ada", "created")
    assert (first.entity_type, first.entity_id) == ("project", project.id)
    # Pages, newest first.
    assert [e.sequence for e in await _activity(audit, principals, project.id, limit=3)] == [4, 3, 2, 1]


@pytest.mark.usefixtures("clean_db")
async def test_each_event_gets_one_sentence_with_its_sequence(agents_channel, principals, settings) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    stranger = str(uuid.uuid4())

    def event(entity_type: str, action: str, actor: types_pb2.Actor, payload, **fields) -> object:
        return to_envelope(
            Event(
                entity_type=entity_type,
                action=action,
                entity_id=fields.pop("entity_id", str(uuid.uuid4())),
                project_id=project_id,
                payload=payload,
                actor=actor,
                **fields,
            ),
            domain="agents" if entity_type in ("budget", "job") else "identity",
            producer="test",
        )

    envelopes = [
        event(
            "project",
            "updated",
            types_pb2.Actor(type="user", id=stranger),
            events_pb2.ProjectChanged(),
            changes={"name": {"from": "A", "to": "B"}},
        ),
        event(
            "budget",
            "updated",
            types_pb2.Actor(type="user", id=stranger),
            agents_events.BudgetUpdated(project_id=project_id, monthly_limit_usd="250"),
        ),
        event(
            "job",
            "dead",
            types_pb2.Actor(type="system"),
            agents_events.JobChanged(project_id=project_id, job_type="report", status="dead"),
        ),
        event("launch", "scheduled", types_pb2.Actor(type="service", id="planning"), events_pb2.ProjectChanged()),
    ]
    await publish(settings, envelopes, copies=2)  # redelivered under other message ids: still once each
    feed = await _wait_for_activity(audit, principals, project_id, 4)
    await asyncio.sleep(0.5)
    feed = await _activity(audit, principals, project_id)
    launch_id = envelopes[3].entity_id
    # Two streams (IDENTITY, AGENTS) interleave freely: the sentences, numbered 1..4 in some order.
    assert sorted(e.sequence for e in feed) == [1, 2, 3, 4]
    assert {e.summary for e in feed} == {
        "someone renamed the project to “B”",
        "someone set the AI budget to $250.00 a month",
        "Aira gave up on the job “report” after repeated failures",
        f"planning scheduled launch {launch_id}",
    }
    events = (
        await audit.ListEvents(
            audit_pb2.ListEventsRequest(project_id=project_id), metadata=_reader(principals, project_id)
        )
    ).items
    assert sorted((e.sequence, e.entity_id) for e in events) == sorted((e.sequence, e.entity_id) for e in feed)


@pytest.mark.usefixtures("clean_db")
async def test_names_are_learnt_from_sign_ups_and_renames(
    agents_channel, principals, settings, service_engines
) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id, grace = str(uuid.uuid4()), str(uuid.uuid4())
    signed_up = to_envelope(
        Event(
            entity_type="user",
            action="signed_up",
            entity_id=grace,
            payload=events_pb2.UserSignedUp(user_id=grace, email="grace@example.com", name="Grace"),
        ),
        domain="identity",
        producer="identity",
    )
    created = to_envelope(
        Event(
            entity_type="project",
            action="created",
            entity_id=project_id,
            project_id=project_id,
            payload=events_pb2.ProjectCreated(project_id=project_id, name="Hopper"),
            snapshot={"name": "Hopper"},
            actor=types_pb2.Actor(type="api_key", id=grace),
        ),
        domain="identity",
        producer="identity",
    )
    await publish(settings, [signed_up, created])
    feed = await _wait_for_activity(audit, principals, project_id, 1)
    assert [e.summary for e in feed] == ["Grace (API key) created the project “Hopper”"]

    renamed = to_envelope(
        Event(
            entity_type="user",
            action="renamed",
            entity_id=grace,
            payload=events_pb2.UserRenamed(user_id=grace, name="Grace Hopper", previous_name="Grace"),
            changes={"name": {"from": "Grace", "to": "Grace Hopper"}},
        ),
        domain="identity",
        producer="identity",
    )
    updated = to_envelope(
        Event(
            entity_type="project",
            action="updated",
            entity_id=project_id,
            project_id=project_id,
            payload=events_pb2.ProjectChanged(project_id=project_id),
            changes={"name": {"from": "Hopper", "to": "Cobol"}},
            actor=types_pb2.Actor(type="user", id=grace),
        ),
        domain="identity",
        producer="identity",
    )
    await publish(settings, [renamed])
    deadline = asyncio.get_running_loop().time() + 20
    while await known_name(service_engines["agents"], grace) != "Grace Hopper":
        assert asyncio.get_running_loop().time() < deadline, "the rename was not learnt"
        await asyncio.sleep(0.1)
    await publish(settings, [updated])
    feed = await _wait_for_activity(audit, principals, project_id, 2)
    assert "Grace Hopper renamed the project to “Cobol”" in {e.summary for e in feed}


async def test_only_the_project_reads_its_activity(agents_channel, principals) -> None:
    audit = audit_pb2_grpc.AuditLogStub(agents_channel)
    project_id = str(uuid.uuid4())
    someone = str(uuid.uuid4())
    request = audit_pb2.ListActivityRequest(project_id=project_id)
    outsider = Principal(subject=someone, kind="user", project_id=str(uuid.uuid4()), role="owner")
    await refused(
        audit.ListActivity,
        request,
        principals.metadata(outsider),
        grpc.StatusCode.NOT_FOUND,
        "project-not-found",
    )
    await refused(
        audit.ListActivity, request, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated"
    )
    await refused(
        audit.ListActivity,
        audit_pb2.ListActivityRequest(project_id=project_id, page=types_pb2.PageRequest(cursor="garbage!")),
        _reader(principals, project_id),
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid-cursor",
    )


@pytest.mark.usefixtures("clean_db")
async def test_a_batch_is_recorded_as_one_by_one_would(service_engines, admin_engine) -> None:
    """The consumer's batch path (record_all) and its one-by-one fallback (record) agree."""
    sessionmaker = db.create_sessionmaker(service_engines["agents"])

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker, domain="agents", producer="test", infra=agents_models.infra)

    def story(project_id: str, linus: str) -> list:
        by_linus = types_pb2.Actor(type="user", id=linus)
        events = [
            Event("user", "signed_up", linus, events_pb2.UserSignedUp(user_id=linus, name="Linus")),
            Event(
                "project",
                "created",
                project_id,
                events_pb2.ProjectCreated(),
                project_id,
                {"name": "Kernel"},
                None,
                by_linus,
            ),
            error_event("sync_failed", "it broke", project_id=project_id),
            Event("issue", "created", "i-1", events_pb2.IssueChanged(), project_id, {"title": "Oops"}, None, by_linus),
        ]
        envelopes = [to_envelope(e, domain="identity", producer="identity") for e in events]
        return [*envelopes, envelopes[1]]  # and a repeat

    batched, single = str(uuid.uuid4()), str(uuid.uuid4())
    async with uow() as work:
        await audit_log.record_all(work, story(batched, str(uuid.uuid4())))
        await work.commit()
    for envelope in story(single, str(uuid.uuid4())):
        async with uow() as work:
            await audit_log.record(work, envelope)
            if envelope.type == "identity.user.signed_up.v1":
                await known_people.learn_name(work, envelope)
            await work.commit()

    async def feed(project_id: str) -> list[tuple]:
        async with admin_engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT a.sequence, a.summary, e.sequence FROM agents.activity_log a "
                    "JOIN agents.events e ON e.id = a.event_id WHERE a.project_id = :p ORDER BY a.sequence"
                ),
                {"p": project_id},
            )
            return [tuple(r) for r in rows]

    expected = [(1, "Linus created the project “Kernel”", 1), (2, "Linus raised the issue “Oops”", 2)]
    assert await feed(batched) == expected
    assert await feed(single) == expected
    async with admin_engine.connect() as conn:
        errors = (await conn.execute(text("SELECT count(*) FROM agents.error_log"))).scalar_one()
        logged = (
            await conn.execute(text("SELECT count(*) FROM agents.events WHERE entity_type = 'error'"))
        ).scalar_one()
    assert (errors, logged) == (2, 0)
