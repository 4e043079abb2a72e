"""Repository analysis: what a git repository is made of, read from a local checkout or a shallow clone.

A project asks Aira to look at its code. This module opens a local checkout, or clones a URL into a
temporary directory it deletes afterwards, and reports languages, layout, manifests and dependencies,
frameworks, test and CI setup and convention files (depth ``quick``); depth ``full`` adds entry points,
the API surface, per-directory file counts, recent history, contributors and the largest files. The
result renders as markdown that planning stores as a source for the knowledge ledger.

It touches the filesystem and the ``git`` command only: no database, no network beyond the clone. It
never stores source code, only names, counts, paths and signatures such as route paths. Convention files
people write for contributors and agents (AGENTS.md, CLAUDE.md, CONTRIBUTING.md) are quoted in part: they
are documentation.

Clone depth: ``quick`` clones with ``--depth 1`` (no history is analysed), ``full`` with ``--depth 50``,
so recent commits and contributors cover at most the last 50 commits of the default branch.
"""

from __future__ import annotations

import asyncio
import configparser
import heapq
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from services.chassis.errors import FailedPrecondition, InvalidArgument, Unavailable

Depth = Literal["quick", "full"]
_T = TypeVar("_T")
ProgressCallback = Callable[[str, int, int], None]

MAX_FILES = 20_000  # files taken into the inventory; the rest is reported as capped
MAX_LISTED_PATHS = 10 * MAX_FILES  # paths looked at, skipped ones included, before giving up
MAX_FILE_BYTES = 256 * 1024  # bytes read from one file
MAX_READ_BYTES = 64 * 1024 * 1024  # bytes read from all files of one analysis
EXCERPT_CHARS = 2_000
MAX_EXCERPTS = 6
MAX_COMMITS = 20
CONTRIBUTOR_WINDOW = 1_000  # commits counted for contributors
CLONE_DEPTH: Mapping[str, int] = {"quick": 1, "full": 50}
MAX_ROUTES = 1_000
MAX_MANIFESTS = 100
MAX_DEPENDENCIES = 300
MAX_LISTED = 100  # entries of a list (top-level layout, test dirs, OpenAPI paths) kept in the result
MAX_DIRECTORIES = 40
LARGEST_FILES = 10
GIT_TIMEOUT_SECONDS = 120.0

SKIPPED_DIRS = frozenset(
    {".git", "node_modules", "vendor", "dist", "build", ".venv", "venv", "__pycache__", "target"}
    | {".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".next", ".nuxt", ".gradle", "bower_components"}
)
UNSUPPORTED_LOCATION = "unsupported-repository-url"
_ALLOWED_SCHEMES = frozenset({"https", "http", "ssh", "file"})
_STEPS: Mapping[str, tuple[str, ...]] = {
    "quick": ("scanning files", "reading manifests"),
    "full": ("scanning files", "reading manifests", "reading sources", "history"),
}

# ---------------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageStat:
    """Files and bytes of one language, recognised by file extension."""

    language: str
    files: int
    bytes: int
    programming: bool


@dataclass(frozen=True)
class LayoutEntry:
    """One entry of the repository root; a directory counts the files under it."""

    name: str
    kind: Literal["directory", "file"]
    files: int


@dataclass(frozen=True)
class Manifest:
    """A package manifest: its package name and the names (not versions) of its dependencies."""

    path: str
    kind: str
    ecosystem: str
    name: str | None = None
    dependencies: tuple[str, ...] = ()
    dev_dependencies: tuple[str, ...] = ()  # optional, development, test and build dependencies
    scripts: tuple[str, ...] = ()  # names of package.json scripts
    error: str | None = None


@dataclass(frozen=True)
class TestSetup:
    """How the repository tests itself: frameworks, test files and test directories."""

    __test__ = False  # not a pytest test class

    frameworks: tuple[str, ...]
    test_files: int
    test_dirs: tuple[str, ...]


@dataclass(frozen=True)
class CiPipeline:
    """A CI configuration file: its provider, workflow name, triggers and jobs."""

    provider: str
    path: str
    name: str | None = None
    triggers: tuple[str, ...] = ()
    jobs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConventionFile:
    """A convention file; instructions for contributors and agents carry their opening text."""

    kind: str
    path: str
    excerpt: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class EntryPoint:
    """A way the code is started: a console script, a main module, a container command."""

    kind: str
    name: str
    target: str
    file: str


@dataclass(frozen=True)
class Route:
    """An HTTP route found in source: its methods, path and where it is declared."""

    framework: str
    methods: tuple[str, ...]
    path: str
    file: str
    line: int
    handler: str | None = None


@dataclass(frozen=True)
class GrpcService:
    """A gRPC service declared in a .proto file, with its method signatures."""

    name: str
    file: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class OpenApiDocument:
    """An OpenAPI (or Swagger) document: version, title and the paths it declares."""

    path: str
    version: str
    title: str | None
    paths: tuple[str, ...]
    path_count: int


@dataclass(frozen=True)
class ApiSurface:
    """What the repository offers to callers: HTTP routes, gRPC services and OpenAPI documents."""

    routes: tuple[Route, ...] = ()
    grpc_services: tuple[GrpcService, ...] = ()
    openapi_documents: tuple[OpenApiDocument, ...] = ()
    routes_capped: bool = False


@dataclass(frozen=True)
class DirectoryCount:
    """How many files a directory (at most two levels deep) holds, recursively."""

    path: str
    files: int


@dataclass(frozen=True)
class FileSize:
    """A file and its size in bytes."""

    path: str
    bytes: int


@dataclass(frozen=True)
class Commit:
    """One commit of recent history."""

    sha: str
    author: str
    date: str
    subject: str


@dataclass(frozen=True)
class Contributor:
    """A commit author and how many of the counted commits they wrote."""

    name: str
    commits: int


@dataclass(frozen=True)
class History:
    """Recent commits and contributors; ``shallow`` means older history was not available."""

    commit_count: int
    shallow: bool
    commits: tuple[Commit, ...]
    contributors: tuple[Contributor, ...]
    contributors_window: int  # commits (merges excluded) the contributor counts cover


@dataclass(frozen=True)
class FileStats:
    """How much of the repository was looked at, and where a limit stopped the analysis."""

    walked: int
    bytes: int
    binary: int
    read: int
    truncated: int
    capped: bool
    read_budget_exhausted: bool
    skipped_dirs: tuple[str, ...]


@dataclass(frozen=True)
class RepositoryAnalysis:
    """What a repository is made of; ``to_dict`` is JSON-safe and ``to_markdown`` is the readable report."""

    name: str
    location: str
    source_kind: Literal["path", "url"]
    depth: Depth
    head: str | None
    branch: str | None
    files: FileStats
    languages: tuple[LanguageStat, ...]
    top_level: tuple[LayoutEntry, ...]
    manifests: tuple[Manifest, ...]
    frameworks: tuple[str, ...]
    package_managers: tuple[str, ...]
    tests: TestSetup
    ci: tuple[CiPipeline, ...]
    conventions: tuple[ConventionFile, ...]
    entry_points: tuple[EntryPoint, ...] = ()
    api: ApiSurface = field(default_factory=ApiSurface)
    directories: tuple[DirectoryCount, ...] = ()
    history: History | None = None
    largest_files: tuple[FileSize, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One stable line: the facts a reader wants first, in a fixed order."""
        return _summary(self)

    def to_dict(self) -> dict[str, Any]:
        """The analysis as JSON-safe data (lists, dicts, strings, numbers, booleans and None)."""
        return {**_plain(asdict(self)), "summary": self.summary}

    def to_markdown(self) -> str:
        """The analysis as a markdown report for people and for the knowledge ledger."""
        return _render_markdown(self)


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------


async def analyse_repository(
    location: str,
    *,
    depth: Depth,
    work_dir: Path | None = None,
    timeout_seconds: float = 120,
    on_progress: ProgressCallback | None = None,
) -> RepositoryAnalysis:
    """Analyse a local checkout or a URL (cloned shallowly into a temporary directory removed afterwards).

    ``on_progress(step, done, total)`` is called on the event loop's thread when a step starts (``done``
    steps of ``total`` are finished) and once more with ``("done", total, total)``.
    """
    _require_depth(depth)
    target = _parse_location(location)
    relay = _relay_to_loop(on_progress)
    if target.kind == "path":
        return await asyncio.to_thread(
            analyse_checkout, Path(target.value), depth, on_progress=relay, timeout_seconds=timeout_seconds
        )
    total = len(_STEPS[depth]) + 1
    if work_dir is not None:
        await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    scratch = tempfile.TemporaryDirectory(prefix="aira-repository-", dir=work_dir)
    try:
        if relay is not None:
            relay("cloning", 0, total)
        checkout = Path(scratch.name) / "checkout"
        await _clone(target, checkout, history_depth=CLONE_DEPTH[depth], timeout_seconds=timeout_seconds)
        shifted = None if relay is None else _shifted(relay, 1)
        analysis = await asyncio.to_thread(
            analyse_checkout, checkout, depth, on_progress=shifted, timeout_seconds=timeout_seconds
        )
    finally:
        await asyncio.to_thread(scratch.cleanup)
    note = (
        f"Cloned with `git clone --depth {CLONE_DEPTH[depth]}` (default branch only) into a temporary "
        "directory that was removed afterwards."
    )
    return replace(
        analysis,
        name=_name_from_url(target.display),
        location=target.display,
        source_kind="url",
        notes=(note, *analysis.notes),
    )


def analyse_checkout(
    path: Path,
    depth: Depth,
    *,
    on_progress: ProgressCallback | None = None,
    timeout_seconds: float = GIT_TIMEOUT_SECONDS,
) -> RepositoryAnalysis:
    """Analyse an existing checkout (the root of a git working tree); blocking, so run it in a thread."""
    _require_depth(depth)
    steps = _STEPS[depth]
    report = _reporter(on_progress, steps)
    root = _require_repository(Path(path), timeout_seconds)
    report("scanning files")
    inventory = _take_inventory(root, timeout_seconds)
    reader = _Reader(root)
    report("reading manifests")
    manifests = _read_manifests(inventory.files, reader)
    conventions = _read_conventions(inventory.files, reader)
    ci = _read_ci(inventory.files, reader)
    sources = _SourceFacts()
    entry_points: list[EntryPoint] = []
    history: History | None = None
    notes: list[str] = []
    if depth == "full":
        report("reading sources")
        sources = _scan_sources(inventory.files, reader)
        entry_points = [point for facts in manifests for point in facts.entry_points]
        entry_points += [*sources.entry_points, *_file_entry_points(inventory.files, reader)]
        report("history")
        history = _history(root, timeout_seconds, notes)
    head, branch = _head(root, timeout_seconds)
    tests = _detect_tests(inventory.files, manifests, sources.test_markers, reader)
    analysis = RepositoryAnalysis(
        name=root.name,
        location=str(root),
        source_kind="path",
        depth=depth,
        head=head,
        branch=branch,
        files=_file_stats(inventory, reader),
        languages=_languages(inventory.files),
        top_level=_top_level(inventory.files),
        manifests=tuple(facts.manifest for facts in manifests),
        frameworks=_frameworks(facts.manifest for facts in manifests),
        package_managers=_package_managers(inventory.files),
        tests=tests,
        ci=ci,
        conventions=conventions,
        entry_points=_unique(entry_points),
        api=sources.api(),
        directories=_directories(inventory.files) if depth == "full" else (),
        history=history,
        largest_files=_largest(inventory.files) if depth == "full" else (),
        notes=(*_limit_notes(inventory, reader, sources), *notes),
    )
    report("done")
    return analysis


def _require_depth(depth: str) -> None:
    """Refuse a depth other than quick or full."""
    if depth not in _STEPS:
        raise InvalidArgument(f"Unknown analysis depth {depth!r}: use 'quick' or 'full'.")


def _reporter(on_progress: ProgressCallback | None, steps: tuple[str, ...]) -> Callable[[str], None]:
    """A function that reports the start of a step (or ``done``) with the steps finished so far."""
    total = len(steps)

    def report(step: str) -> None:
        if on_progress is not None:
            on_progress(step, total if step == "done" else steps.index(step), total)

    return report


def _relay_to_loop(on_progress: ProgressCallback | None) -> ProgressCallback | None:
    """Wrap a callback so calls from a worker thread run on the current event loop, in order."""
    if on_progress is None:
        return None
    loop = asyncio.get_running_loop()

    def relay(step: str, done: int, total: int) -> None:
        loop.call_soon_threadsafe(on_progress, step, done, total)

    return relay


def _shifted(on_progress: ProgressCallback, offset: int) -> ProgressCallback:
    """Count ``offset`` steps (the clone) before the checkout's own steps."""
    return lambda step, done, total: on_progress(step, done + offset, total + offset)


# ---------------------------------------------------------------------------------------------------
# Locations, git and cloning
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Location:
    kind: Literal["path", "url"]
    value: str  # what the filesystem or git receives
    display: str  # safe to store and show: credentials removed


_TRANSPORT_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:(?!-)\S+$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _parse_location(location: str) -> _Location:
    """Tell a local path from a URL and refuse what git should never be given."""
    text = location.strip()
    if not text:
        raise InvalidArgument("Give a repository path or URL.", slug=UNSUPPORTED_LOCATION)
    if _CONTROL_CHARS.search(text):
        raise InvalidArgument("A repository location must not contain control characters.", slug=UNSUPPORTED_LOCATION)
    if text.startswith("-"):
        raise InvalidArgument("A repository location must not start with '-'.", slug=UNSUPPORTED_LOCATION)
    if _TRANSPORT_HELPER.match(text):
        raise InvalidArgument(
            "Git transport helpers (such as 'ext::') are not allowed; give an https://, http://, ssh://, "
            "git@host: or file:// URL.",
            slug=UNSUPPORTED_LOCATION,
        )
    scheme = _URL_SCHEME.match(text)
    if scheme:
        return _url_location(text, scheme.group(1).lower())
    if _SCP_LIKE.match(text):
        return _Location("url", text, text)
    return _Location("path", text, text)


def _url_location(url: str, scheme: str) -> _Location:
    """Check a URL's scheme and host; keep a display form without credentials."""
    if scheme not in _ALLOWED_SCHEMES:
        raise InvalidArgument(
            f"Unsupported URL scheme '{scheme}': use https://, http://, ssh://, git@host: or file://.",
            slug=UNSUPPORTED_LOCATION,
        )
    if any(char.isspace() for char in url):
        raise InvalidArgument("A repository URL must not contain spaces.", slug=UNSUPPORTED_LOCATION)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise InvalidArgument(f"Not a valid URL: {exc}.", slug=UNSUPPORTED_LOCATION) from None
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise InvalidArgument("A file:// URL must name a local path.", slug=UNSUPPORTED_LOCATION)
    elif not host or host.startswith("-"):
        raise InvalidArgument("A repository URL must name a host.", slug=UNSUPPORTED_LOCATION)
    return _Location("url", url, _redact_url(url))


def _redact_url(url: str) -> str:
    """Drop credentials from a URL: the password always, the user name too for http(s) (often a token)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if parts.scheme.lower() in ("http", "https"):
        netloc = f"***@{hostport}"
    else:
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    return parts._replace(netloc=netloc).geturl()


def _name_from_url(url: str) -> str:
    """The repository's name: the last path segment without ``.git``."""
    tail = re.split(r"[/:]", url.rstrip("/"))[-1]
    return tail.removesuffix(".git") or url


# Variables that would point git at another repository, or ask a person for credentials.
_INHERITED_GIT_ENV = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"}
    | {"GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_ASKPASS", "SSH_ASKPASS"}
)
# core.fsmonitor is a command a repository's own config could name; credential helpers would lend
# the deployment's stored credentials to any URL a caller names.
_GIT_OPTIONS = (
    "--no-pager",
    *("-c", "core.fsmonitor=false", "-c", "log.showSignature=false"),
    *("-c", "credential.helper=", "-c", "core.askPass="),
)


def _git_env(ceiling: Path | None = None) -> dict[str, str]:
    """The environment of a git command: never prompts, never reads another repository."""
    env = {key: value for key, value in os.environ.items() if key not in _INHERITED_GIT_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        GCM_INTERACTIVE="never",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LFS_SKIP_SMUDGE="1",
        GIT_ALLOW_PROTOCOL="http:https:ssh:file",
        LC_ALL="C",
    )
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    if ceiling is not None:
        # git looks for the repository in the given directory only, never in a parent.
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


def _git_binary() -> str:
    """The git executable, or an error naming what the deployment lacks."""
    binary = shutil.which("git")
    if binary is None:
        raise Unavailable("git is not installed where repository analysis runs.", slug="git-unavailable")
    return binary


def _run_git(root: Path, timeout: float, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run a git command inside a checkout and return its result (raises TimeoutExpired)."""
    return subprocess.run(
        [_git_binary(), *_GIT_OPTIONS, *args],
        cwd=root,
        env=_git_env(ceiling=root.parent),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def _git_text(root: Path, timeout: float, *args: str) -> str | None:
    """The stripped output of a git command, or None when it failed or timed out."""
    try:
        result = _run_git(root, timeout, *args)
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace").strip()


_CREDENTIALS_IN_TEXT = re.compile(r"(://)[^/@\s]+@")


def _first_error_line(stderr: bytes) -> str:
    """The most telling line git wrote to stderr, credentials removed."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    line = (fatal or lines or ["no message"])[0]
    return _CREDENTIALS_IN_TEXT.sub(r"\1***@", line)[:300]


def _require_repository(path: Path, timeout: float) -> Path:
    """The resolved root of the working tree at ``path``, or the error that says why it is not one."""
    path = path.expanduser()
    if not path.exists():
        raise InvalidArgument(f"No repository at {path}: the path does not exist.", slug="repository-not-found")
    root = path.resolve()
    if not root.is_dir():
        raise InvalidArgument(f"{path} is a file, not a git repository.", slug="not-a-git-repository")
    try:
        result = _run_git(root, timeout, "rev-parse", "--is-inside-work-tree")
    except subprocess.TimeoutExpired:
        raise FailedPrecondition(f"git did not answer about {path} in time.", slug="repository-unreachable") from None
    if result.returncode != 0 or result.stdout.strip() != b"true":
        reason = _first_error_line(result.stderr) if result.returncode != 0 else "it has no working tree"
        raise InvalidArgument(f"{path} is not the root of a git working tree ({reason}).", slug="not-a-git-repository")
    return root


async def _clone(target: _Location, checkout: Path, *, history_depth: int, timeout_seconds: float) -> None:
    """Shallow-clone a URL's default branch, without prompts; kill the whole clone on timeout."""
    options = ["--quiet", f"--depth={history_depth}", "--no-tags", "--single-branch"]
    argv = [_git_binary(), *_GIT_OPTIONS, "clone", *options, "--", target.value, str(checkout)]
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=_git_env(),
        start_new_session=True,  # its own process group: killing it ends the transport helpers too
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout_seconds)
    except TimeoutError:
        await _kill_group(process)
        raise FailedPrecondition(
            f"Cloning {target.display} timed out after {timeout_seconds:g} s.", slug="repository-unreachable"
        ) from None
    except BaseException:
        await _kill_group(process)
        raise
    if process.returncode != 0:
        raise FailedPrecondition(
            f"Could not clone {target.display}: {_first_error_line(stderr)}", slug="repository-unreachable"
        )


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    """Kill a clone and everything it started, then reap it."""
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    await process.wait()


# ---------------------------------------------------------------------------------------------------
# Inventory and reading
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    rel: str  # filesystem path relative to the root, for reading
    path: str  # the same path as printable text, for the result
    size: int

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))

    @property
    def basename(self) -> str:
        return self.parts[-1]

    @property
    def parent(self) -> str:
        return "/".join(self.parts[:-1])

    @property
    def ext(self) -> str:
        name = self.basename.lower()
        return name[name.rfind(".") :] if "." in name.lstrip(".") else ""


@dataclass
class _Inventory:
    files: list[_File]
    skipped_dirs: list[str]
    capped: bool


def _take_inventory(root: Path, timeout: float) -> _Inventory:
    """The regular files git sees (tracked, and untracked but not ignored), vendored directories skipped.

    Listing through git rather than walking the disk leaves out what ``.gitignore`` excludes: a local
    checkout's build output and virtualenvs are not part of the repository.
    """
    try:
        result = _run_git(root, timeout, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except subprocess.TimeoutExpired:
        raise FailedPrecondition("Listing the repository's files timed out.", slug="repository-unreachable") from None
    if result.returncode != 0:
        raise FailedPrecondition(
            f"git could not list the files: {_first_error_line(result.stderr)}", slug="not-a-git-repository"
        )
    files: list[_File] = []
    skipped: dict[str, None] = {}
    capped = False
    listed = [raw for raw in dict.fromkeys(result.stdout.split(b"\0")) if raw]
    for count, raw in enumerate(listed):
        if len(files) >= MAX_FILES or count >= MAX_LISTED_PATHS:
            capped = True
            break
        entry = _inventory_entry(root, raw, skipped)
        if entry is not None:
            files.append(entry)
    return _Inventory(files, list(skipped)[:MAX_LISTED], capped)


def _inventory_entry(root: Path, raw: bytes, skipped: dict[str, None]) -> _File | None:
    """A listed path as a regular file, or None (skipped directory, symlink, submodule, gone)."""
    parts = raw.split(b"/")
    for index, part in enumerate(parts[:-1]):
        if part.decode("utf-8", "replace") in SKIPPED_DIRS or part.endswith(b".egg-info"):
            skipped[b"/".join(parts[: index + 1]).decode("utf-8", "replace")] = None
            return None
    rel = os.fsdecode(raw)
    try:
        info = os.lstat(root / rel)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return _File(rel=rel, path=raw.decode("utf-8", "replace"), size=info.st_size)


class _Reader:
    """Reads file text within the per-file and per-analysis byte limits, counting what it did."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.bytes_read = 0
        self.files_read: set[str] = set()
        self.truncated: set[str] = set()
        self.binary: set[str] = set()
        self.exhausted = False

    def whole(self, file: _File) -> str | None:
        """A file's text up to MAX_FILE_BYTES (a longer file counts as truncated), None if binary."""
        data = self._bytes(file, MAX_FILE_BYTES)
        if data is None:
            return None
        if len(data) > MAX_FILE_BYTES:
            self.truncated.add(file.rel)
        return data[:MAX_FILE_BYTES].decode("utf-8", "replace")

    def head(self, file: _File, limit: int) -> tuple[str, bool] | None:
        """The first ``limit`` bytes of a file as text, and whether there was more."""
        data = self._bytes(file, limit)
        if data is None:
            return None
        return data[:limit].decode("utf-8", "replace"), len(data) > limit

    def _bytes(self, file: _File, limit: int) -> bytes | None:
        """Up to ``limit + 1`` bytes of a regular file inside the root; None for binary or unreadable."""
        if self.bytes_read >= MAX_READ_BYTES:
            self.exhausted = True
            return None
        full = os.path.join(self.root, file.rel)
        if not os.path.realpath(full).startswith(self.real_root + os.sep):
            return None  # a path through a symlinked directory leads outside the checkout
        try:
            descriptor = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(descriptor, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        self.bytes_read += len(data)
        self.files_read.add(file.rel)
        if b"\0" in data[:8192]:
            self.binary.add(file.rel)
            return None
        return data


def _file_stats(inventory: _Inventory, reader: _Reader) -> FileStats:
    """How much was looked at and read."""
    return FileStats(
        walked=len(inventory.files),
        bytes=sum(file.size for file in inventory.files),
        binary=sum(1 for file in inventory.files if file.ext in _BINARY_EXTENSIONS) + len(reader.binary),
        read=len(reader.files_read),
        truncated=len(reader.truncated),
        capped=inventory.capped,
        read_budget_exhausted=reader.exhausted,
        skipped_dirs=tuple(inventory.skipped_dirs),
    )


def _limit_notes(inventory: _Inventory, reader: _Reader, sources: _SourceFacts) -> list[str]:
    """Sentences saying where a limit cut the analysis short."""
    notes = []
    if inventory.capped:
        notes.append(f"Only the first {len(inventory.files):,} files (in path order) were analysed.")
    if reader.truncated:
        notes.append(f"{len(reader.truncated)} files longer than {MAX_FILE_BYTES // 1024} KiB were read in part.")
    if reader.exhausted:
        notes.append(f"Reading stopped after {MAX_READ_BYTES // (1024 * 1024)} MiB; later files were not read.")
    if sources.routes_capped:
        notes.append(f"Only the first {MAX_ROUTES} routes are listed.")
    return notes


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    """Items in first-seen order without repeats."""
    return tuple(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------------------
# Languages, layout and sizes
# ---------------------------------------------------------------------------------------------------

_LANGUAGES: Mapping[str, str] = {
    ".py": "Python", ".pyi": "Python", ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript",
    ".jsx": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript", ".go": "Go",
    ".rs": "Rust", ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin", ".scala": "Scala", ".groovy": "Groovy",
    ".rb": "Ruby", ".php": "PHP", ".cs": "C#", ".fs": "F#", ".c": "C", ".h": "C", ".cpp": "C++", ".cc": "C++",
    ".cxx": "C++", ".hpp": "C++", ".hh": "C++", ".m": "Objective-C", ".swift": "Swift", ".dart": "Dart",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".ps1": "PowerShell", ".sql": "SQL", ".html": "HTML",
    ".htm": "HTML", ".css": "CSS", ".scss": "SCSS", ".sass": "SCSS", ".less": "Less", ".vue": "Vue",
    ".svelte": "Svelte", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".hs": "Haskell", ".lua": "Lua",
    ".r": "R", ".jl": "Julia", ".clj": "Clojure", ".ml": "OCaml", ".zig": "Zig", ".nim": "Nim", ".pl": "Perl",
    ".proto": "Protocol Buffers", ".graphql": "GraphQL", ".tf": "HCL", ".hcl": "HCL", ".ipynb": "Jupyter Notebook",
    ".md": "Markdown", ".mdx": "Markdown", ".rst": "reStructuredText", ".yml": "YAML", ".yaml": "YAML",
    ".json": "JSON", ".toml": "TOML", ".xml": "XML", ".ini": "INI", ".cfg": "INI",
}  # fmt: skip
_DATA_LANGUAGES = frozenset({"Markdown", "reStructuredText", "YAML", "JSON", "TOML", "XML", "INI"})
_FILENAME_LANGUAGES: Mapping[str, str] = {"Dockerfile": "Dockerfile", "Makefile": "Makefile", "Jenkinsfile": "Groovy"}
_BINARY_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tiff", ".psd", ".pdf", ".zip", ".gz", ".tgz",
    ".bz2", ".xz", ".7z", ".rar", ".tar", ".jar", ".war", ".ear", ".class", ".so", ".dylib", ".dll", ".exe", ".bin",
    ".o", ".a", ".lib", ".obj", ".pyc", ".pyo", ".whl", ".egg", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3",
    ".mp4", ".mov", ".avi", ".webm", ".wav", ".ogg", ".flac", ".wasm", ".sqlite", ".sqlite3", ".db", ".parquet",
    ".npy", ".npz", ".pkl", ".pt", ".onnx", ".h5",
})  # fmt: skip
_LOCK_FILES: Mapping[str, str] = {
    "package-lock.json": "npm", "yarn.lock": "Yarn", "pnpm-lock.yaml": "pnpm", "bun.lockb": "Bun",
    "bun.lock": "Bun", "poetry.lock": "Poetry", "uv.lock": "uv", "Pipfile.lock": "Pipenv", "pdm.lock": "PDM",
    "Cargo.lock": "Cargo", "go.sum": "Go modules", "Gemfile.lock": "Bundler", "composer.lock": "Composer",
    "gradlew": "Gradle", "mvnw": "Maven",
}  # fmt: skip


def _language_of(file: _File) -> str | None:
    """The language of a file by extension or well-known name; lock files and minified code have none."""
    name = file.basename
    if name in _LOCK_FILES or ".min." in name:
        return None
    for prefix, language in _FILENAME_LANGUAGES.items():
        if name == prefix or name.startswith(prefix + "."):
            return language
    return _LANGUAGES.get(file.ext)


def _languages(files: list[_File]) -> tuple[LanguageStat, ...]:
    """Languages by bytes, largest first."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for file in files:
        language = _language_of(file)
        if language is not None:
            counts[language] += 1
            sizes[language] += file.size
    ordered = sorted(counts, key=lambda language: (-sizes[language], language))
    return tuple(
        LanguageStat(language, counts[language], sizes[language], language not in _DATA_LANGUAGES)
        for language in ordered
    )


def _top_level(files: list[_File]) -> tuple[LayoutEntry, ...]:
    """The root's directories (with their file counts) and files."""
    directories: Counter[str] = Counter()
    root_files = []
    for file in files:
        if len(file.parts) > 1:
            directories[file.parts[0]] += 1
        else:
            root_files.append(file.basename)
    entries = [LayoutEntry(name, "directory", directories[name]) for name in sorted(directories)]
    entries += [LayoutEntry(name, "file", 1) for name in sorted(root_files)]
    return tuple(entries[:MAX_LISTED])


def _directories(files: list[_File]) -> tuple[DirectoryCount, ...]:
    """The directories (one and two levels deep) holding the most files, in path order."""
    counts: Counter[str] = Counter()
    for file in files:
        for level in (1, 2):
            if len(file.parts) > level:
                counts["/".join(file.parts[:level])] += 1
    busiest = heapq.nsmallest(MAX_DIRECTORIES, counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(DirectoryCount(path, count) for path, count in sorted(busiest))


def _largest(files: list[_File]) -> tuple[FileSize, ...]:
    """The largest files, largest first."""
    return tuple(FileSize(file.path, file.size) for file in heapq.nlargest(LARGEST_FILES, files, key=lambda f: f.size))


def _package_managers(files: list[_File]) -> tuple[str, ...]:
    """Package managers named by the lock files (and wrappers) present."""
    return tuple(sorted({_LOCK_FILES[file.basename] for file in files if file.basename in _LOCK_FILES}))


# ---------------------------------------------------------------------------------------------------
# Manifests and frameworks
# ---------------------------------------------------------------------------------------------------


@dataclass
class _ManifestFacts:
    manifest: Manifest
    entry_points: list[EntryPoint] = field(default_factory=list)
    test_markers: set[str] = field(default_factory=set)


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _python_name(requirement: str) -> str | None:
    """The normalised project name of a PEP 508 requirement string."""
    match = _REQUIREMENT_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else None


def _table(value: Any) -> dict[str, Any]:
    """A TOML/JSON table, or an empty one when the file holds something else there."""
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    """The strings of a TOML/JSON array (anything else is ignored)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _manifest(path: str, kind: str, ecosystem: str, **facts: Any) -> Manifest:
    """A manifest with sorted, unique, capped dependency lists."""
    for key in ("dependencies", "dev_dependencies"):
        names = {name for name in facts.get(key, ()) if name}
        facts[key] = tuple(sorted(names)[:MAX_DEPENDENCIES])
    facts["scripts"] = tuple(facts.get("scripts", ()))[:MAX_LISTED]
    return Manifest(path=path, kind=kind, ecosystem=ecosystem, **facts)


def _scripts(table: Any, kind: str, file: str) -> list[EntryPoint]:
    """Console scripts from a ``name = "module:function"`` table (a Poetry value may be a table)."""
    points = []
    for name, target in _table(table).items():
        reference = target if isinstance(target, str) else _table(target).get("callable") or ""
        if isinstance(reference, str):
            points.append(EntryPoint(kind, str(name), reference, file))
    return points


def _parse_pyproject(path: str, text: str) -> _ManifestFacts:
    """pyproject.toml: PEP 621 project, dependency groups and Poetry."""
    data = tomllib.loads(text)
    project, tool = _table(data.get("project")), _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))
    deps = [_python_name(item) for item in _strings(project.get("dependencies"))]
    deps += [_python_name(name) for name in _table(poetry.get("dependencies")) if name.lower() != "python"]
    dev = [
        _python_name(item)
        for extra in _table(project.get("optional-dependencies")).values()
        for item in _strings(extra)
    ]
    dev += [_python_name(item) for group in _table(data.get("dependency-groups")).values() for item in _strings(group)]
    dev += [_python_name(name) for name in _table(poetry.get("dev-dependencies"))]
    for group in _table(poetry.get("group")).values():
        dev += [_python_name(name) for name in _table(_table(group).get("dependencies"))]
    name = project.get("name") or poetry.get("name")
    facts = _ManifestFacts(
        _manifest(path, "pyproject.toml", "Python", name=name if isinstance(name, str) else None,
                  dependencies=deps, dev_dependencies=dev),
        entry_points=_scripts(project.get("scripts"), "console script", path)
        + _scripts(project.get("gui-scripts"), "gui script", path)
        + _scripts(poetry.get("scripts"), "console script", path),
    )  # fmt: skip
    if "pytest" in tool:
        facts.test_markers.add("pytest")
    return facts


def _parse_requirements(path: str, text: str) -> _ManifestFacts:
    """requirements*.txt: one requirement a line; options, includes and URLs are skipped."""
    names = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")) and "://" not in line:
            names.append(_python_name(line))
    lower = path.rsplit("/", 1)[-1].lower()
    development = any(word in lower for word in ("dev", "test", "lint", "doc", "ci"))
    key = "dev_dependencies" if development else "dependencies"
    return _ManifestFacts(_manifest(path, "requirements.txt", "Python", **{key: names}))


def _config_lines(value: str) -> list[str]:
    """The non-empty lines of a multi-line setup.cfg value."""
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def _parse_setup_cfg(path: str, text: str) -> _ManifestFacts:
    """setup.cfg: install_requires, extras_require, console_scripts and a pytest section."""
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read_string(text)
    deps = [_python_name(line) for line in _config_lines(config.get("options", "install_requires", fallback=""))]
    dev = []
    if config.has_section("options.extras_require"):
        dev = [
            _python_name(line) for _, value in config.items("options.extras_require") for line in _config_lines(value)
        ]
    points = []
    for line in _config_lines(config.get("options.entry_points", "console_scripts", fallback="")):
        name, _, target = line.partition("=")
        points.append(EntryPoint("console script", name.strip(), target.strip(), path))
    name = config.get("metadata", "name", fallback=None)
    facts = _ManifestFacts(
        _manifest(path, "setup.cfg", "Python", name=name, dependencies=deps, dev_dependencies=dev), points
    )
    if config.has_section("tool:pytest"):
        facts.test_markers.add("pytest")
    return facts


def _parse_pipfile(path: str, text: str) -> _ManifestFacts:
    """Pipfile: packages and dev-packages."""
    data = tomllib.loads(text)
    deps = [_python_name(name) for name in _table(data.get("packages"))]
    dev = [_python_name(name) for name in _table(data.get("dev-packages"))]
    return _ManifestFacts(_manifest(path, "Pipfile", "Python", dependencies=deps, dev_dependencies=dev))


def _parse_setup_py(path: str, text: str) -> _ManifestFacts:
    """setup.py is code: it is recorded, never run or parsed."""
    return _ManifestFacts(_manifest(path, "setup.py", "Python"))


_JS_TEST_RUNNERS: Mapping[str, str] = {
    "jest": "Jest", "vitest": "Vitest", "mocha": "Mocha", "playwright": "Playwright", "cypress": "Cypress",
}  # fmt: skip


def _parse_package_json(path: str, text: str) -> _ManifestFacts:
    """package.json: dependencies, devDependencies, scripts, bin, main and a jest section."""
    data = _table(json.loads(text))
    name = data.get("name") if isinstance(data.get("name"), str) else None
    scripts = {key: value for key, value in _table(data.get("scripts")).items() if isinstance(value, str)}
    manifest = _manifest(
        path, "package.json", "JavaScript", name=name, dependencies=list(_table(data.get("dependencies"))),
        dev_dependencies=[*_table(data.get("devDependencies")), *_table(data.get("peerDependencies"))],
        scripts=list(scripts),
    )  # fmt: skip
    facts = _ManifestFacts(manifest)
    binaries = data.get("bin")
    if isinstance(binaries, str) and name:
        binaries = {name.rsplit("/", 1)[-1]: binaries}
    for command, target in _table(binaries).items():
        if isinstance(target, str):
            facts.entry_points.append(EntryPoint("package bin", str(command), target, path))
    if isinstance(data.get("main"), str):
        facts.entry_points.append(EntryPoint("package main", name or path, data["main"], path))
    if "start" in scripts:
        facts.entry_points.append(EntryPoint("npm start", "start", scripts["start"][:200], path))
    if "jest" in data:
        facts.test_markers.add("Jest")
    test_script = scripts.get("test", "")
    facts.test_markers.update(label for word, label in _JS_TEST_RUNNERS.items() if word in test_script)
    return facts


def _parse_go_mod(path: str, text: str) -> _ManifestFacts:
    """go.mod: the module path and its direct requirements."""
    module = re.search(r"^module\s+(\S+)", text, re.M)
    deps = []
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("require ("):
            inside = True
        elif inside and stripped == ")":
            inside = False
        elif (inside or stripped.startswith("require ")) and "// indirect" not in stripped:
            words = stripped.removeprefix("require ").split()
            if len(words) >= 2 and words[1].startswith("v"):
                deps.append(words[0])
    return _ManifestFacts(_manifest(path, "go.mod", "Go", name=module.group(1) if module else None, dependencies=deps))


def _parse_cargo(path: str, text: str) -> _ManifestFacts:
    """Cargo.toml: package, (dev-/build-/workspace) dependencies and [[bin]] targets."""
    data = tomllib.loads(text)
    package = _table(data.get("package"))
    deps = [*_table(data.get("dependencies")), *_table(_table(data.get("workspace")).get("dependencies"))]
    dev = [*_table(data.get("dev-dependencies")), *_table(data.get("build-dependencies"))]
    name = package.get("name") if isinstance(package.get("name"), str) else None
    facts = _ManifestFacts(_manifest(path, "Cargo.toml", "Rust", name=name, dependencies=deps, dev_dependencies=dev))
    for target in data.get("bin", []) if isinstance(data.get("bin"), list) else []:
        target = _table(target)
        if isinstance(target.get("name"), str):
            facts.entry_points.append(EntryPoint("cargo bin", target["name"], str(target.get("path", "")), path))
    facts.test_markers.add("cargo")
    return facts


_XML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_XML_DEPENDENCY = re.compile(r"<(dependency|parent|plugin)>(.*?)</\1>", re.S)
_XML_NESTED = re.compile(r"<(parent|dependencies|dependencyManagement|build|profiles|reporting)>.*?</\1>", re.S)


def _xml_value(block: str, tag: str) -> str:
    """The text of the first ``<tag>`` in an XML fragment."""
    match = re.search(rf"<{tag}>\s*([^<]+?)\s*</{tag}>", block)
    return match.group(1) if match else ""


def _parse_pom(path: str, text: str) -> _ManifestFacts:
    """pom.xml, read with patterns rather than an XML parser (no entity expansion from untrusted files)."""
    text = _XML_COMMENT.sub("", text)
    deps, dev = [], []
    for match in _XML_DEPENDENCY.finditer(text):
        coordinate = f"{_xml_value(match.group(2), 'groupId')}:{_xml_value(match.group(2), 'artifactId')}"
        (dev if _xml_value(match.group(2), "scope") == "test" else deps).append(coordinate.strip(":"))
    name = _xml_value(_XML_NESTED.sub("", text), "artifactId") or None
    return _ManifestFacts(_manifest(path, "pom.xml", "Java", name=name, dependencies=deps, dev_dependencies=dev))


_GRADLE_DEPENDENCY = re.compile(
    r"\b(\w*(?:[Ii]mplementation|[Aa]pi|[Cc]ompileOnly|[Rr]untimeOnly|[Cc]ompile|[Aa]nnotationProcessor|kapt))"
    r"\s*\(?\s*['\"]([^'\":\s]+):([^'\":\s]+)"
)
_GRADLE_PLUGIN = re.compile(r"\bid\s*\(?\s*['\"]([\w.-]+)['\"]")


def _parse_gradle(path: str, text: str) -> _ManifestFacts:
    """build.gradle(.kts): dependency coordinates and plugin ids."""
    deps, dev = [], []
    for configuration, group, artifact in _GRADLE_DEPENDENCY.findall(text):
        (dev if configuration.lower().startswith(("test", "androidtest")) else deps).append(f"{group}:{artifact}")
    deps += _GRADLE_PLUGIN.findall(text)
    kind = path.rsplit("/", 1)[-1]
    return _ManifestFacts(_manifest(path, kind, "Java", dependencies=deps, dev_dependencies=dev))


def _parse_gemfile(path: str, text: str) -> _ManifestFacts:
    """Gemfile: gems, with those in development or test groups apart."""
    deps, dev = [], []
    in_dev_group = False
    for line in text.splitlines():
        if re.match(r"^\s*group\b.*\bdo\b", line):
            in_dev_group = bool(re.search(r":(development|test)\b", line))
        elif re.match(r"^\s*end\b", line):
            in_dev_group = False
        elif gem := re.match(r"""^\s*gem\s+['"]([^'"]+)['"]""", line):
            (dev if in_dev_group else deps).append(gem.group(1))
    return _ManifestFacts(_manifest(path, "Gemfile", "Ruby", dependencies=deps, dev_dependencies=dev))


def _parse_composer(path: str, text: str) -> _ManifestFacts:
    """composer.json: require and require-dev (the PHP version and extensions left out)."""
    data = _table(json.loads(text))

    def packages(key: str) -> list[str]:
        return [name for name in _table(data.get(key)) if name != "php" and not name.startswith("ext-")]

    name = data.get("name") if isinstance(data.get("name"), str) else None
    facts = _ManifestFacts(
        _manifest(path, "composer.json", "PHP", name=name, dependencies=packages("require"),
                  dev_dependencies=packages("require-dev"))
    )  # fmt: skip
    for target in _strings(data.get("bin")):
        facts.entry_points.append(EntryPoint("package bin", target.rsplit("/", 1)[-1], target, path))
    return facts


_MANIFEST_PARSERS: Mapping[str, Callable[[str, str], _ManifestFacts]] = {
    "pyproject.toml": _parse_pyproject, "setup.cfg": _parse_setup_cfg, "setup.py": _parse_setup_py,
    "Pipfile": _parse_pipfile, "package.json": _parse_package_json, "go.mod": _parse_go_mod,
    "Cargo.toml": _parse_cargo, "pom.xml": _parse_pom, "build.gradle": _parse_gradle,
    "build.gradle.kts": _parse_gradle, "Gemfile": _parse_gemfile, "composer.json": _parse_composer,
}  # fmt: skip
_ECOSYSTEMS: Mapping[str, str] = {
    "pyproject.toml": "Python", "setup.cfg": "Python", "setup.py": "Python", "Pipfile": "Python",
    "package.json": "JavaScript", "go.mod": "Go", "Cargo.toml": "Rust", "pom.xml": "Java",
    "build.gradle": "Java", "build.gradle.kts": "Java", "Gemfile": "Ruby", "composer.json": "PHP",
}  # fmt: skip


def _manifest_parser(file: _File) -> Callable[[str, str], _ManifestFacts] | None:
    """The parser for a manifest file, or None when the file is not one."""
    name = file.basename
    if name.lower().endswith(".txt") and "requirements" in name.lower():
        return _parse_requirements
    return _MANIFEST_PARSERS.get(name)


def _read_manifests(files: list[_File], reader: _Reader) -> list[_ManifestFacts]:
    """Every manifest (shallowest first, capped), parsed; a broken one is recorded with its error."""
    candidates = [(file, parser) for file in files if (parser := _manifest_parser(file))]
    candidates.sort(key=lambda item: (len(item[0].parts), item[0].path))
    found = []
    for file, parser in candidates[:MAX_MANIFESTS]:
        kind = "requirements.txt" if parser is _parse_requirements else file.basename
        ecosystem = _ECOSYSTEMS.get(kind, "Python")
        text = reader.whole(file)
        if text is None:
            found.append(_ManifestFacts(_manifest(file.path, kind, ecosystem, error="could not be read")))
            continue
        try:
            found.append(parser(file.path, text))
        except (ValueError, configparser.Error) as exc:
            error = f"could not be parsed ({type(exc).__name__})"
            found.append(_ManifestFacts(_manifest(file.path, kind, ecosystem, error=error)))
    return found


_FRAMEWORKS: Mapping[str, Mapping[str, str]] = {
    "Python": {
        "fastapi": "FastAPI", "flask": "Flask", "django": "Django", "djangorestframework": "Django REST framework",
        "starlette": "Starlette", "sqlalchemy": "SQLAlchemy", "alembic": "Alembic", "pydantic": "Pydantic",
        "celery": "Celery", "aiohttp": "aiohttp", "tornado": "Tornado", "grpcio": "gRPC", "streamlit": "Streamlit",
        "torch": "PyTorch", "tensorflow": "TensorFlow", "scrapy": "Scrapy", "sanic": "Sanic", "litestar": "Litestar",
        "quart": "Quart", "typer": "Typer", "click": "Click", "pandas": "pandas", "langchain": "LangChain",
    },
    "JavaScript": {
        "react": "React", "next": "Next.js", "vue": "Vue", "nuxt": "Nuxt", "@angular/core": "Angular",
        "svelte": "Svelte", "@sveltejs/kit": "SvelteKit", "express": "Express", "koa": "Koa", "fastify": "Fastify",
        "@nestjs/core": "NestJS", "hono": "Hono", "vite": "Vite", "webpack": "webpack", "tailwindcss": "Tailwind CSS",
        "prisma": "Prisma", "@prisma/client": "Prisma", "electron": "Electron", "react-native": "React Native",
        "typescript": "TypeScript", "@grpc/grpc-js": "gRPC", "graphql": "GraphQL", "@remix-run/react": "Remix",
        "astro": "Astro", "redux": "Redux", "@reduxjs/toolkit": "Redux",
    },
    "Rust": {
        "actix-web": "Actix Web", "axum": "axum", "rocket": "Rocket", "tokio": "Tokio", "tonic": "tonic (gRPC)",
        "warp": "warp", "diesel": "Diesel", "sqlx": "SQLx", "clap": "clap", "serde": "Serde", "bevy": "Bevy",
    },
    "Ruby": {"rails": "Rails", "sinatra": "Sinatra", "hanami": "Hanami", "sidekiq": "Sidekiq"},
    "PHP": {"laravel/framework": "Laravel", "symfony/framework-bundle": "Symfony", "slim/slim": "Slim"},
}  # fmt: skip
_FRAMEWORK_PREFIXES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Go": (
        ("github.com/gin-gonic/gin", "Gin"), ("github.com/labstack/echo", "Echo"),
        ("github.com/gofiber/fiber", "Fiber"), ("github.com/go-chi/chi", "chi"),
        ("github.com/gorilla/mux", "Gorilla mux"), ("google.golang.org/grpc", "gRPC"),
        ("github.com/spf13/cobra", "Cobra"), ("gorm.io/gorm", "GORM"),
    ),
    "Java": (
        ("org.springframework.boot", "Spring Boot"), ("org.springframework", "Spring"), ("io.quarkus", "Quarkus"),
        ("io.micronaut", "Micronaut"), ("io.grpc", "gRPC"), ("org.hibernate", "Hibernate"),
    ),
}  # fmt: skip
_TEST_FRAMEWORKS: Mapping[str, Mapping[str, str]] = {
    "Python": {"pytest": "pytest", "nose2": "nose2"},
    "JavaScript": {
        "jest": "Jest", "vitest": "Vitest", "mocha": "Mocha", "@playwright/test": "Playwright", "cypress": "Cypress",
        "jasmine": "Jasmine", "ava": "AVA",
    },
    "Ruby": {"rspec": "RSpec", "rspec-rails": "RSpec", "minitest": "Minitest"},
    "PHP": {"phpunit/phpunit": "PHPUnit", "pestphp/pest": "Pest"},
}  # fmt: skip
_TEST_PREFIXES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Java": (("org.junit", "JUnit"), ("junit:junit", "JUnit"), ("org.testng", "TestNG")),
    "Go": (("github.com/stretchr/testify", "testify"),),
}


def _labels(
    ecosystem: str, names: Iterable[str], exact: Mapping[str, Mapping[str, str]], prefixes: Mapping[str, Any]
) -> set[str]:
    """The labels a table gives the dependency names of one ecosystem (exact names, then prefixes)."""
    by_name = exact.get(ecosystem, {})
    labels = set()
    for name in names:
        if name.lower() in by_name:
            labels.add(by_name[name.lower()])
            continue
        label = next((label for prefix, label in prefixes.get(ecosystem, ()) if name.startswith(prefix)), None)
        if label:
            labels.add(label)
    return labels


def _frameworks(manifests: Iterable[Manifest]) -> tuple[str, ...]:
    """Frameworks and notable libraries named by any manifest's dependencies."""
    labels: set[str] = set()
    for manifest in manifests:
        names = (*manifest.dependencies, *manifest.dev_dependencies)
        labels |= _labels(manifest.ecosystem, names, _FRAMEWORKS, _FRAMEWORK_PREFIXES)
    return tuple(sorted(labels, key=str.lower))


# ---------------------------------------------------------------------------------------------------
# Tests, CI and conventions
# ---------------------------------------------------------------------------------------------------

_TEST_FILE = re.compile(
    r"^(?:test_.+\.py|.+_test\.py|.+\.(?:test|spec)\.[cm]?[jt]sx?|.+_test\.go|.+Tests?\.(?:java|kt)"
    r"|.+_spec\.rb|.+_test\.rb|.+Test\.php)$"
)
_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec", "e2e"})
_TEST_CONFIG_FILES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(pytest\.ini|conftest\.py)$"), "pytest"),
    (re.compile(r"^jest\.config\.\w+$"), "Jest"),
    (re.compile(r"^vitest\.(config|workspace)\.\w+$"), "Vitest"),
    (re.compile(r"^\.mocharc(\.\w+)?$"), "Mocha"),
    (re.compile(r"^playwright\.config\.\w+$"), "Playwright"),
    (re.compile(r"^cypress(\.config\.\w+|\.json)$"), "Cypress"),
    (re.compile(r"^phpunit\.xml(\.dist)?$"), "PHPUnit"),
    (re.compile(r"^\.rspec$"), "RSpec"),
    (re.compile(r".+_test\.go$"), "go test"),
)
_UNITTEST_IMPORT = re.compile(r"^\s*(?:import\s+unittest\b|from\s+unittest\b)", re.M)
_UNITTEST_SAMPLE = 50  # Python test files read to look for unittest


def _is_test_file(file: _File) -> bool:
    """A test by its name, or source code under a test directory."""
    if _TEST_FILE.match(file.basename):
        return True
    language = _LANGUAGES.get(file.ext)
    return language is not None and language not in _DATA_LANGUAGES and any(p in _TEST_DIRS for p in file.parts[:-1])


def _test_dir(file: _File) -> str | None:
    """The outermost test directory a file sits in."""
    for index, part in enumerate(file.parts[:-1]):
        if part in _TEST_DIRS:
            return "/".join(file.parts[: index + 1])
    return None


def _detect_tests(
    files: list[_File], manifests: list[_ManifestFacts], source_markers: set[str], reader: _Reader
) -> TestSetup:
    """Test frameworks (from dependencies, config files and test code), test files and test directories."""
    labels = set(source_markers)
    for facts in manifests:
        manifest = facts.manifest
        labels |= facts.test_markers
        names = (*manifest.dependencies, *manifest.dev_dependencies)
        labels |= _labels(manifest.ecosystem, names, _TEST_FRAMEWORKS, _TEST_PREFIXES)
    for file in files:
        labels.update(label for pattern, label in _TEST_CONFIG_FILES if pattern.match(file.basename))
    tests = [file for file in files if _is_test_file(file)]
    python_tests = [file for file in tests if file.ext == ".py"][:_UNITTEST_SAMPLE]
    if any(_UNITTEST_IMPORT.search(reader.whole(file) or "") for file in python_tests):
        labels.add("unittest")
    if "cargo" in labels:
        labels.discard("cargo")
        if "cargo test" in source_markers or any(file.ext == ".rs" for file in tests):
            labels.add("cargo test")
    directories = _unique(d for file in tests if (d := _test_dir(file)))
    return TestSetup(tuple(sorted(labels, key=str.lower)), len(tests), directories[:MAX_LISTED])


_YAML_KEY = re.compile(r"""^(?P<indent>[ ]*)(?P<q>['"]?)(?P<key>[^'"#:\s-][^'"#:]*?)(?P=q)\s*:(?:\s|$)""")


def _yaml_child_keys(text: str, parent: str) -> list[str]:
    """The keys one level under a top-level YAML key (no YAML parser: the format is read by indentation)."""
    keys: list[str] = []
    inside, indent = False, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not inside:
            match = _YAML_KEY.match(line)
            inside = bool(match and not match["indent"] and match["key"] == parent)
            continue
        if not line.startswith((" ", "\t")):
            break
        match = _YAML_KEY.match(line)
        if match is None:
            continue
        indent = len(match["indent"]) if indent is None else indent
        if len(match["indent"]) == indent:
            keys.append(match["key"])
    return keys


def _yaml_scalar(text: str, key: str) -> str | None:
    """A top-level YAML scalar, unquoted."""
    match = re.search(rf"^{key}:[ \t]*(.+?)[ \t]*$", text, re.M)
    if not match or match.group(1).startswith(("#", "|", ">")):
        return None
    return match.group(1).split(" #")[0].strip().strip("'\"") or None


def _workflow_triggers(text: str) -> list[str]:
    """The events of a GitHub workflow's ``on:`` (inline, list or block form)."""
    inline = re.search(r"^['\"]?on['\"]?:[ \t]*([^\s#].*?)[ \t]*$", text, re.M)
    if inline:
        return [word.strip(" '\"") for word in inline.group(1).strip("[]").split(",") if word.strip(" '\"")]
    return _yaml_child_keys(text, "on") or _yaml_child_keys(text, '"on"') or _yaml_child_keys(text, "true")


_GITLAB_RESERVED = frozenset(
    {"stages", "variables", "image", "services", "before_script", "after_script", "cache", "include", "default"}
    | {"workflow", "spec"}
)


def _ci_pipeline(file: _File, text: str) -> CiPipeline | None:
    """The CI facts of a file, by its location; None for a file that is not CI configuration."""
    path = file.path
    if file.parent == ".github/workflows" and file.ext in (".yml", ".yaml"):
        return CiPipeline(
            "GitHub Actions", path, _yaml_scalar(text, "name"), tuple(_workflow_triggers(text)),
            tuple(_yaml_child_keys(text, "jobs")),
        )  # fmt: skip
    if path == ".gitlab-ci.yml":  # every top-level key that is not a setting is a job
        jobs = [m["key"] for line in text.splitlines() if (m := _YAML_KEY.match(line)) and not m["indent"]]
        return CiPipeline(
            "GitLab CI",
            path,
            jobs=tuple(job for job in jobs if job not in _GITLAB_RESERVED and not job.startswith(".")),
        )
    if path == ".circleci/config.yml":
        workflows = [name for name in _yaml_child_keys(text, "workflows") if name != "version"]
        return CiPipeline("CircleCI", path, ", ".join(workflows) or None, jobs=tuple(_yaml_child_keys(text, "jobs")))
    if path == "Jenkinsfile":
        return CiPipeline("Jenkins", path, jobs=tuple(re.findall(r"""\bstage\s*\(\s*['"]([^'"]+)['"]""", text)))
    providers = {".travis.yml": "Travis CI", "azure-pipelines.yml": "Azure Pipelines"}
    providers["bitbucket-pipelines.yml"] = "Bitbucket Pipelines"
    return CiPipeline(providers[path], path) if path in providers else None


_CI_FILES = frozenset(
    {".gitlab-ci.yml", ".circleci/config.yml", "Jenkinsfile", ".travis.yml", "azure-pipelines.yml"}
    | {"bitbucket-pipelines.yml"}
)


def _is_ci_file(file: _File) -> bool:
    """A CI configuration file, by its place in the repository."""
    github = file.parent == ".github/workflows" and file.ext in (".yml", ".yaml")
    return github or file.path in _CI_FILES


def _read_ci(files: list[_File], reader: _Reader) -> tuple[CiPipeline, ...]:
    """Every CI configuration found, in path order."""
    pipelines = []
    for file in files:
        text = reader.whole(file) if _is_ci_file(file) else None
        pipeline = _ci_pipeline(file, text) if text is not None else None
        if pipeline is not None:
            pipelines.append(pipeline)
    return tuple(pipelines)


_EXCERPT_KINDS = frozenset({"AGENTS.md", "CLAUDE.md", "CONTRIBUTING.md"})


def _convention_kind(file: _File) -> str | None:
    """What convention file this is, if any (agent instructions at any depth, the rest at known places)."""
    lower, parent = file.basename.lower(), file.parent
    if lower in ("agents.md", "claude.md"):
        return lower.upper().replace(".MD", ".md")
    if lower.startswith("contributing") and parent in ("", ".github", "docs"):
        return "CONTRIBUTING.md"
    if lower.startswith("readme") and parent == "":
        return "README"
    if lower == ".editorconfig" and parent == "":
        return ".editorconfig"
    if file.basename == "CODEOWNERS" and parent in ("", ".github", "docs"):
        return "CODEOWNERS"
    return None


def _excerpt(reader: _Reader, file: _File) -> tuple[str | None, bool]:
    """The opening ~EXCERPT_CHARS characters of a text file (cut at a word), and whether it goes on."""
    read = reader.head(file, EXCERPT_CHARS * 4)
    if read is None:
        return None, False
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", read[0].replace("\r\n", "\n"))
    if len(text) <= EXCERPT_CHARS and not read[1]:
        return text.strip(), False
    cut = text[:EXCERPT_CHARS]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > EXCERPT_CHARS - 200 else cut).rstrip(), True


def _read_conventions(files: list[_File], reader: _Reader) -> tuple[ConventionFile, ...]:
    """Convention files, shallowest first; the first few instruction files carry an excerpt."""
    found = sorted(
        ((kind, file) for file in files if (kind := _convention_kind(file))), key=lambda i: (len(i[1].parts), i[1].path)
    )
    conventions = []
    excerpts = 0
    for kind, file in found:
        if kind in _EXCERPT_KINDS and excerpts < MAX_EXCERPTS:
            excerpts += 1
            text, truncated = _excerpt(reader, file)
            conventions.append(ConventionFile(kind, file.path, text, truncated))
        else:
            conventions.append(ConventionFile(kind, file.path))
    return tuple(conventions)


# ---------------------------------------------------------------------------------------------------
# Sources: routes, gRPC, OpenAPI and entry points (full depth)
# ---------------------------------------------------------------------------------------------------


@dataclass
class _SourceFacts:
    routes: list[Route] = field(default_factory=list)
    grpc_services: list[GrpcService] = field(default_factory=list)
    openapi_documents: list[OpenApiDocument] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    test_markers: set[str] = field(default_factory=set)
    routes_capped: bool = False

    def add_routes(self, routes: Iterable[Route]) -> None:
        """Keep routes up to MAX_ROUTES and remember whether more were found."""
        for route in routes:
            if len(self.routes) >= MAX_ROUTES:
                self.routes_capped = True
                return
            self.routes.append(route)

    def api(self) -> ApiSurface:
        """The API surface gathered so far."""
        return ApiSurface(
            tuple(self.routes), tuple(self.grpc_services), tuple(self.openapi_documents), self.routes_capped
        )


def _line_at(text: str, position: int) -> int:
    """The 1-based line number of a position in a text."""
    return text.count("\n", 0, position) + 1


def _join_paths(*parts: str) -> str:
    """URL path segments joined with single slashes."""
    joined = "/".join(part.strip("/") for part in parts if part.strip("/"))
    return "/" + joined


_PY_FRAMEWORK = re.compile(r"^\s*(?:from|import)\s+(fastapi|flask|starlette|sanic|litestar|quart)\b", re.M)
_PY_FRAMEWORK_LABELS: Mapping[str, str] = {
    "fastapi": "FastAPI", "flask": "Flask", "starlette": "Starlette", "sanic": "Sanic", "litestar": "Litestar",
    "quart": "Quart",
}  # fmt: skip
_PY_ROUTER = re.compile(r"^[ \t]*(\w+)\s*(?::[^=\n]*)?=\s*(?:\w+\.)?(?:APIRouter|Blueprint)\(([^\n]*)", re.M)
_PY_ROUTE = re.compile(
    r"^[ \t]*@(?P<obj>[\w.]+)\.(?P<verb>get|post|put|patch|delete|head|options|trace|route|api_route|websocket)"
    r"\(\s*(?:(?:path|rule)\s*=\s*)?[rRuU]?(?P<q>['\"])(?P<path>[^'\"\n]*)(?P=q)",
    re.M,
)
_PY_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.M)
_DJANGO_PATH = re.compile(r"""\b(?:re_path|path|url)\(\s*r?(['"])([^'"\n]*)\1""")
_PY_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""", re.M)


def _python_routes(file: _File, text: str) -> list[Route]:
    """FastAPI/Flask/Starlette-style route decorators, router prefixes in the same file applied."""
    imported = _PY_FRAMEWORK.search(text)
    if imported is None:
        return []  # decorators named like routes, in a file that imports no web framework
    framework = _PY_FRAMEWORK_LABELS[imported.group(1)]
    prefixes = {}
    for name, arguments in _PY_ROUTER.findall(text):
        prefix = re.search(r"""(?:url_)?prefix\s*=\s*['"]([^'"]*)['"]""", arguments)
        prefixes[name] = prefix.group(1) if prefix else ""
    routes = []
    for match in _PY_ROUTE.finditer(text):
        path = match["path"]
        if path and not path.startswith("/"):
            continue
        handler = _PY_DEF.search(text, match.end(), match.end() + 2000)
        decorator = text[match.end() : handler.start() if handler else match.end() + 300]
        methods = _python_methods(match["verb"], decorator)
        prefix = prefixes.get(match["obj"].rsplit(".", 1)[-1], "")
        full_path = _join_paths(prefix, path) if prefix else path or "/"
        line = _line_at(text, match.start())
        routes.append(Route(framework, methods, full_path, file.path, line, handler.group(1) if handler else None))
    return routes


def _python_methods(verb: str, decorator: str) -> tuple[str, ...]:
    """The HTTP methods of a route decorator: its verb, or a ``methods=[...]`` list (GET by default)."""
    if verb == "websocket":
        return ("WEBSOCKET",)
    if verb not in ("route", "api_route"):
        return (verb.upper(),)
    listed = re.search(r"methods\s*=\s*[\[({]([^\])}]*)", decorator)
    methods = re.findall(r"""['"](\w+)['"]""", listed.group(1)) if listed else []
    return tuple(method.upper() for method in methods) or ("GET",)


def _django_routes(file: _File, text: str) -> list[Route]:
    """URL patterns of a Django ``urls.py`` (include() prefixes from other files are not applied)."""
    if file.basename != "urls.py" or "django" not in text:
        return []
    return [
        Route("Django", ("ANY",), match.group(2), file.path, _line_at(text, match.start()))
        for match in _DJANGO_PATH.finditer(text)
    ]


_NODE_FRAMEWORK = re.compile(
    r"""(?:require\(\s*|from\s+)['"](express|fastify|koa|@koa/router|koa-router|hono|restify)['"]"""
)
_NODE_ROUTE = re.compile(
    r"""\b(?P<obj>\w+)\.(?P<verb>get|post|put|patch|delete|all|options|head)\(\s*(?P<q>['"`])(?P<path>/[^'"`\n]*)(?P=q)"""
)
_NEST_CONTROLLER = re.compile(r"""@Controller\(\s*(?:['"]([^'"]*)['"])?""")
_NEST_ROUTE = re.compile(r"""@(Get|Post|Put|Patch|Delete|All|Options|Head)\(\s*(?:['"]([^'"]*)['"])?\s*\)""")


def _node_routes(file: _File, text: str) -> list[Route]:
    """Express-style ``app.get("/path", ...)`` calls in files that import a server framework; NestJS decorators."""
    routes = []
    framework = _NODE_FRAMEWORK.search(text)
    if framework:
        label = {"express": "Express", "fastify": "Fastify", "hono": "Hono", "restify": "Restify"}.get(
            framework.group(1), "Koa"
        )
        for match in _NODE_ROUTE.finditer(text):
            method = "ANY" if match["verb"] == "all" else match["verb"].upper()
            routes.append(Route(label, (method,), match["path"], file.path, _line_at(text, match.start())))
    if "@nestjs/common" in text:
        controllers = [(match.start(), match.group(1) or "") for match in _NEST_CONTROLLER.finditer(text)]
        for match in _NEST_ROUTE.finditer(text):
            prefix = next((path for start, path in reversed(controllers) if start < match.start()), "")
            method = "ANY" if match.group(1) == "All" else match.group(1).upper()
            path = _join_paths(prefix, match.group(2) or "")
            routes.append(Route("NestJS", (method,), path, file.path, _line_at(text, match.start())))
    return routes


_SPRING_MAPPING = re.compile(r"@(Get|Post|Put|Delete|Patch|Request)Mapping\b(?:\s*\(([^)]*)\))?")
_CLASS_DECLARATION = re.compile(r"\b(?:class|interface)\s+\w+")
_JVM_MAIN = re.compile(r"\bstatic\s+void\s+main\s*\(|^\s*fun\s+main\s*\(", re.M)


def _spring_routes(file: _File, text: str) -> list[Route]:
    """Spring ``@GetMapping``-style annotations, a class-level ``@RequestMapping`` prefix applied."""
    if "springframework" not in text:
        return []
    first_class = _CLASS_DECLARATION.search(text)
    class_start = first_class.start() if first_class else len(text)
    prefix, routes = "", []
    for match in _SPRING_MAPPING.finditer(text):
        arguments = match.group(2) or ""
        literal = re.search(r'"([^"]*)"', arguments)
        path = literal.group(1) if literal else ""
        if match.start() < class_start:
            prefix = path
            continue
        if match.group(1) == "Request":
            methods = tuple(re.findall(r"RequestMethod\.(\w+)", arguments)) or ("ANY",)
        else:
            methods = (match.group(1).upper(),)
        routes.append(Route("Spring", methods, _join_paths(prefix, path), file.path, _line_at(text, match.start())))
    return routes


_GO_FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("github.com/gin-gonic/gin", "Gin"), ("github.com/labstack/echo", "Echo"), ("github.com/go-chi/chi", "chi"),
    ("github.com/gofiber/fiber", "Fiber"), ("github.com/gorilla/mux", "Gorilla mux"), ('"net/http"', "net/http"),
)  # fmt: skip
_GO_ROUTE = re.compile(
    r"""\.(GET|POST|PUT|PATCH|DELETE|Get|Post|Put|Patch|Delete|HandleFunc|Handle)\(\s*"((?:[A-Z]+\s+)?/[^"]*)\""""
)


def _go_routes(file: _File, text: str) -> list[Route]:
    """Routes registered with net/http (Go 1.22 method patterns too), Gin, Echo, chi, Fiber or Gorilla mux."""
    framework = next((label for module, label in _GO_FRAMEWORKS if module in text), None)
    if framework is None:
        return []
    routes = []
    for match in _GO_ROUTE.finditer(text):
        method, _, path = match.group(2).rpartition(" ")
        handle = match.group(1).startswith("Handle")  # net/http style: the method, if any, is in the pattern
        methods = (method.strip() or "ANY",) if handle else (match.group(1).upper(),)
        label = "net/http" if handle and framework not in ("chi", "Gorilla mux") else framework
        routes.append(Route(label, methods, path, file.path, _line_at(text, match.start())))
    return routes


_ACTIX_ROUTE = re.compile(r"""#\[(get|post|put|patch|delete|head)\(\s*"([^"]*)\"""")
_AXUM_ROUTE = re.compile(r"""\.route\(\s*"([^"]*)"\s*,\s*(get|post|put|patch|delete|any)\b""")


def _rust_routes(file: _File, text: str) -> list[Route]:
    """Actix Web / Rocket route attributes and axum ``.route(...)`` calls."""
    routes = []
    if "actix_web" in text or "rocket" in text:
        label = "Actix Web" if "actix_web" in text else "Rocket"
        for match in _ACTIX_ROUTE.finditer(text):
            routes.append(
                Route(label, (match.group(1).upper(),), match.group(2), file.path, _line_at(text, match.start()))
            )
    if "axum" in text:
        for match in _AXUM_ROUTE.finditer(text):
            routes.append(
                Route("axum", (match.group(2).upper(),), match.group(1), file.path, _line_at(text, match.start()))
            )
    return routes


_PROTO_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_PROTO_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_PROTO_SERVICE = re.compile(r"\bservice\s+(\w+)\s*\{")
_PROTO_RPC = re.compile(r"\brpc\s+(\w+)\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)")


def _grpc_services(file: _File, text: str) -> list[GrpcService]:
    """The services of a .proto file with their method signatures."""
    text = _PROTO_COMMENT.sub("", text)
    package = _PROTO_PACKAGE.search(text)
    services = []
    for service in _PROTO_SERVICE.finditer(text):
        depth, end = 1, service.end()
        while depth and end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        methods = tuple(
            f"{name}({request_stream or ''}{request}) returns ({response_stream or ''}{response})"
            for name, request_stream, request, response_stream, response in _PROTO_RPC.findall(text, service.end(), end)
        )
        name = f"{package.group(1)}.{service.group(1)}" if package else service.group(1)
        services.append(GrpcService(name, file.path, methods))
    return services


_OPENAPI_NAME = re.compile(r"^(openapi|swagger)[\w.-]*\.(json|ya?ml)$", re.I)
_OPENAPI_MARKER = re.compile(r"""(?:^|[{,])\s*["']?(openapi|swagger)["']?\s*:\s*["']?([\d.]+)""", re.M)


def _openapi_document(file: _File, reader: _Reader) -> OpenApiDocument | None:
    """An OpenAPI document's version, title and paths; None when the file is not one."""
    head = reader.head(file, 4096)
    marker = _OPENAPI_MARKER.search(head[0]) if head else None
    if marker is None:
        return None
    text = reader.whole(file) or ""
    title: str | None = None
    if file.ext == ".json":
        try:
            data = _table(json.loads(text))
        except ValueError:
            data = {}
        paths = [str(key) for key in _table(data.get("paths"))]
        title = _table(data.get("info")).get("title")
    else:
        paths = [key for key in _yaml_child_keys(text, "paths") if key.startswith("/")]
        found = re.search(r"^info:\s*\n(?:[ \t]+.*\n)*?[ \t]+title:[ \t]*(.+?)[ \t]*$", text, re.M)
        title = found.group(1).strip("'\"") if found else None
    return OpenApiDocument(
        file.path, marker.group(2), title if isinstance(title, str) else None, tuple(paths[:MAX_LISTED]), len(paths)
    )


_ROUTE_SCANNERS: Mapping[str, tuple[Callable[[_File, str], list[Route]], ...]] = {
    ".py": (_python_routes, _django_routes),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".ts", ".mts"), (_node_routes,)),
    **dict.fromkeys((".java", ".kt"), (_spring_routes,)),
    ".go": (_go_routes,),
    ".rs": (_rust_routes,),
}


def _scan_sources(files: list[_File], reader: _Reader) -> _SourceFacts:
    """Routes, gRPC services, OpenAPI documents and code-level entry points of the non-test sources."""
    facts = _SourceFacts()
    for file in files:
        if reader.exhausted:
            break
        if _is_test_file(file) or file.basename in _LOCK_FILES or ".min." in file.basename:
            continue
        if file.ext in (".json", ".yaml", ".yml"):
            # Any small JSON/YAML file may be an OpenAPI document; only its head is read to tell.
            if _OPENAPI_NAME.match(file.basename) or file.size < MAX_FILE_BYTES:
                document = _openapi_document(file, reader)
                facts.openapi_documents.extend([document] if document else [])
        elif (file.ext in _ROUTE_SCANNERS or file.ext == ".proto") and not file.basename.endswith(".d.ts"):
            text = reader.whole(file)
            if text is not None:
                _scan_source(file, text, facts)
    return facts


def _scan_source(file: _File, text: str, facts: _SourceFacts) -> None:
    """Add what one source file declares."""
    if file.ext == ".proto":
        facts.grpc_services.extend(_grpc_services(file, text))
        return
    for scanner in _ROUTE_SCANNERS[file.ext]:
        facts.add_routes(scanner(file, text))
    if file.ext == ".py" and file.basename != "__main__.py" and _PY_MAIN_GUARD.search(text):
        facts.entry_points.append(EntryPoint("python script", file.path, file.path, file.path))
    elif file.ext == ".go" and re.search(r"^package\s+main\s*$", text, re.M):
        directory = file.parent or "."
        facts.entry_points.append(EntryPoint("go main", directory, directory, file.path))
    elif file.ext in (".java", ".kt") and _JVM_MAIN.search(text):
        facts.entry_points.append(EntryPoint("jvm main", file.basename.rsplit(".", 1)[0], file.path, file.path))
    elif file.ext == ".rs" and re.search(r"#\[(?:cfg\()?test\)?\]", text):
        facts.test_markers.add("cargo test")


_CONTAINER_COMMAND = re.compile(r"^\s*(ENTRYPOINT|CMD)\s+(.+?)\s*$", re.M | re.I)


def _file_entry_points(files: list[_File], reader: _Reader) -> list[EntryPoint]:
    """Entry points named by files themselves: __main__ modules, Rust binaries, Dockerfiles, Procfiles."""
    points = []
    for file in files:
        name = file.basename
        if name == "__main__.py":
            module = file.parent.replace("/", ".") or "(root)"
            points.append(EntryPoint("python module", module, f"python -m {module}", file.path))
        elif file.path.endswith("src/main.rs") or (file.parent.endswith("src/bin") and file.ext == ".rs"):
            binary = (
                name.removesuffix(".rs") if name != "main.rs" else (file.parts[-3] if len(file.parts) > 2 else "main")
            )
            points.append(EntryPoint("rust binary", binary, file.path, file.path))
        elif name == "Dockerfile" or name.startswith("Dockerfile."):
            commands = _CONTAINER_COMMAND.findall(reader.whole(file) or "")
            if commands:
                instruction, argument = commands[-1]
                points.append(EntryPoint("container", file.path, f"{instruction.upper()} {argument}"[:200], file.path))
        elif name == "Procfile":
            for line in (reader.whole(file) or "").splitlines():
                process, _, command = line.partition(":")
                if command.strip() and re.fullmatch(r"[\w-]+", process.strip()):
                    points.append(EntryPoint("procfile", process.strip(), command.strip()[:200], file.path))
    return points


# ---------------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------------


def _head(root: Path, timeout: float) -> tuple[str | None, str | None]:
    """The commit checked out and the branch name (None when detached or empty)."""
    sha = _git_text(root, timeout, "rev-parse", "--verify", "--quiet", "HEAD")
    branch = _git_text(root, timeout, "symbolic-ref", "--quiet", "--short", "HEAD")
    return sha or None, branch or None


def _history(root: Path, timeout: float, notes: list[str]) -> History | None:
    """Recent commits and contributors of HEAD; None (with a note) when there is no history to read."""
    log = _git_text(root, timeout, "log", f"-n{MAX_COMMITS}", "--format=%H%x1f%aN%x1f%aI%x1f%s%x1e", "HEAD")
    if log is None:
        notes.append("No commit history could be read (the repository may have no commits yet).")
        return None
    commits = []
    for record in log.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 4:
            sha, author, date, subject = fields
            commits.append(Commit(sha, _one_line(author, 200), date, _one_line(subject, 300)))
    window = _git_text(root, timeout, "log", f"-n{CONTRIBUTOR_WINDOW}", "--no-merges", "--format=%aN", "HEAD")
    authors = (window or "").splitlines()
    ranked = Counter(_one_line(author, 200) for author in authors if author.strip())
    contributors = tuple(
        Contributor(name, count) for name, count in sorted(ranked.items(), key=lambda i: (-i[1], i[0]))
    )
    count = int(_git_text(root, timeout, "rev-list", "--count", "HEAD") or len(commits))
    shallow = _git_text(root, timeout, "rev-parse", "--is-shallow-repository") == "true"
    if shallow:
        notes.append(f"History is shallow: only the {count} most recent commits were available.")
    return History(count, shallow, tuple(commits), contributors[:MAX_LISTED], len(authors))


def _one_line(text: str, limit: int) -> str:
    """Text on one line, control characters removed, at most ``limit`` characters."""
    return _CONTROL_CHARS.sub(" ", text).strip()[:limit]


# ---------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively, so the data is what JSON holds."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _share(analysis: RepositoryAnalysis) -> list[tuple[str, int]]:
    """Programming languages with their share of programming bytes, in percent."""
    code = [language for language in analysis.languages if language.programming]
    total = sum(language.bytes for language in code) or 1
    return [(language.language, round(100 * language.bytes / total)) for language in code]


def _summary(analysis: RepositoryAnalysis) -> str:
    """The one-line summary: languages, frameworks, tests, CI and conventions (and at full depth, API and history)."""
    shares = _share(analysis)
    shown = [f"{name} {percent}%" for name, percent in shares[:3] if percent >= 1]
    languages = ", ".join(shown) or "no source code detected"
    kind = f"{shares[0][0]} repository" if shares else "Repository"
    parts = [
        f"{analysis.name}: {kind}, {analysis.files.walked:,} files",
        f"languages: {languages}",
        f"frameworks: {', '.join(analysis.frameworks) or 'none detected'}",
        f"tests: {', '.join(analysis.tests.frameworks) or 'none detected'}",
        f"CI: {', '.join(_unique(p.provider for p in analysis.ci)) or 'none detected'}",
        f"conventions: {', '.join(_unique(c.kind for c in analysis.conventions)) or 'none'}",
    ]
    if analysis.depth == "full":
        api = analysis.api
        parts.append(
            f"API: {_plural(len(api.routes), 'HTTP route')}, {_plural(len(api.grpc_services), 'gRPC service')}, "
            f"{_plural(len(api.openapi_documents), 'OpenAPI document')}"
        )
        if analysis.history is not None:
            history = analysis.history
            parts.append(
                f"history: {_plural(len(history.contributors), 'contributor')} over "
                f"{_plural(history.contributors_window, 'commit')}"
            )
    return "; ".join(parts)


def _plural(count: int, noun: str) -> str:
    """``1 route``, ``2 routes``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _size(count: int) -> str:
    """Bytes in a readable unit."""
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|~]|^#|(?<!\w)_|_(?!\w)")


def _md(text: str) -> str:
    """Plain text on one line, with what markdown would interpret escaped (``snake_case`` stays readable)."""
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), _one_line(text, 500))


def _code(text: str) -> str:
    """Text as inline code, whatever backticks it holds."""
    text = _one_line(text, 500)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _codes(items: Iterable[str], limit: int = 60) -> str:
    """A comma-separated list of inline code, with how many were left out."""
    items = list(items)
    shown = ", ".join(_code(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _render_markdown(analysis: RepositoryAnalysis) -> str:
    """The whole report, section by section."""
    sections = [
        _render_overview(analysis),
        _render_languages(analysis),
        _render_layout(analysis),
        _render_manifests(analysis),
        _render_tests_and_ci(analysis),
        _render_conventions(analysis),
    ]
    if analysis.depth == "full":
        sections += [
            _render_entry_points(analysis),
            _render_api(analysis),
            _render_directories(analysis),
            _render_history(analysis),
            _render_largest(analysis),
        ]
    sections.append(_render_notes(analysis))
    return "\n\n".join(section for section in sections if section).rstrip() + "\n"


def _render_overview(analysis: RepositoryAnalysis) -> str:
    """Title, summary and where the facts come from."""
    files = analysis.files
    source = "URL (shallow clone)" if analysis.source_kind == "url" else "local checkout"
    lines = [
        f"# Repository analysis: {_md(analysis.name)}",
        "",
        _md(analysis.summary),
        "",
        f"- Source: {source} {_code(analysis.location)}",
        f"- Depth: {analysis.depth}",
    ]
    if analysis.head:
        on_branch = f" on branch {_code(analysis.branch)}" if analysis.branch else " (detached)"
        lines.append(f"- Commit: {_code(analysis.head[:12])}{on_branch}")
    lines.append(
        f"- Files: {files.walked:,} analysed ({_size(files.bytes)}), {files.binary:,} binary, {files.read:,} read"
        + (" — capped" if files.capped else "")
    )
    if files.skipped_dirs:
        lines.append(f"- Skipped vendored or generated directories: {_codes(files.skipped_dirs, 20)}")
    return "\n".join(lines)


def _render_languages(analysis: RepositoryAnalysis) -> str:
    """A table of languages by size."""
    if not analysis.languages:
        return "## Languages\n\nNo files of a known language."
    total = sum(language.bytes for language in analysis.languages) or 1
    rows = ["## Languages", "", "| Language | Files | Size | Share |", "| --- | ---: | ---: | ---: |"]
    rows += [
        f"| {language.language} | {language.files:,} | {_size(language.bytes)} | {100 * language.bytes / total:.1f}% |"
        for language in analysis.languages
    ]
    return "\n".join(rows)


def _render_layout(analysis: RepositoryAnalysis) -> str:
    """The root's directories and files."""
    if not analysis.top_level:
        return ""
    lines = ["## Top-level layout", ""]
    for entry in analysis.top_level:
        if entry.kind == "directory":
            lines.append(f"- {_code(entry.name + '/')} — {_plural(entry.files, 'file')}")
        else:
            lines.append(f"- {_code(entry.name)}")
    return "\n".join(lines)


def _render_manifests(analysis: RepositoryAnalysis) -> str:
    """Frameworks, package managers, then each manifest with its dependencies."""
    lines = ["## Frameworks and dependencies", ""]
    lines.append(f"- Frameworks and notable libraries: {', '.join(map(_md, analysis.frameworks)) or 'none detected'}")
    if analysis.package_managers:
        lines.append(f"- Package managers (from lock files): {', '.join(map(_md, analysis.package_managers))}")
    for manifest in analysis.manifests:
        name = f", package {_code(manifest.name)}" if manifest.name else ""
        lines += ["", f"### {_code(manifest.path)} ({manifest.ecosystem}{name})", ""]
        if manifest.error:
            lines.append(f"- The file {manifest.error}.")
        if manifest.dependencies:
            lines.append(f"- Dependencies ({len(manifest.dependencies)}): {_codes(manifest.dependencies)}")
        if manifest.dev_dependencies:
            lines.append(
                f"- Development and optional dependencies ({len(manifest.dev_dependencies)}): "
                f"{_codes(manifest.dev_dependencies)}"
            )
        if manifest.scripts:
            lines.append(f"- Scripts: {_codes(manifest.scripts)}")
        if not (manifest.error or manifest.dependencies or manifest.dev_dependencies or manifest.scripts):
            lines.append("- No dependencies declared.")
    if not analysis.manifests:
        lines.append("- No package manifests found.")
    return "\n".join(lines)


def _render_tests_and_ci(analysis: RepositoryAnalysis) -> str:
    """Test frameworks and files, then CI pipelines."""
    tests = analysis.tests
    lines = ["## Tests and continuous integration", ""]
    lines.append(f"- Test frameworks: {', '.join(map(_md, tests.frameworks)) or 'none detected'}")
    lines.append(f"- Test files: {tests.test_files:,}")
    if tests.test_dirs:
        lines.append(f"- Test directories: {_codes(tests.test_dirs, 20)}")
    for pipeline in analysis.ci:
        name = f" “{_md(pipeline.name)}”" if pipeline.name else ""
        details = []
        if pipeline.triggers:
            details.append(f"on {', '.join(map(_md, pipeline.triggers))}")
        if pipeline.jobs:
            details.append(f"jobs {_codes(pipeline.jobs, 30)}")
        suffix = f": {'; '.join(details)}" if details else ""
        lines.append(f"- CI: {pipeline.provider} {_code(pipeline.path)}{name}{suffix}")
    if not analysis.ci:
        lines.append("- CI: none detected")
    return "\n".join(lines)


def _render_conventions(analysis: RepositoryAnalysis) -> str:
    """Convention files, then the opening text of the instruction files, quoted as written."""
    if not analysis.conventions:
        return "## Conventions\n\nNo convention files (README, AGENTS.md, CONTRIBUTING.md, .editorconfig, CODEOWNERS)."
    lines = ["## Conventions", ""]
    lines += [f"- {_md(c.kind)}: {_code(c.path)}" for c in analysis.conventions]
    for convention in analysis.conventions:
        if not convention.excerpt:
            continue
        cut = " (opening shown; the file goes on)" if convention.truncated else ""
        longest = max((len(run) for run in re.findall(r"`{3,}|~{3,}", convention.excerpt)), default=0)
        fence = "`" * max(3, longest + 1)
        lines += [
            "",
            f"### {_code(convention.path)}{cut}",
            "",
            "Text written in the repository, quoted as found:",
            "",
            f"{fence}markdown",
            convention.excerpt,
            fence,
        ]
    return "\n".join(lines)


def _render_entry_points(analysis: RepositoryAnalysis) -> str:
    """How the code is started."""
    if not analysis.entry_points:
        return "## Entry points\n\nNone detected."
    lines = ["## Entry points", ""]
    for point in analysis.entry_points:
        shown = _unique((point.name, point.target))
        where = "" if point.file in shown else f" (in {_code(point.file)})"
        lines.append(f"- {point.kind}: {' → '.join(map(_code, shown))}{where}")
    return "\n".join(lines)


def _render_api(analysis: RepositoryAnalysis) -> str:
    """HTTP routes, gRPC services and OpenAPI documents."""
    api = analysis.api
    lines = ["## API surface", "", f"### HTTP routes ({len(api.routes)}{'+' if api.routes_capped else ''})", ""]
    for route in api.routes[:300]:
        handler = f", handler {_code(route.handler)}" if route.handler else ""
        lines.append(
            f"- {_code(', '.join(route.methods) + ' ' + route.path)} — {route.framework}, "
            f"{_code(f'{route.file}:{route.line}')}{handler}"
        )
    if len(api.routes) > 300:
        lines.append(f"- … and {len(api.routes) - 300} more")
    if not api.routes:
        lines.append("None detected.")
    lines += ["", f"### gRPC services ({len(api.grpc_services)})", ""]
    for service in api.grpc_services:
        lines.append(f"- {_code(service.name)} in {_code(service.file)}")
        lines += [f"  - {_code(method)}" for method in service.methods]
    if not api.grpc_services:
        lines.append("None detected.")
    lines += ["", f"### OpenAPI documents ({len(api.openapi_documents)})", ""]
    for document in api.openapi_documents:
        title = f" “{_md(document.title)}”" if document.title else ""
        paths = f": {_codes(document.paths, 40)}" if document.paths else ""
        count = _plural(document.path_count, "path")
        lines.append(f"- {_code(document.path)} (OpenAPI {_md(document.version)}){title}, {count}{paths}")
    if not api.openapi_documents:
        lines.append("None detected.")
    return "\n".join(lines)


def _render_directories(analysis: RepositoryAnalysis) -> str:
    """The busiest directories."""
    if not analysis.directories:
        return ""
    lines = ["## Files per directory", ""]
    lines += [f"- {_code(d.path + '/')}: {d.files:,}" for d in analysis.directories]
    return "\n".join(lines)


def _render_history(analysis: RepositoryAnalysis) -> str:
    """Recent commits and contributors."""
    history = analysis.history
    if history is None:
        return "## Recent history\n\nNo history available."
    shallow = " (shallow: older history not available)" if history.shallow else ""
    lines = ["## Recent history", "", f"{_plural(history.commit_count, 'commit')} in total{shallow}.", ""]
    lines += [
        f"- {_code(commit.sha[:10])} {commit.date[:10]} — {_md(commit.subject)} ({_md(commit.author)})"
        for commit in history.commits
    ]
    lines += [
        "",
        f"### Contributors (over the last {_plural(history.contributors_window, 'commit')}, merges excluded)",
        "",
    ]
    lines += [f"- {_md(c.name)}: {_plural(c.commits, 'commit')}" for c in history.contributors]
    return "\n".join(lines)


def _render_largest(analysis: RepositoryAnalysis) -> str:
    """The largest files."""
    if not analysis.largest_files:
        return ""
    lines = ["## Largest files", ""]
    lines += [f"- {_code(f.path)}: {_size(f.bytes)}" for f in analysis.largest_files]
    return "\n".join(lines)


def _render_notes(analysis: RepositoryAnalysis) -> str:
    """Where the analysis was limited."""
    if not analysis.notes:
        return ""
    return "\n".join(["## Limits of this analysis", "", *(f"- {note}" for note in analysis.notes)])
