"""The activity feed's wording: one sentence per audit event, e.g. "Ada invited bob@example.com to join
as a viewer".

Pure functions, no I/O: :func:`describe` takes what an event says (:class:`Facts`) and the names of
the people it mentions (user id → name, from ``known_people``; :func:`mentioned` says whose names
to look up) and returns the actor's name, the verb and the sentence. Wording lives in
:data:`TEMPLATES`, keyed by (entity type, action); an event without a template still reads
"<actor> <action> <entity type> <entity id>", so a new domain's events appear in the feed before
anyone words them.

Who acted: people by name ("someone" when agents has not learnt it), their API keys and MCP
clients as "<name> (API key)" / "<name> (MCP)", services by their name, the system as "Aira".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

SOMEONE = "someone"
SYSTEM = "Aira"
MAX_SUMMARY = 1000
MAX_QUOTED = 120

# Principal kinds that stand for a person (docs/decisions/0003-principal-tokens.md).
_PERSON_KINDS = {"user": "{}", "api_key": "{} (API key)", "mcp": "{} (MCP)"}

Names = Mapping[str, str]


class LazyFields(Mapping[str, Any]):
    """A mapping computed on first use: reading a typed payload is costly, and few sentences need it."""

    def __init__(self, compute: Callable[[], Mapping[str, Any]]) -> None:
        self._compute = compute
        self._fields: Mapping[str, Any] | None = None

    def _loaded(self) -> Mapping[str, Any]:
        if self._fields is None:
            self._fields = self._compute()
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@dataclass(frozen=True)
class Facts:
    """What an audit event says, as the feed needs it (no payload types: see decision 0005)."""

    entity_type: str
    action: str
    entity_id: str
    actor_type: str = "system"
    actor_id: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict)
    snapshot: Mapping[str, Any] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)  # when agents knows the payload's type

    def value(self, key: str) -> Any:
        """``key`` from the snapshot, else the new value in ``changes``, else the payload (None if absent)."""
        if self.snapshot.get(key) not in (None, ""):
            return self.snapshot[key]
        change = self.changes.get(key)
        if isinstance(change, Mapping) and change.get("to") not in (None, ""):
            return change["to"]
        found = self.payload.get(key)
        return None if found in (None, "") else found

    def change(self, key: str) -> tuple[Any, Any] | None:
        """(from, to) of a changed field, or None when it did not change."""
        change = self.changes.get(key)
        if not isinstance(change, Mapping):
            return None
        return change.get("from"), change.get("to")

    def by_subject(self, user_id: Any) -> bool:
        """Whether the actor is the person the event is about (joining, leaving …)."""
        return self.actor_type in _PERSON_KINDS and bool(user_id) and str(user_id) == self.actor_id


@dataclass(frozen=True)
class Sentence:
    actor_name: str
    verb: str
    summary: str


def actor_name(actor_type: str, actor_id: str, names: Names) -> str:
    """How the feed names whoever acted."""
    if actor_type in _PERSON_KINDS:
        return _PERSON_KINDS[actor_type].format(names.get(actor_id) or SOMEONE)
    if actor_type == "service":
        return actor_id or "a service"
    if actor_type in ("system", ""):
        return SYSTEM
    return SOMEONE


def mentioned(facts: Facts) -> set[str]:
    """Ids of the people whose names the sentence may use (the actor and whom the event is about)."""
    ids = {facts.actor_id} if facts.actor_type in _PERSON_KINDS else set()
    if facts.entity_type == "member":
        ids.add(str(_member(facts)))
    elif facts.entity_type == "user":
        ids.add(facts.entity_id)
    elif (facts.entity_type, facts.action) == ("project", "ownership_transferred"):
        ids.add(str((facts.change("owner") or (None, None))[1]))
    return {i for i in ids if _is_uuid(i)}


def describe(facts: Facts, names: Names) -> Sentence:
    """The actor's name, the verb and the sentence for one event."""
    who = actor_name(facts.actor_type, facts.actor_id, names)
    template = TEMPLATES.get((facts.entity_type, facts.action), _generic)
    summary = _clip(template(facts, who, names), MAX_SUMMARY)
    return Sentence(actor_name=who, verb=facts.action, summary=summary)


# --- words ---------------------------------------------------------------------------------


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(identifier: Any) -> str:
    """``product_manager`` → ``product manager``."""
    return str(identifier).replace("_", " ").strip()


def _quoted(text: Any) -> str:
    return f"“{_clip(str(text), MAX_QUOTED)}”" if text not in (None, "") else ""


def _a(noun: str) -> str:
    """``noun`` with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _role(role: Any) -> str:
    return _a(_words(role)) if role else "a member"


def _listed(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _person(names: Names, user_id: Any) -> str:
    return names.get(str(user_id)) or SOMEONE


def _money(amount: Any) -> str:
    try:
        return f"${Decimal(str(amount)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(amount)


def _titled(name: str, subject: Any) -> str:
    """``the project “Apollo”``, or ``the project`` when the name is unknown."""
    quoted = _quoted(subject)
    return f"the {name} {quoted}" if quoted else f"the {name}"


# --- templates: (entity type, action) → sentence ----------------------------------------------

Template = Callable[[Facts, str, Names], str]


def _generic(f: Facts, who: str, names: Names) -> str:
    return " ".join(part for part in (who, _words(f.action), _words(f.entity_type), f.entity_id) if part)


def _project_created(f: Facts, who: str, names: Names) -> str:
    return f"{who} created {_titled('project', f.value('name'))}"


_PROJECT_FIELDS = {"onboarding_mode": "onboarding mode"}


def _project_updated(f: Facts, who: str, names: Names) -> str:
    renamed = f.change("name")
    if renamed and len(f.changes) == 1:
        return f"{who} renamed the project to {_quoted(renamed[1])}"
    fields = [_PROJECT_FIELDS.get(name, _words(name)) for name in sorted(f.changes)]
    return f"{who} updated the project's {_listed(fields)}" if fields else f"{who} updated the project"


def _project_deleted(f: Facts, who: str, names: Names) -> str:
    return f"{who} deleted {_titled('project', f.value('name'))}"


def _ownership_transferred(f: Facts, who: str, names: Names) -> str:
    new_owner = (f.change("owner") or (None, None))[1]
    return f"{who} handed ownership of the project to {_person(names, new_owner)}"


def _member(f: Facts) -> Any:
    """The person a member event is about: ``added`` names the membership row, the others the user."""
    return f.value("user_id") or f.entity_id


def _member_added(f: Facts, who: str, names: Names) -> str:
    user, role = _member(f), f.value("role")
    if f.by_subject(user):
        return f"{who} joined the project as {_role(role)}"
    return f"{who} added {_person(names, user)} as {_role(role)}"


def _member_role_changed(f: Facts, who: str, names: Names) -> str:
    user = _member(f)
    before, after = f.change("role") or (None, f.value("role"))
    whose = "their own" if f.by_subject(user) else f"{_person(names, user)}'s"
    if before:
        return f"{who} changed {whose} role from {_words(before)} to {_words(after)}"
    return f"{who} made {_person(names, user)} {_role(after)}"


def _member_removed(f: Facts, who: str, names: Names) -> str:
    user = _member(f)
    if f.by_subject(user):
        return f"{who} left the project"
    return f"{who} removed {_person(names, user)} from the project"


def _invitation(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        email, role = f.value("email") or "someone", f.value("role")
        return {
            "created": f"{who} invited {email} to join as {_role(role)}",
            "accepted": f"{who} accepted the invitation to join as {_role(role)}",
            "declined": f"{who} declined the invitation to join the project",
            "revoked": f"{who} revoked the invitation for {email}",
        }[verb]

    return sentence


_SETTINGS = {
    "timezone": "the timezone",
    "llm_provider": "the AI provider",
    "llm_model": "the AI model",
    "heartbeat_enabled": "the heartbeat",
    "auto_rebalance_mode": "automatic rebalancing",
    "pr_automation_enabled": "pull request automation",
    "allow_parallel_sprints": "parallel sprints",
}


def _settings_updated(f: Facts, who: str, names: Names) -> str:
    parts = []
    for name in sorted(f.changes):
        label = _SETTINGS.get(name, _words(name))
        after = (f.change(name) or (None, None))[1]
        if isinstance(after, bool):
            parts.append(f"turned {label} {'on' if after else 'off'}")
        elif after in (None, ""):
            parts.append(f"cleared {label}")
        else:
            parts.append(f"set {label} to {_words(after) if name.endswith('_mode') else after}")
    return f"{who} {_listed(parts)}" if parts else f"{who} updated the project settings"


def _billing_updated(f: Facts, who: str, names: Names) -> str:
    before, after = f.change("plan") or (None, f.value("plan"))
    if before:
        return f"{who} changed the plan from {_words(before)} to {_words(after)}"
    return f"{who} switched to the {_words(after)} plan"


_PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "jira": "Jira", "slack": "Slack", "telegram": "Telegram"}


def _integration(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        provider = f.value("provider") or f.entity_id
        return f"{who} {verb} the {_PROVIDERS.get(provider, provider)} integration"

    return sentence


def _issue_created(f: Facts, who: str, names: Names) -> str:
    priority = f.value("priority")
    return f"{who} raised {_titled('issue', f.value('title'))}" + (f" ({priority} priority)" if priority else "")


def _issue_updated(f: Facts, who: str, names: Names) -> str:
    issue = _titled("issue", f.value("title"))
    status = f.change("status")
    if status and len(f.changes) == 1:
        return f"{who} marked {issue} as {_words(status[1])}"
    parts = []
    if status:
        parts.append(f"marked it as {_words(status[1])}")
    if priority := f.change("priority"):
        parts.append(f"set its priority to {priority[1]}")
    if title := f.change("title"):
        parts.append(f"renamed it from {_quoted(title[0])}")
    if "description" in f.changes:
        parts.append("edited its description")
    return f"{who} updated {issue}" + (f": {_listed(parts)}" if parts else "")


def _api_key(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        scopes = f.value("scopes") if verb == "created" else None
        listed = f" ({', '.join(map(str, scopes))})" if isinstance(scopes, list | tuple) and scopes else ""
        return f"{who} {verb} {_titled('API key', f.value('name'))}{listed}"

    return sentence


def _signed_up(f: Facts, who: str, names: Names) -> str:
    return f"{names.get(f.entity_id) or f.value('name') or SOMEONE} signed up"


def _email_verified(f: Facts, who: str, names: Names) -> str:
    return f"{_person(names, f.entity_id)} verified their email address"


def _renamed(f: Facts, who: str, names: Names) -> str:
    change = f.changes.get("name") or {}
    before, after = change.get("from") or SOMEONE, change.get("to") or f.value("name") or SOMEONE
    return f"{before} changed their name to {after}"


def _budget_updated(f: Facts, who: str, names: Names) -> str:
    limits = [
        f"{_money(amount)} {per}"
        for key, per in (("monthly_limit_usd", "a month"), ("daily_limit_usd", "a day"))
        if (amount := f.value(key)) is not None
    ]
    if not limits:
        return f"{who} removed the AI budget's limits"
    soft = " (alerts only, no hard limit)" if f.value("hard_limit") is False else ""
    return f"{who} set the AI budget to {_listed(limits)}{soft}"


def _budget_threshold(f: Facts, who: str, names: Names) -> str:
    period = f.value("period") or "month"
    spent, limit = f.value("spent_usd"), f.value("limit_usd")
    if spent is None or limit is None:
        return f"{who} noticed AI spending this {period} is nearing its limit"
    return f"{who} noticed AI spending this {period} reached {_money(spent)} of the {_money(limit)} limit"


def _job(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        job = _titled("job", f.value("job_type"))
        if verb == "dead":
            error = f.value("last_error")
            return f"{who} gave up on {job} after repeated failures" + (f": {_clip(str(error), 200)}" if error else "")
        return f"{who} {verb} {job}"

    return sentence


# --- planning and team ----------------------------------------------------------------------


def _task_name(f: Facts) -> str:
    """``AIR-42 “Fix login”`` (key and title as far as known)."""
    key = f.value("key") or f.value("task_key")
    title = _quoted(f.value("title"))
    return " ".join(part for part in (str(key) if key else "a task", title) if part)


def _task_created(f: Facts, who: str, names: Names) -> str:
    return f"{who} created {_task_name(f)}"


def _task_status(f: Facts, who: str, names: Names) -> str:
    moved = f.change("status")
    status = moved[1] if moved else f.value("status")
    return f"{who} moved {_task_name(f)} to {_words(status or 'a new status')}"


def _task_updated(f: Facts, who: str, names: Names) -> str:
    fields = _listed(sorted(_words(k) for k in f.changes)) if f.changes else ""
    return f"{who} changed {_task_name(f)}" + (f" ({fields})" if fields else "")


def _task_deleted(f: Facts, who: str, names: Names) -> str:
    return f"{who} deleted {_task_name(f)}"


def _entity(name: str, verb: str, key: str = "title") -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        return f"{who} {verb} {_titled(name, f.value(key))}"

    return sentence


def _feature_status(f: Facts, who: str, names: Names) -> str:
    moved = f.change("status")
    status = moved[1] if moved else f.value("status")
    return f"{who} moved {_titled('feature', f.value('title'))} to {_words(status or 'a new status')}"


def _sprint_completed(f: Facts, who: str, names: Names) -> str:
    sprint = _titled("sprint", f.value("name"))
    done, committed = f.value("completed_hours"), f.value("committed_hours")
    if done is None or committed is None:
        return f"{who} completed {sprint}"
    return f"{who} completed {sprint}: {done} of {committed} committed hours done"


def _pull_request(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        repo, number = f.value("repo_full_name"), f.value("pr_number")
        pr = f"pull request {repo}#{number}" if repo and number else "a pull request"
        key = f.value("task_key")
        target = f" to {key}" if verb == "linked" and key else f" from {key}" if key else ""
        if verb == "updated" and f.value("pr_state"):
            return f"{pr} is now {_words(f.value('pr_state'))}" + (f" ({key})" if key else "")
        return f"{who} {verb} {pr}{target}"

    return sentence


def _team_member(verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        name, role = f.value("name"), f.value("role")
        person = (str(name) + (f" ({role})" if role else "")) if name else "a team member"
        where = {"added": " to the team", "removed": " from the team", "updated": ""}[verb]
        return f"{who} {verb} {person}{where}"

    return sentence


def _run(noun: str, verb: str) -> Template:
    def sentence(f: Facts, who: str, names: Names) -> str:
        if verb == "requested":
            return f"{who} asked for {_a(noun)}"
        article = _a(noun)
        return f"{article[0].upper()}{article[1:]} {verb}"

    return sentence


TEMPLATES: dict[tuple[str, str], Template] = {
    # identity
    ("user", "signed_up"): _signed_up,
    ("user", "email_verified"): _email_verified,
    ("user", "renamed"): _renamed,
    ("project", "created"): _project_created,
    ("project", "updated"): _project_updated,
    ("project", "deleted"): _project_deleted,
    ("project", "ownership_transferred"): _ownership_transferred,
    ("member", "added"): _member_added,
    ("member", "role_changed"): _member_role_changed,
    ("member", "removed"): _member_removed,
    **{("invitation", verb): _invitation(verb) for verb in ("created", "accepted", "declined", "revoked")},
    ("project_settings", "updated"): _settings_updated,
    ("billing", "updated"): _billing_updated,
    ("integration", "configured"): _integration("configured"),
    ("integration", "removed"): _integration("removed"),
    ("issue", "created"): _issue_created,
    ("issue", "updated"): _issue_updated,
    ("api_key", "created"): _api_key("created"),
    ("api_key", "revoked"): _api_key("revoked"),
    # agents
    ("budget", "updated"): _budget_updated,
    ("budget", "threshold_reached"): _budget_threshold,
    ("job", "enqueued"): _job("queued"),
    ("job", "retried"): _job("retried"),
    ("job", "dead"): _job("dead"),
    # planning
    ("source", "added"): _entity("source", "added"),
    ("source", "updated"): _entity("source", "replaced the content of"),
    ("source", "deleted"): _entity("source", "deleted"),
    ("insight", "created"): _entity("insight", "recorded"),
    ("insight", "updated"): _entity("insight", "updated"),
    ("feature", "created"): _entity("feature", "proposed"),
    ("feature", "updated"): _entity("feature", "changed"),
    ("feature", "status_changed"): _feature_status,
    ("feature", "shipped"): _entity("feature", "shipped"),
    ("feature", "deleted"): _entity("feature", "deleted"),
    ("task", "created"): _task_created,
    ("task", "updated"): _task_updated,
    ("task", "status_changed"): _task_status,
    ("task", "deleted"): _task_deleted,
    ("pull_request", "linked"): _pull_request("linked"),
    ("pull_request", "updated"): _pull_request("updated"),
    ("pull_request", "unlinked"): _pull_request("unlinked"),
    ("sprint", "created"): _entity("sprint", "created", "name"),
    ("sprint", "updated"): _entity("sprint", "changed", "name"),
    ("sprint", "started"): _entity("sprint", "started", "name"),
    ("sprint", "completed"): _sprint_completed,
    ("sprint_plan", "requested"): _run("sprint plan", "requested"),
    ("sprint_plan", "completed"): _run("sprint plan", "is ready"),
    ("sprint_plan", "failed"): _run("sprint plan", "failed"),
    ("sprint_plan", "applied"): _entity("sprint plan", "applied", "name"),
    ("repository_analysis", "requested"): _run("repository analysis", "requested"),
    ("repository_analysis", "completed"): _run("repository analysis", "finished"),
    ("repository_analysis", "failed"): _run("repository analysis", "failed"),
    # team
    ("team_member", "added"): _team_member("added"),
    ("team_member", "updated"): _team_member("updated"),
    ("team_member", "removed"): _team_member("removed"),
}
