"""Repository analysis runs over gRPC against a running planning service: a real git repository
made in the test's folder is analysed in the background and kept as a source (never its code),
paths that do not exist or are not git repositories fail their items with the analysis' slug,
progress is numbered, obviously bad input is refused at once, and runs stay inside their project.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import grpc
import orjson
import pytest
from sqlalchemy import func, select

from aira.planning.v1 import (
    events_pb2,
    repository_pb2,
    repository_pb2_grpc,
    runs_pb2,
    runs_pb2_grpc,
    sources_pb2,
    sources_pb2_grpc,
)
from services.chassis import db
from services.chassis.errors import InvalidArgument
from services.chassis.ids import uuid7
from services.chassis.jobs import Job
from services.chassis.uow import UnitOfWork
from services.planning import repository_runs
from services.planning.models import RepositoryAnalysisItem, RepositoryAnalysisRun, RepositoryFullAnalysisRun, infra
from services.planning.repository_runs import LocalAccess, check_location
from tests.grpc_calls import refused
from tests.planning.sources_support import outbox, payload_of
from tests.planning.sprints_support import eventually, new_board, progress_of

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
SECRET_LINE = "API_TOKEN = 'never-copy-this-line-into-a-source'"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Tess", "-c", "user.email=tess@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def make_repository(root: Path) -> Path:
    """A small Python service with tests, CI and an AGENTS.md, in two commits."""
    repo = root / "orbit"
    (repo / "orbit").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "orbit"\ndependencies = ["fastapi", "sqlalchemy"]\n'
        '[project.optional-dependencies]\ntest = ["pytest"]\n'
    )
    (repo / "orbit" / "app.py").write_text(
        f'from fastapi import FastAPI\n\n{SECRET_LINE}\napp = FastAPI()\n\n\n@app.get("/health")\ndef health():\n'
        '    return {"ok": True}\n'
    )
    (repo / "tests" / "test_app.py").write_text("def test_health():\n    assert True\n")
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    (repo / "AGENTS.md").write_text("# Agents\n\nRun `pytest` before every commit.\n")
    git(repo, "init")
    git(repo, "add", "pyproject.toml", "orbit")
    git(repo, "commit", "-m", "Start orbit")
    git(repo, "add", ".")
    git(repo, "commit", "-m", "Add tests, CI and conventions")
    return repo


@pytest.fixture
def stub(planning_channel) -> repository_pb2_grpc.RepositoryAnalysesStub:
    return repository_pb2_grpc.RepositoryAnalysesStub(planning_channel)


def start(board, repositories, depth: str = "quick") -> repository_pb2.StartAnalysisRequest:
    return repository_pb2.StartAnalysisRequest(project_id=board.project_id, repositories=repositories, depth=depth)


async def settled(stub, board, analysis_id: str) -> repository_pb2.RepositoryAnalysis:
    ref = repository_pb2.AnalysisRef(project_id=board.project_id, analysis_id=analysis_id)
    return await eventually(
        lambda: stub.GetAnalysis(ref, metadata=board.viewer), lambda a: a.status in ("completed", "failed"), timeout=60
    )


async def test_a_repository_becomes_a_source_and_bad_paths_fail_their_items(
    stub, planning_channel, board, engine, tmp_path
) -> None:
    repo = make_repository(tmp_path)
    plain = tmp_path / "plain-folder"
    plain.mkdir()
    missing = tmp_path / "nowhere"
    started = await stub.StartAnalysis(start(board, [str(repo), str(missing), str(plain)]), metadata=board.pm)
    assert (started.status, started.depth, started.provider, started.total_count) == ("queued", "quick", "local", 3)
    assert [(i.position, i.location, i.status) for i in started.items] == [
        (1, str(repo), "queued"),
        (2, str(missing), "queued"),
        (3, str(plain), "queued"),
    ]

    done = await settled(stub, board, started.id)
    assert (done.status, done.completed_count, done.failed_count) == ("completed", 1, 2)
    analysed, nowhere, folder = done.items
    assert analysed.status == "completed" and analysed.summary.startswith("orbit")
    result = orjson.loads(analysed.result_json)
    assert "fastapi" in result["frameworks"] or "FastAPI" in result["frameworks"]
    assert (nowhere.status, nowhere.error_slug) == ("failed", "repository-not-found")
    assert (folder.status, folder.error_slug) == ("failed", "not-a-git-repository")
    assert nowhere.error and not nowhere.source_id

    sources = sources_pb2_grpc.SourcesStub(planning_channel)
    source = await sources.GetSource(
        sources_pb2.GetSourceRequest(project_id=board.project_id, source_id=analysed.source_id, include_content=True),
        metadata=board.viewer,
    )
    assert source.type == "repository_analysis" and source.title == "Repository analysis: orbit"
    assert "AGENTS.md" in source.content and "pytest" in source.content
    assert SECRET_LINE not in source.content and "never-copy-this-line" not in source.content
    added = await outbox(engine, "planning.source.added.v1", board.project_id)
    [event] = [payload_of(e, events_pb2.SourceChanged) for e in added]
    assert event.source_id == analysed.source_id and event.text_complete and event.text == source.content

    steps = await progress_of(engine, started.id)
    assert [s.sequence for s in steps] == list(range(1, len(steps) + 1))
    assert steps[0].step == "analysing" and [s.final for s in steps].count(True) == 1 and steps[-1].final
    assert steps[-1].step == "completed" and "1 of 3" in steps[-1].message
    settled_items = [s.step for s in steps if s.step.startswith("item ")]
    assert settled_items == ["item completed", "item failed", "item failed"]
    assert "scanning files" in [s.step for s in steps]  # the analysis' own steps come through

    finished = await outbox(engine, "planning.repository_analysis.completed.v1", board.project_id)
    changed = payload_of(finished[0], events_pb2.RepositoryAnalysisChanged)
    assert (changed.completed_count, changed.failed_count, list(changed.source_ids)) == (1, 2, [analysed.source_id])

    # The same repository again is the same source (content-hash dedup), and no second event.
    again = await settled(stub, board, (await stub.StartAnalysis(start(board, [str(repo)]), metadata=board.pm)).id)
    assert again.items[0].source_id == analysed.source_id
    assert len(await outbox(engine, "planning.source.added.v1", board.project_id)) == 1


async def test_a_run_whose_every_item_failed_has_failed(stub, board, tmp_path) -> None:
    started = await stub.StartAnalysis(start(board, [str(tmp_path / "gone")], "full"), metadata=board.pm)
    done = await settled(stub, board, started.id)
    assert (done.status, done.depth, done.failed_count) == ("failed", "full", 1)
    assert "repository-not-found" in done.error


async def test_full_depth_runs_are_kept_apart_and_listed_with_quick_ones(stub, board, engine, tmp_path) -> None:
    repo = make_repository(tmp_path)
    quick = await stub.StartAnalysis(start(board, [str(repo)]), metadata=board.pm)
    full = await stub.StartAnalysis(start(board, [str(repo)], "full"), metadata=board.pm)
    done = await settled(stub, board, full.id)
    assert done.status == "completed" and done.items[0].file_count >= 5 and done.items[0].source_count == 1
    assert "/health" in done.items[0].result_json  # the API surface, at full depth
    async with engine.connect() as conn:
        assert (
            await conn.execute(
                select(RepositoryFullAnalysisRun.id).where(RepositoryFullAnalysisRun.project_id == board.project)
            )
        ).scalars().all() == [uuid.UUID(full.id)]
    listed = await stub.ListAnalyses(
        repository_pb2.ListAnalysesRequest(project_id=board.project_id, page={"limit": 1}), metadata=board.viewer
    )
    assert [a.id for a in listed.items] == [full.id] and not listed.items[0].items and listed.page.next_cursor
    rest = await stub.ListAnalyses(
        repository_pb2.ListAnalysesRequest(project_id=board.project_id, page={"cursor": listed.page.next_cursor}),
        metadata=board.viewer,
    )
    assert [a.id for a in rest.items] == [quick.id] and not rest.page.next_cursor
    only_full = await stub.ListAnalyses(
        repository_pb2.ListAnalysesRequest(project_id=board.project_id, depth="full"), metadata=board.viewer
    )
    assert [a.id for a in only_full.items] == [full.id]


async def test_obviously_bad_input_is_refused_and_nothing_is_written(stub, board, engine) -> None:
    cases = [
        ([], "invalid-repository-count"),
        ([f"/srv/repo{n}" for n in range(11)], "invalid-repository-count"),
        (["ftp://example.com/repo.git"], "unsupported-repository-location"),
        (["file:///etc"], "unsupported-repository-location"),
        (["git://example.com/repo.git"], "unsupported-repository-location"),
        (["ext::sh -c touch% /tmp/pwned"], "unsupported-repository-location"),
        (["https://user:secret@example.com/repo.git"], "repository-url-credentials"),
        (["relative/path"], "repository-path-not-absolute"),
        (["--upload-pack=evil"], "unsupported-repository-location"),
        (["  "], "unsupported-repository-location"),
    ]
    for repositories, slug in cases:
        await refused(stub.StartAnalysis, start(board, repositories), board.pm, INVALID, slug)
    await refused(stub.StartAnalysis, start(board, ["/srv/repo"], "deep"), board.pm, INVALID, "invalid-depth")
    async with engine.connect() as conn:
        for model in (RepositoryAnalysisRun, RepositoryFullAnalysisRun):
            count = select(func.count()).where(model.project_id == board.project)
            assert (await conn.execute(count)).scalar_one() == 0


def test_local_paths_obey_the_deployment(tmp_path) -> None:
    inside = tmp_path / "repos" / "orbit"
    inside.mkdir(parents=True)
    (tmp_path / "repos" / "escape").symlink_to(tmp_path)
    confined = LocalAccess(allowed=True, root=(tmp_path / "repos").resolve())
    assert check_location(str(inside), confined) == ("local", str(inside))
    assert check_location("git@github.com:acme/orbit.git", LocalAccess(allowed=False)) == (
        "url",
        "git@github.com:acme/orbit.git",
    )
    assert check_location("ssh://git@example.com/orbit.git", LocalAccess(allowed=False))[0] == "url"
    refusals = [
        (str(inside), LocalAccess(allowed=False), "local-repositories-disabled"),
        (str(tmp_path), confined, "repository-path-not-allowed"),
        (str(tmp_path / "repos" / "escape" / "secrets"), confined, "repository-path-not-allowed"),
        (str(tmp_path / "repos" / ".." / "elsewhere"), confined, "repository-path-not-allowed"),
        (42, confined, "unsupported-repository-location"),
    ]
    for location, access, slug in refusals:
        with pytest.raises(InvalidArgument) as refusal:
            check_location(location, access)
        assert refusal.value.slug == slug, location


async def test_roles_tenancy_and_the_progress_stream(
    stub, planning_channel, board, engine, principals, tmp_path
) -> None:
    await refused(
        stub.StartAnalysis,
        start(board, [str(tmp_path)]),
        board.as_role("member"),
        grpc.StatusCode.PERMISSION_DENIED,
        "forbidden",
    )
    started = await stub.StartAnalysis(start(board, [str(tmp_path / "gone")]), metadata=board.pm)
    runs = runs_pb2_grpc.RunsStub(planning_channel)
    request = runs_pb2.WatchProgressRequest(
        project_id=board.project_id, run_type="repository_analysis", run_id=started.id
    )
    streamed = [step async for step in runs.WatchProgress(request, metadata=board.viewer, timeout=30)]
    assert streamed and streamed[-1].final and streamed[-1].step == "failed"
    assert [s.sequence for s in streamed] == list(range(1, len(streamed) + 1))

    other = await new_board(engine, principals)
    ref = repository_pb2.AnalysisRef(project_id=other.project_id, analysis_id=started.id)
    await refused(stub.GetAnalysis, ref, other.pm, NOT_FOUND, "repository-analysis-not-found")
    await refused(
        stub.GetAnalysis,
        repository_pb2.AnalysisRef(project_id=board.project_id, analysis_id=started.id),
        other.pm,
        NOT_FOUND,
        "project-not-found",
    )
    foreign = runs_pb2.WatchProgressRequest(
        project_id=other.project_id, run_type="repository_analysis", run_id=started.id
    )
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        [step async for step in runs.WatchProgress(foreign, metadata=other.pm, timeout=10)]
    assert refusal.value.code() == NOT_FOUND
    listed = await stub.ListAnalyses(repository_pb2.ListAnalysesRequest(project_id=other.project_id), metadata=other.pm)
    assert listed.items == []


async def test_a_job_that_breaks_fails_the_run_on_its_last_attempt(stub, board, engine, tmp_path) -> None:
    run_id = uuid7()  # a run without a queued job: the test runs the job itself
    async with engine.begin() as conn:
        await conn.execute(
            RepositoryAnalysisRun.__table__.insert().values(
                id=run_id, project_id=board.project, provider="local", total_count=1, created_by="tests"
            )
        )
        await conn.execute(
            RepositoryAnalysisItem.__table__.insert().values(
                id=uuid7(), run_id=run_id, project_id=board.project, position=1, location=str(tmp_path)
            )
        )
    sessionmaker = db.create_sessionmaker(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker, domain="planning", producer="tests", infra=infra)

    async def nonsense(location, *, depth, on_progress):
        return object()  # not an analysis: storing it breaks

    job = Job(uuid7(), repository_runs.JOB_KIND, {"project_id": board.project_id, "run_id": str(run_id)}, 3, 3)
    async with uow() as work:
        await repository_runs.run_analysis_job(work, job, progress=uow, analyse=nonsense)
        await work.commit()
    failed = await stub.GetAnalysis(
        repository_pb2.AnalysisRef(project_id=board.project_id, analysis_id=str(run_id)), metadata=board.viewer
    )
    assert (failed.status, failed.items[0].status, failed.items[0].error_slug) == (
        "failed",
        "failed",
        "analysis-failed",
    )
    assert "AttributeError" in failed.error
    assert (await progress_of(engine, str(run_id)))[-1].final
