"""Pull requests linked to tasks: by branch, by closing keywords in the body, or by hand; merged
ones complete their tasks and ship finished features when the project's PR automation is on.

Rules (the README's "Pull requests" section says why):

- **Linking** (:func:`record_pull_request`, for services that process repository webhooks): the
  branch ``task/<KEY>…`` (``task/AIR-42-fix-login``; ``refs/heads/`` ignored) names one task;
  the body names any number with a closing keyword — ``close``, ``closes``, ``closed``, ``fix``,
  ``fixes``, ``fixed``, ``resolve``, ``resolves``, ``resolved`` — followed by one key or a list
  (``Closes AIR-1, AIR-2 and AIR-3``). Keys match in any case, only within the project; keys no
  task has are reported, not an error. A link found by branch says ``branch``, else ``body``.
- **State**: every link of the pull request in the project (including manual ones) takes the
  state of each delivery — except that ``merged`` is final, so a late ``closed`` or ``open``
  delivery cannot undo a merge.
- **Automation**: when a link *becomes* merged and the project's PR automation is on, its task
  becomes ``done`` (``completed_at`` = the merge time) from whatever status it had, its sprint's
  hours are recounted, and each feature of those tasks whose tasks are then all done is shipped.
  With automation off the links are recorded and nothing else changes — and turning it on later
  does not replay old merges. Manual status changes never ship a feature.
- **Idempotent**: a delivery repeated (or retried) finds the links in the state it left them and
  changes nothing; the reply describes the state, so it is the same each time.
- **Manual links** (work_on_tasks): provider ``github|gitlab|bitbucket``, ``owner/name`` (GitLab
  subgroups allowed, stored lowercase), the number; the same pull request twice on one task is
  409 ``pull-request-already-linked``. A manual link in state ``merged`` completes the task the
  same way. Unlinking never reopens a task.

Events: ``planning.pull_request.<linked|updated|unlinked>.v1`` (PullRequestChanged). Functions
here only flush; the edge commits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.principal import Principal
from services.chassis.uow import UnitOfWork
from services.planning import feature_repository, features, tasks
from services.planning import task_repository as repository
from services.planning.insights import clean_text, one_of, parse_id
from services.planning.models import PR_STATES, Task, TaskPullRequest
from services.planning.tasks import project_uuid

PROVIDERS = ("github", "gitlab", "bitbucket")
REPO_NAME = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+")
MAX_REPO = 300
MAX_URL = 2_000
MAX_TITLE = 500
MAX_BRANCH = 300
MAX_BODY = 65_536
MAX_NUMBER = 2**31 - 1
GATEWAY_SUBJECT = "gateway"
_KEY_SHAPE = r"[A-Za-z][A-Za-z0-9]{0,9}-[1-9][0-9]{0,8}"
_KEY = rf"{_KEY_SHAPE}\b"
BRANCH = re.compile(rf"task/({_KEY_SHAPE})(?![0-9])", re.IGNORECASE)
CLOSING = re.compile(
    rf"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b[:\s]+({_KEY}(?:\s*(?:,|\band\b|&)\s*{_KEY})*)", re.IGNORECASE
)
KEY_IN_LIST = re.compile(_KEY)


@dataclass
class LinkView:
    """A link and the key of its task."""

    link: TaskPullRequest
    task_key: str


@dataclass
class Recorded:
    """What recording a pull request left behind (the same for a repeated delivery)."""

    links: list[LinkView] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)
    automation_enabled: bool = False
    done_task_ids: list[uuid.UUID] = field(default_factory=list)
    shipped_feature_ids: list[uuid.UUID] = field(default_factory=list)


# --- reading keys ----------------------------------------------------------------------------


def branch_key(branch: str) -> str | None:
    """The task key a branch names (``task/AIR-42-…``), upper case; None when it names none."""
    name = branch.strip().removeprefix("refs/heads/")
    match = BRANCH.match(name)
    if match is None:
        return None
    rest = name[match.end() :]
    return match.group(1).upper() if not rest or rest[0] in "-_/." else None


def closing_keys(body: str) -> list[str]:
    """The task keys a body closes ("Closes AIR-1", "fixes air-2, AIR-3"), upper case, in order."""
    keys: list[str] = []
    for match in CLOSING.finditer(body):
        for key in KEY_IN_LIST.findall(match.group(1)):
            if key.upper() not in keys:
                keys.append(key.upper())
    return keys


# --- validation ------------------------------------------------------------------------------


def _repo(value: str) -> str:
    name = value.strip().lower()
    if len(name) > MAX_REPO or not REPO_NAME.fullmatch(name):
        raise InvalidArgument("repo_full_name must look like owner/name", field="repo_full_name")
    return name


def _number(value: int) -> int:
    if not 0 < value <= MAX_NUMBER:
        raise InvalidArgument("pr_number must be a positive number", field="pr_number")
    return value


def _url(value: str) -> str:
    url = value.strip()
    if url and (len(url) > MAX_URL or not re.fullmatch(r"https?://[^\s]+", url)):
        raise InvalidArgument("pr_url must be an http(s) URL", field="pr_url")
    return url


def require_service() -> Principal:
    """The calling service (webhook processing); never a person, never the gateway itself."""
    principal = context.principal.get()
    if principal is None or principal.kind == "anonymous":
        raise Unauthenticated("a service principal is required")
    if principal.kind != "service" or principal.subject == GATEWAY_SUBJECT:
        raise PermissionDenied("only services record pull requests", slug="service-required")
    return principal


# --- events ----------------------------------------------------------------------------------


def _snapshot(link: TaskPullRequest) -> dict[str, Any]:
    return {
        "task_id": link.task_id,
        "provider": link.provider,
        "repo_full_name": link.repo_full_name,
        "pr_number": link.pr_number,
        "pr_state": link.pr_state,
        "pr_url": link.pr_url,
        "title": link.title,
        "branch": link.branch,
        "link_method": link.link_method,
        "merged_at": link.merged_at,
    }


def link_event(link: TaskPullRequest, task_key: str, action: str, changes: dict[str, Any] | None = None) -> Event:
    """``planning.pull_request.<action>.v1`` carrying PullRequestChanged."""
    return Event(
        entity_type="pull_request",
        action=action,
        entity_id=str(link.id),
        project_id=link.project_id,
        payload=events_pb2.PullRequestChanged(
            project_id=str(link.project_id),
            task_id=str(link.task_id),
            task_key=task_key,
            provider=link.provider,
            repo_full_name=link.repo_full_name,
            pr_number=link.pr_number,
            pr_state=link.pr_state,
            link_method=link.link_method,
        ),
        changes=changes,
        snapshot=_snapshot(link),
    )


# --- automation ------------------------------------------------------------------------------


async def _complete(
    uow: UnitOfWork, done_by_merge: list[Task], merged_at: datetime | None, sprints: dict[uuid.UUID, str]
) -> None:
    """Complete the tasks of merged pull requests, recount their sprints, ship finished features."""
    completed = [task for task in done_by_merge if await tasks.complete(uow, task, merged_at)]
    if not completed:
        return
    touched = {t.sprint_id for t in completed if t.sprint_id is not None}
    await tasks.recount_open(uow, {s: sprints.get(s, "completed") for s in touched})
    await features.ship_completed(uow, [t.feature_id for t in completed if t.feature_id is not None])


async def _automation_enabled(uow: UnitOfWork, project: uuid.UUID) -> bool:
    profile = await repository.existing_profile(uow, project)
    return profile is not None and profile.pr_automation_enabled


async def _lock_tasks(uow: UnitOfWork, seen: Iterable[Task]) -> tuple[list[Task], dict[uuid.UUID, str]]:
    """Lock the tasks' sprints, then the tasks (the order tasks.py keeps)."""
    seen = list(seen)
    sprints = await tasks.lock_sprints(uow, [t.sprint_id for t in seen])
    locked = await repository.tasks_by_ids(uow, [t.id for t in seen], lock=True)
    if moved := [t.sprint_id for t in locked if t.sprint_id is not None and t.sprint_id not in sprints]:
        sprints |= await tasks.lock_sprints(uow, moved)
    return locked, sprints


# --- recording (services) --------------------------------------------------------------------


async def record_pull_request(
    uow: UnitOfWork,
    *,
    project_id: str,
    provider: str,
    repo_full_name: str,
    pr_number: int,
    pr_url: str = "",
    title: str = "",
    body: str = "",
    branch: str = "",
    state: str,
    merged_at: datetime | None = None,
    delivery_id: str = "",
) -> Recorded:
    """Link the pull request to the tasks it names and bring its links up to date (see the
    module's rules)."""
    require_service()
    try:
        project = uuid.UUID(project_id)
    except ValueError as exc:
        raise InvalidArgument("project_id is not a project id", field="project_id") from exc
    provider = one_of(provider, PROVIDERS, "provider")
    repo = _repo(repo_full_name)
    number = _number(pr_number)
    state = one_of(state, PR_STATES, "state")
    url = _url(pr_url)
    title = clean_text(title, "title", limit=MAX_TITLE * 4, required=False)[:MAX_TITLE]
    branch = branch.strip()[:MAX_BRANCH]
    from_branch = branch_key(branch)
    keys = ([from_branch] if from_branch else []) + [k for k in closing_keys(body[:MAX_BODY]) if k != from_branch]
    if state == "merged" and merged_at is None:
        merged_at = datetime.now(UTC)
    if state != "merged":
        merged_at = None

    # Read first, then lock sprints → tasks → links: the order every writer of tasks keeps.
    named = await repository.tasks_by_keys(uow, project, keys)
    seen = {t.id: t for t in named}
    earlier = await repository.links_of_pull_request(uow, project, provider, repo, number)
    for task in await repository.tasks_by_ids(uow, {link.task_id for link in earlier} - set(seen)):
        seen[task.id] = task
    locked, sprints = await _lock_tasks(uow, seen.values())
    by_id = {t.id: t for t in locked}
    by_key = {t.key: t for t in locked if t.project_id == project}
    existing = await repository.links_of_pull_request(uow, project, provider, repo, number, lock=True)
    linked_ids = {link.task_id for link in existing}
    automation = await _automation_enabled(uow, project)

    newly_merged: list[Task] = []
    details = {"delivery_id": delivery_id} if delivery_id else {}
    for link in existing:
        task = by_id.get(link.task_id)
        if task is None:
            continue
        values = {"pr_state": state if link.pr_state != "merged" else "merged"}
        values |= {"pr_url": url or link.pr_url, "title": title or link.title, "branch": branch or link.branch}
        if values["pr_state"] == "merged" and link.merged_at is None:
            values["merged_at"] = merged_at
        changes = {k: {"from": getattr(link, k), "to": v} for k, v in values.items() if getattr(link, k) != v}
        if changes:
            if changes.get("pr_state", {}).get("to") == "merged":
                newly_merged.append(task)
            for name, change in changes.items():
                setattr(link, name, change["to"])
            await repository.save_link(uow, link)
            uow.emit(link_event(link, task.key, "updated", changes | details))
    for key in keys:
        task = by_key.get(key)
        if task is None or task.id in linked_ids:
            continue
        link = await repository.add_link(
            uow,
            {
                "id": uuid7(),
                "task_id": task.id,
                "project_id": project,
                "provider": provider,
                "repo_full_name": repo,
                "pr_number": number,
                "pr_state": state,
                "pr_url": url,
                "title": title,
                "branch": branch,
                "link_method": "branch" if key == from_branch else "body",
                "merged_at": merged_at,
            },
        )
        if link is not None:
            linked_ids.add(task.id)
            uow.emit(link_event(link, task.key, "linked", details or None))
            if state == "merged":
                newly_merged.append(task)
    if automation:
        await _complete(uow, newly_merged, merged_at, sprints)

    links = await repository.links_of_pull_request(uow, project, provider, repo, number)
    linked_tasks = [by_id[link.task_id] for link in links if link.task_id in by_id]
    feature_ids = sorted({t.feature_id for t in linked_tasks if t.feature_id is not None})
    return Recorded(
        links=[LinkView(link, by_id[link.task_id].key) for link in links if link.task_id in by_id],
        unknown_keys=[k for k in keys if k not in by_key],
        automation_enabled=automation,
        done_task_ids=sorted(t.id for t in linked_tasks if t.status == "done"),
        shipped_feature_ids=[
            f.id for f in await feature_repository.features_by_ids(uow, feature_ids) if f.status == "shipped"
        ],
    )


# --- people ----------------------------------------------------------------------------------


async def list_links(uow: UnitOfWork, project_id: str, task_ref: str) -> list[LinkView]:
    """The pull requests linked to a task (read), oldest link first."""
    require(context.principal.get(), project_id, Action.READ)
    task = await tasks.find(uow, project_uuid(project_id), task_ref)
    return [LinkView(link, task.key) for link in await repository.links_of_task(uow, task.id)]


async def link_pull_request(
    uow: UnitOfWork,
    project_id: str,
    task_ref: str,
    *,
    provider: str,
    repo_full_name: str,
    pr_number: int,
    pr_url: str = "",
    pr_state: str = "",
    title: str = "",
    branch: str = "",
) -> LinkView:
    """Link a pull request to a task by hand (work_on_tasks); ``planning.pull_request.linked.v1``."""
    require(context.principal.get(), project_id, Action.WORK_ON_TASKS)
    project = project_uuid(project_id)
    values = {
        "provider": one_of(provider, PROVIDERS, "provider"),
        "repo_full_name": _repo(repo_full_name),
        "pr_number": _number(pr_number),
        "pr_url": _url(pr_url),
        "pr_state": one_of(pr_state or "open", PR_STATES, "pr_state"),
        "title": clean_text(title, "title", limit=MAX_TITLE, required=False),
        "branch": clean_text(branch, "branch", limit=MAX_BRANCH, required=False),
    }
    seen = await tasks.find(uow, project, task_ref)
    [task], sprints = await _lock_tasks(uow, [seen])
    merged_at = datetime.now(UTC) if values["pr_state"] == "merged" else None
    link = await repository.add_link(
        uow,
        {"id": uuid7(), "task_id": task.id, "project_id": project, "link_method": "manual", "merged_at": merged_at}
        | values,
    )
    if link is None:
        raise Conflict("this pull request is already linked to the task", slug="pull-request-already-linked")
    uow.emit(link_event(link, task.key, "linked"))
    if link.pr_state == "merged" and await _automation_enabled(uow, project):
        await _complete(uow, [task], merged_at, sprints)
    return LinkView(link, task.key)


async def unlink_pull_request(uow: UnitOfWork, project_id: str, task_ref: str, link_id: str) -> uuid.UUID:
    """Remove a link (work_on_tasks); the task keeps its status. ``planning.pull_request.unlinked.v1``."""
    require(context.principal.get(), project_id, Action.WORK_ON_TASKS)
    task = await tasks.find(uow, project_uuid(project_id), task_ref)
    link = await repository.link_of(uow, task.id, parse_id(link_id, "link", missing="pull-request-link-not-found"))
    if link is None:
        raise NotFound("no such pull request link on this task", slug="pull-request-link-not-found")
    event = link_event(link, task.key, "unlinked")
    await repository.delete_link(uow, link)
    uow.emit(event)
    return link.id
