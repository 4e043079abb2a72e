"""Repository analysis runs: read 1–10 git repositories in the background and keep each analysis
as a source of type ``repository_analysis`` (Markdown, never raw code).

**Starting** (``manage_sources``, since a run writes sources): ``depth`` ``quick`` or ``full``
(runs and items go to ``repository_analysis_*`` or ``repository_full_analysis_*``). Locations are
checked at once and a bad one refuses the whole request (422, nothing written):

- a URL: ``https://``, ``http://``, ``ssh://`` or ``user@host:path``; no credentials in it (they
  would be stored and shown); ``file://``, ``git://`` and transport helpers (``ext::``) are refused;
- a local path: absolute, and only where the deployment allows local repositories
  (``AIRA_REPOSITORY_LOCAL_PATHS``; by default everywhere but production, since it lets anyone who
  may start an analysis make the server read a folder of its disk) and inside
  ``AIRA_REPOSITORY_LOCAL_ROOT`` when that is set (symlinks resolved). Whether the path exists
  and is a git repository is the analysis' business: that item fails with the analysis' slug
  (``repository-not-found``, ``not-a-git-repository``), and the run goes on.

**Job** (``planning.repository_analysis``): per item, an ``analysing`` step, the analysis' own
steps (``cloning``, ``scanning files`` …), then the item is stored with its structured result and
its source in one transaction (the same Markdown twice is the same source: content-hash dedup as
for every source; a new one emits ``planning.source.added.v1`` with its text, which the ledger
ingests). The run ends ``completed`` (some items may have failed; ``failed_count`` says how many)
or ``failed`` when every item failed, with a final step of the same name.

Events: ``planning.repository_analysis.<requested|completed|failed>.v1`` (RepositoryAnalysisChanged).
Functions here only flush; the edge (gRPC handler, job) commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aira.planning.v1 import events_pb2
from services.chassis import context
from services.chassis.authz import Action, require
from services.chassis.errors import DomainError, InvalidArgument, NotFound
from services.chassis.events import Event
from services.chassis.ids import uuid7
from services.chassis.jobs import Job, enqueue
from services.chassis.pagination import cursor_time, decode_cursor, page_limit, time_cursor
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.planning import analysis_run_repository as repository
from services.planning import repository_analysis, run_progress, source_content, source_repository
from services.planning.analysis_run_repository import TABLES, Item, Run, depth_of
from services.planning.insights import parse_id
from services.planning.models import RUN_STATUSES
from services.planning.sources import source_event
from services.planning.tasks import project_uuid

log = logging.getLogger(__name__)

JOB_KIND = "planning.repository_analysis"
JOB_ATTEMPTS = 3
DEPTHS = ("quick", "full")
MAX_REPOSITORIES = 10
MAX_LOCATION = 2_000
URL_SCHEMES = ("https", "http", "ssh")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:(?!-)\S+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SOURCE_TITLE = "Repository analysis: {name}"
MAX_TITLE = 300

# analyse_repository's signature: location, depth and a progress callback → the analysis.
Analyse = Callable[..., Awaitable[repository_analysis.RepositoryAnalysis]]


@dataclass(frozen=True)
class LocalAccess:
    """What the deployment lets analyses read from its own disk."""

    allowed: bool
    root: Path | None = None


@dataclass
class RunView:
    """A run with its depth and, when asked, its items."""

    run: Run
    depth: str
    items: list[Item]


# --- validating locations --------------------------------------------------------------------


def _refuse(detail: str, slug: str = "unsupported-repository-location") -> InvalidArgument:
    return InvalidArgument(detail, slug=slug, field="repositories")


def _url(location: str, scheme: str) -> str:
    if scheme not in URL_SCHEMES:
        raise _refuse(f"unsupported URL scheme {scheme!r}: use https://, http://, ssh:// or user@host:path")
    try:
        parts = urlsplit(location)
        host = parts.hostname or ""
        password = parts.password
    except ValueError as exc:
        raise _refuse(f"not a valid URL: {exc}") from exc
    if not host or host.startswith("-") or any(c.isspace() for c in location):
        raise _refuse("a repository URL must name a host and hold no spaces")
    if password is not None or (scheme in ("http", "https") and parts.username is not None):
        raise _refuse(
            "a repository URL must not carry credentials (they would be stored); use a URL the deployment can reach",
            slug="repository-url-credentials",
        )
    return location


def _local(location: str, access: LocalAccess) -> str:
    if not access.allowed:
        raise _refuse(
            "this deployment does not analyse local paths (AIRA_REPOSITORY_LOCAL_PATHS); give a URL",
            slug="local-repositories-disabled",
        )
    path = Path(location)
    if not path.is_absolute():
        raise _refuse("a local repository must be given as an absolute path", slug="repository-path-not-absolute")
    if access.root is not None and not path.resolve().is_relative_to(access.root):
        raise _refuse(
            f"local repositories must lie inside {access.root} (AIRA_REPOSITORY_LOCAL_ROOT)",
            slug="repository-path-not-allowed",
        )
    return location


def check_location(location: Any, access: LocalAccess) -> tuple[str, str]:
    """``("url" | "local", location)`` for a location the deployment may analyse; 422 otherwise."""
    if not isinstance(location, str):
        raise _refuse("each repository must be a string")
    text = location.strip()
    if not text or len(text) > MAX_LOCATION:
        raise _refuse(f"a repository location must have 1 to {MAX_LOCATION} characters")
    if _CONTROL.search(text) or text.startswith("-"):
        raise _refuse("a repository location must not hold control characters or start with '-'")
    if _TRANSPORT_HELPER.match(text):
        raise _refuse("git transport helpers (such as ext::) are not allowed")
    if scheme := _SCHEME.match(text):
        return "url", _url(text, scheme.group(1).lower())
    if _SCP_LIKE.match(text):
        return "url", text
    return "local", _local(text, access)


def _provider(kinds: set[str]) -> str:
    if kinds == {"local"}:
        return "local"
    return "git" if kinds == {"url"} else "mixed"


# --- events ----------------------------------------------------------------------------------


def _changed(run: Run, action: str, source_ids: Sequence[uuid.UUID] = (), changes: dict | None = None) -> Event:
    """``planning.repository_analysis.<action>.v1`` carrying RepositoryAnalysisChanged."""
    depth = depth_of(run)
    return Event(
        entity_type="repository_analysis",
        action=action,
        entity_id=str(run.id),
        project_id=run.project_id,
        payload=events_pb2.RepositoryAnalysisChanged(
            project_id=str(run.project_id),
            run_id=str(run.id),
            depth=depth,
            status=run.status,
            total_count=run.total_count,
            completed_count=run.completed_count,
            failed_count=run.failed_count,
            source_ids=[str(s) for s in source_ids],
        ),
        changes=changes,
        snapshot={
            "depth": depth,
            "provider": run.provider,
            "status": run.status,
            "total_count": run.total_count,
            "completed_count": run.completed_count,
            "failed_count": run.failed_count,
            "source_ids": list(source_ids),
        },
    )


# --- starting and reading --------------------------------------------------------------------


async def start_analysis(
    uow: UnitOfWork, project_id: str, *, repositories: Sequence[Any], depth: str, access: LocalAccess
) -> RunView:
    """Record a run of ``repositories`` and queue its job (manage_sources);
    ``planning.repository_analysis.requested.v1``."""
    principal = require(context.principal.get(), project_id, Action.MANAGE_SOURCES)
    project = project_uuid(project_id)
    if depth not in DEPTHS:
        raise InvalidArgument("depth must be quick or full", slug="invalid-depth", field="depth")
    if not 1 <= len(repositories) <= MAX_REPOSITORIES:
        raise _refuse(f"give 1 to {MAX_REPOSITORIES} repositories", slug="invalid-repository-count")
    checked = [check_location(location, access) for location in repositories]
    run_class, item_class = TABLES[depth]
    run_id = uuid7()
    items = [
        item_class(id=uuid7(), run_id=run_id, project_id=project, position=n, location=location, status="queued")
        for n, (_, location) in enumerate(checked, start=1)
    ]
    run = await repository.add_run(
        uow,
        run_class(
            id=run_id,
            project_id=project,
            provider=_provider({kind for kind, _ in checked}),
            status="queued",
            total_count=len(items),
            created_by=principal.subject,
        ),
        items,
    )
    await enqueue(
        uow.session,
        uow.infra,
        JOB_KIND,
        {"project_id": str(project), "run_id": str(run.id)},
        idempotency_key=f"{JOB_KIND}:{run.id}",
        max_attempts=JOB_ATTEMPTS,
    )
    uow.emit(_changed(run, "requested", changes={"repositories": [location for _, location in checked]}))
    return RunView(run, depth, await repository.items_of(uow, run))


async def load(uow: UnitOfWork, project: uuid.UUID, analysis_id: str, *, lock: bool = False) -> Run:
    found = await repository.run_of(
        uow, project, parse_id(analysis_id, "repository analysis", missing="repository-analysis-not-found"), lock=lock
    )
    if found is None:
        raise NotFound("no such repository analysis", slug="repository-analysis-not-found")
    return found


async def get_analysis(uow: UnitOfWork, project_id: str, analysis_id: str) -> RunView:
    """One run of the project with its items (read)."""
    require(context.principal.get(), project_id, Action.READ)
    run = await load(uow, project_uuid(project_id), analysis_id)
    return RunView(run, depth_of(run), await repository.items_of(uow, run))


async def list_analyses(
    uow: UnitOfWork, project_id: str, *, limit: int, cursor: str, status: str = "", depth: str = ""
) -> tuple[list[RunView], str]:
    """One page of the project's runs (both depths, newest first, without items) and the next cursor (read)."""
    require(context.principal.get(), project_id, Action.READ)
    limit = page_limit(limit)
    if status and status not in RUN_STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(RUN_STATUSES)}", field="status")
    if depth and depth not in DEPTHS:
        raise InvalidArgument("depth must be quick or full", slug="invalid-depth", field="depth")
    rows = await repository.page_runs(
        uow,
        project_uuid(project_id),
        limit=limit + 1,
        after=cursor_time(decode_cursor(cursor)),
        status=status,
        depth=depth,
    )
    page = rows[:limit]
    next_cursor = ""
    if len(rows) > limit:
        next_cursor = time_cursor(page[-1].created_at, page[-1].id)
    return [RunView(run, depth_of(run), []) for run in page], next_cursor


# --- the job ---------------------------------------------------------------------------------


async def keep_as_source(uow: UnitOfWork, run: Run, item: Item, markdown: str, name: str) -> uuid.UUID:
    """The project's source holding this analysis: an existing one with the same text, or a new
    one (``planning.source.added.v1``). Hashed like every source: sha256 of the normalised text."""
    text = source_content.normalise_text(markdown)
    content_hash = hashlib.sha256(text.encode()).hexdigest()
    existing = await source_repository.source_by_hash(uow, run.project_id, content_hash)
    if existing is not None:
        return existing.id
    source = await source_repository.add_source(
        uow,
        {
            "id": uuid7(),
            "project_id": run.project_id,
            "type": "repository_analysis",
            "format": "",
            "title": SOURCE_TITLE.format(name=name)[:MAX_TITLE],
            "content": text,
            "content_hash": content_hash,
            "content_type": "text/markdown",
            "filename": None,
            "size_bytes": len(text.encode()),
            "stats": {
                "characters": len(text),
                "words": len(text.split()),
                "lines": text.count("\n") + 1,
                "depth": depth_of(run),
                "location": item.location,
            },
            "version": 1,
            "created_by": run.created_by,
        },
    )
    if source is None:  # added a moment ago by someone else
        existing = await source_repository.source_by_hash(uow, run.project_id, content_hash)
        assert existing is not None
        return existing.id
    uow.emit(source_event(source, "added", source.content))
    return source.id


class _Steps:
    """Writes the analysis' own steps (reported on the event loop) one after the other."""

    def __init__(self, progress: UnitOfWorkFactory, run: Run, item: Item, count: int) -> None:
        self._queue: asyncio.Queue[tuple[str, int, int] | None] = asyncio.Queue()
        self._progress = progress
        self._run = run
        self._item = item
        self._count = count
        self._writer = asyncio.create_task(self._write())

    def report(self, step: str, done: int, total: int) -> None:
        self._queue.put_nowait((step, done, total))

    async def _write(self) -> None:
        while (entry := await self._queue.get()) is not None:
            step, done, total = entry
            await run_progress.record_now(
                self._progress,
                project_id=self._run.project_id,
                run_id=self._run.id,
                step=step,
                done=done,
                total=total,
                message=f"{self._item.location} ({self._item.position} of {self._count})",
            )

    async def close(self) -> None:
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await self._writer


async def _analyse_item(
    progress: UnitOfWorkFactory, run: Run, item: Item, analyse: Analyse
) -> tuple[Any | None, DomainError | None]:
    """The analysis of one item, or the error that says why there is none."""
    steps = _Steps(progress, run, item, run.total_count)
    try:
        return await analyse(item.location, depth=depth_of(run), on_progress=steps.report), None
    except DomainError as exc:
        return None, exc
    except Exception as exc:  # an analysis bug must not fail the other repositories
        log.exception("repository analysis of item %s failed", item.id)
        return None, DomainError(f"the analysis failed: {type(exc).__name__}", slug="analysis-failed")
    finally:
        await steps.close()


async def _store_item(
    progress: UnitOfWorkFactory, run: Run, item: Item, analysis: Any | None, error: DomainError | None
) -> None:
    """Record the item's outcome (and its source) in a transaction of its own."""
    async with progress() as work:
        current = next(i for i in await repository.items_of(work, run) if i.id == item.id)
        current.started_at = current.started_at or datetime.now(UTC)
        current.finished_at = datetime.now(UTC)
        if analysis is not None:
            current.status = "completed"
            current.summary = analysis.summary
            current.result = analysis.to_dict()
            current.source_id = await keep_as_source(work, run, current, analysis.to_markdown(), analysis.name)
            if hasattr(current, "file_count"):
                current.file_count = analysis.files.walked
                current.source_count = 1
            message = analysis.summary
        else:
            assert error is not None
            current.status = "failed"
            current.error = error.detail[:4000]
            current.error_slug = error.slug
            message = f"{error.slug}: {error.detail}"
        await work.session.flush()
        await run_progress.record(
            work,
            project_id=run.project_id,
            run_id=run.id,
            step=f"item {current.status}",
            done=current.position,
            total=run.total_count,
            message=f"{current.location}: {message}",
        )
        await work.commit()


async def run_analysis_job(
    uow: UnitOfWork, job: Job, *, progress: UnitOfWorkFactory, analyse: Analyse | None = None
) -> None:
    """Analyse a queued run's repositories one by one (the ``planning.repository_analysis`` job);
    items already settled by an earlier attempt are kept. On its last attempt a job that breaks
    settles the run as failed rather than leaving it running forever."""
    project = uuid.UUID(job.payload["project_id"])
    run_id = uuid.UUID(job.payload["run_id"])
    await run_progress.fail_on_last_attempt(
        uow,
        job,
        _analyse_run(uow, project, run_id, progress, analyse or repository_analysis.analyse_repository),
        fail=lambda error: _finish(uow, project, run_id, gave_up=error),
        name=f"repository analysis {run_id}",
    )


async def _analyse_run(
    uow: UnitOfWork, project: uuid.UUID, run_id: uuid.UUID, progress: UnitOfWorkFactory, analyse: Analyse
) -> None:
    async with progress() as work:
        run = await repository.run_of(work, project, run_id)
        if run is None or run.status in ("completed", "failed"):
            return
        await repository.mark_running(work, run)
        items = await repository.items_of(work, run)
        await work.commit()
    for item in items:
        if item.status in ("completed", "failed"):
            continue
        await run_progress.record_now(
            progress,
            project_id=project,
            run_id=run_id,
            step="analysing",
            done=item.position - 1,
            total=run.total_count,
            message=f"{item.location} ({item.position} of {run.total_count})",
        )
        analysis, error = await _analyse_item(progress, run, item, analyse)
        await _store_item(progress, run, item, analysis, error)
    await _finish(uow, project, run_id)


async def _finish(uow: UnitOfWork, project: uuid.UUID, run_id: uuid.UUID, *, gave_up: str = "") -> None:
    """Settle the run from its items, with the final step, in the job's transaction; after
    ``gave_up``, items not settled yet fail with ``analysis-failed``."""
    run = await repository.run_of(uow, project, run_id, lock=True)
    if run is None or run.status in ("completed", "failed"):
        return
    items = await repository.items_of(uow, run)
    for item in items:
        if gave_up and item.status not in ("completed", "failed"):
            item.status, item.error_slug, item.error = "failed", "analysis-failed", gave_up[:4000]
    run.completed_count = sum(1 for i in items if i.status == "completed")
    run.failed_count = sum(1 for i in items if i.status == "failed")
    run.status = "completed" if run.completed_count else "failed"
    if gave_up:
        run.status, run.error = "failed", f"the analysis broke: {gave_up}"[:4000]
    elif run.status == "failed":
        run.error = "every repository failed: " + "; ".join(f"{i.location}: {i.error_slug}" for i in items)[:3900]
    now = datetime.now(UTC)
    run.finished_at = now
    run.started_at = run.started_at or now
    await uow.session.flush()
    await run_progress.record(
        uow,
        project_id=project,
        run_id=run_id,
        step=run.status,
        done=run.completed_count,
        total=run.total_count,
        message=f"{run.completed_count} of {run.total_count} repositories analysed, {run.failed_count} failed",
        final=True,
    )
    source_ids = [i.source_id for i in items if i.source_id is not None]
    uow.emit(_changed(run, run.status, source_ids, {"status": {"from": "running", "to": run.status}}))


async def on_analysis_job_dead(uow: UnitOfWork, job: Job, error: str) -> None:
    """An analysis job out of attempts (e.g. its worker died every time) settles its run as failed,
    so the run and its progress stream end instead of staying ``running``."""
    await _finish(uow, uuid.UUID(job.payload["project_id"]), uuid.UUID(job.payload["run_id"]), gave_up=error)
