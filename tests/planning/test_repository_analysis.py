"""Repository analysis against real git repositories built in temporary directories (no mocks)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from services.chassis.errors import DomainError, FailedPrecondition, InvalidArgument
from services.planning.repository_analysis import (
    EXCERPT_CHARS,
    RepositoryAnalysis,
    analyse_checkout,
    analyse_repository,
)

# A string inside a function body: it must never reach the analysis.
CODE_BODY_MARKER = "zebra-quartz-7731-body"

APP_MAIN = f'''from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter(prefix="/api")


@app.get("/health")
async def health():
    marker = "{CODE_BODY_MARKER}"
    return {{"ok": marker}}


@router.post("/items/{{item_id}}")
def create_item(item_id: int):
    return {{"id": item_id}}


@app.api_route("/legacy", methods=["GET", "POST"])
def legacy():
    return None


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app)
'''

PYPROJECT = """[project]
name = "shop"
dependencies = ["fastapi>=0.110", "SQLAlchemy[asyncio]>=2"]

[project.optional-dependencies]
dev = ["pytest>=8"]

[project.scripts]
shop = "app.cli:main"

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

PACKAGE_JSON = {
    "name": "shop-web",
    "main": "server.js",
    "bin": {"shop-web": "bin/cli.js"},
    "scripts": {"start": "node server.js", "test": "jest"},
    "dependencies": {"react": "^18.2.0", "express": "^4.19.0"},
    "devDependencies": {"jest": "^29.0.0"},
}

SERVER_JS = """const express = require("express");
const app = express();
app.get("/status", (req, res) => res.send("ok"));
app.listen(3000);
"""

WORKFLOW = """name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest -q
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: ruff check .
"""

PROTO = """syntax = "proto3";
package shop.v1;

// The catalogue.
service Catalog {
  rpc GetItem(GetItemRequest) returns (Item);
  rpc WatchItems(WatchRequest) returns (stream Item);
}

message GetItemRequest { string id = 1; }
message WatchRequest {}
message Item { string id = 1; }
"""

AGENTS_MD = "# Notes for agents\n\nRun `pytest -q` before pushing.\n\n" + "Keep handlers small and typed. " * 120


def _git(cwd: Path, *args: str, author: str = "Ada Lovelace") -> None:
    """Run git for a fixture with a fixed identity and no user or system configuration."""
    email = author.split()[0].lower() + "@example.com"
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": email,
    }
    identity = ("-c", f"user.name={author}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false")
    subprocess.run(["git", *identity, *args], cwd=cwd, env=env, check=True, capture_output=True)


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    """Write files under a root, creating directories."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _leftovers(directory: Path) -> list[str]:
    """What is left in a directory (a clone's scratch space must be gone)."""
    return sorted(os.listdir(directory))


def _resolved(path: Path) -> str:
    """A path as the analysis reports it: absolute, symlinks resolved."""
    return str(path.resolve())


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small product: a FastAPI service, a React/Express web app, CI, conventions, two authors."""
    root = tmp_path_factory.mktemp("repos") / "shop"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _write(
        root,
        {
            "app/__init__.py": "",
            "app/main.py": APP_MAIN,
            "pyproject.toml": PYPROJECT,
            "tests/test_main.py": "def test_health():\n    assert True\n",
            "protos/shop.proto": PROTO,
            ".github/workflows/ci.yml": WORKFLOW,
            "AGENTS.md": AGENTS_MD,
            "README.md": "# Shop\n",
            ".editorconfig": "root = true\n",
            ".github/CODEOWNERS": "* @shop-team\n",
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00" + bytes(range(256)) * 40,
            "build/generated.py": "GENERATED = True\n",
        },
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Start the shop service")
    _write(
        root,
        {
            "web/package.json": json.dumps(PACKAGE_JSON, indent=2),
            "web/server.js": SERVER_JS,
            "web/src/App.jsx": "export default function App() {\n  return null;\n}\n",
            "web/src/App.test.js": "test('renders', () => {\n  expect(true).toBe(true);\n});\n",
            "web/node_modules/left-pad/index.js": "module.exports = function leftPad() {};\n",
            "web/node_modules/left-pad/package.json": '{"name": "left-pad", "dependencies": {"vue": "3"}}',
        },
    )
    _git(root, "add", "-A", author="Grace Hopper")
    _git(root, "commit", "-q", "-m", "Add the web front end", author="Grace Hopper")
    return root


@pytest.fixture(scope="module")
def quick(shop: Path) -> RepositoryAnalysis:
    return analyse_checkout(shop, "quick")


@pytest.fixture(scope="module")
def full(shop: Path) -> RepositoryAnalysis:
    return analyse_checkout(shop, "full")


def test_quick_reports_languages_layout_and_skips_vendored_files(quick: RepositoryAnalysis) -> None:
    languages = {language.language: language for language in quick.languages}
    assert {"Python", "JavaScript", "Protocol Buffers", "Markdown"} <= set(languages)
    assert languages["JavaScript"].files == 3  # server.js, App.jsx, App.test.js: node_modules is skipped
    assert languages["Python"].files == 3  # build/ is skipped
    assert quick.files.skipped_dirs == ("build", "web/node_modules")
    assert not any("node_modules" in manifest.path for manifest in quick.manifests)
    assert quick.files.binary == 1
    assert quick.branch == "main" and quick.head is not None and len(quick.head) == 40
    layout = {entry.name: entry for entry in quick.top_level}
    assert layout["app"].kind == "directory" and layout["app"].files == 2
    assert layout["pyproject.toml"].kind == "file"
    assert "build" not in layout


def test_quick_reads_manifests_frameworks_tests_and_ci(quick: RepositoryAnalysis) -> None:
    manifests = {manifest.path: manifest for manifest in quick.manifests}
    assert manifests["pyproject.toml"].name == "shop"
    assert manifests["pyproject.toml"].dependencies == ("fastapi", "sqlalchemy")
    assert manifests["pyproject.toml"].dev_dependencies == ("pytest",)
    assert manifests["web/package.json"].dependencies == ("express", "react")
    assert manifests["web/package.json"].dev_dependencies == ("jest",)
    assert manifests["web/package.json"].scripts == ("start", "test")
    assert {"FastAPI", "SQLAlchemy", "React", "Express"} <= set(quick.frameworks)
    assert "Vue" not in quick.frameworks  # only named inside node_modules
    assert set(quick.tests.frameworks) == {"pytest", "Jest"}
    assert quick.tests.test_files == 2
    assert quick.tests.test_dirs == ("tests",)
    (ci,) = quick.ci
    assert (ci.provider, ci.path, ci.name) == ("GitHub Actions", ".github/workflows/ci.yml", "CI")
    assert ci.triggers == ("push", "pull_request")
    assert ci.jobs == ("test", "lint")


def test_quick_records_conventions_with_the_opening_of_agent_instructions(quick: RepositoryAnalysis) -> None:
    conventions = {convention.kind: convention for convention in quick.conventions}
    assert set(conventions) == {"AGENTS.md", "README", ".editorconfig", "CODEOWNERS"}
    assert conventions["CODEOWNERS"].path == ".github/CODEOWNERS"
    agents = conventions["AGENTS.md"]
    assert agents.excerpt is not None and agents.truncated
    assert agents.excerpt.startswith("# Notes for agents\n\nRun `pytest -q` before pushing.")
    assert EXCERPT_CHARS - 200 < len(agents.excerpt) <= EXCERPT_CHARS
    assert conventions["README"].excerpt is None


def test_quick_leaves_out_what_only_full_depth_reports(quick: RepositoryAnalysis, full: RepositoryAnalysis) -> None:
    assert quick.depth == "quick" and full.depth == "full"
    assert quick.entry_points == () and quick.api.routes == () and quick.api.grpc_services == ()
    assert quick.history is None and quick.directories == () and quick.largest_files == ()
    assert full.entry_points and full.api.routes and full.history is not None and full.largest_files
    assert full.languages == quick.languages and full.frameworks == quick.frameworks
    assert "## API surface" not in quick.to_markdown() and "## API surface" in full.to_markdown()


def test_full_finds_routes_grpc_services_and_entry_points(full: RepositoryAnalysis) -> None:
    routes = {(route.methods, route.path): route for route in full.api.routes}
    assert set(routes) == {
        (("GET",), "/health"),
        (("POST",), "/api/items/{item_id}"),
        (("GET", "POST"), "/legacy"),
        (("GET",), "/status"),
    }
    health = routes[("GET",), "/health"]
    assert (health.framework, health.file, health.line, health.handler) == ("FastAPI", "app/main.py", 7, "health")
    assert routes[("GET",), "/status"].framework == "Express"
    (catalog,) = full.api.grpc_services
    assert catalog.name == "shop.v1.Catalog" and catalog.file == "protos/shop.proto"
    assert catalog.methods == (
        "GetItem(GetItemRequest) returns (Item)",
        "WatchItems(WatchRequest) returns (stream Item)",
    )
    points = {(point.kind, point.name, point.target) for point in full.entry_points}
    assert {
        ("console script", "shop", "app.cli:main"),
        ("package bin", "shop-web", "bin/cli.js"),
        ("package main", "shop-web", "server.js"),
        ("npm start", "start", "node server.js"),
        ("python script", "app/main.py", "app/main.py"),
    } <= points


def test_full_reports_history_contributors_directories_and_largest_files(full: RepositoryAnalysis) -> None:
    history = full.history
    assert history is not None and not history.shallow
    assert history.commit_count == 2 and history.contributors_window == 2
    assert [(c.author, c.subject) for c in history.commits] == [
        ("Grace Hopper", "Add the web front end"),
        ("Ada Lovelace", "Start the shop service"),
    ]
    assert history.commits[0].sha == full.head and history.commits[0].date[:4].isdigit()
    assert {(c.name, c.commits) for c in history.contributors} == {("Ada Lovelace", 1), ("Grace Hopper", 1)}
    directories = {d.path: d.files for d in full.directories}
    assert directories["web"] == 4 and directories["web/src"] == 2 and "web/node_modules" not in directories
    assert full.largest_files[0].path == "assets/logo.png"
    assert [f.bytes for f in full.largest_files] == sorted((f.bytes for f in full.largest_files), reverse=True)


def test_no_source_code_reaches_the_result(full: RepositoryAnalysis) -> None:
    markdown = full.to_markdown()
    data = json.dumps(full.to_dict())
    for text in (markdown, data):
        assert CODE_BODY_MARKER not in text
        assert "uvicorn.run" not in text and "res.send" not in text and "leftPad" not in text


def test_to_dict_is_json_data_with_the_summary(full: RepositoryAnalysis) -> None:
    data = full.to_dict()
    assert json.loads(json.dumps(data)) == data  # only JSON types: tuples became lists
    assert data["summary"] == full.summary
    assert data["api"]["routes"][0]["methods"] == ["GET"]
    assert data["history"]["contributors"][0]["commits"] == 1


def test_markdown_and_summary_read_well(full: RepositoryAnalysis) -> None:
    assert full.summary == (
        "shop: Python repository, 15 files; languages: Python 49%, Protocol Buffers 28%, JavaScript 24%; "
        "frameworks: Express, FastAPI, React, SQLAlchemy; tests: Jest, pytest; CI: GitHub Actions; "
        "conventions: .editorconfig, AGENTS.md, README, CODEOWNERS; API: 4 HTTP routes, 1 gRPC service, "
        "0 OpenAPI documents; history: 2 contributors over 2 commits"
    )
    markdown = full.to_markdown()
    assert markdown.startswith("# Repository analysis: shop\n")
    for heading in ("## Languages", "## Frameworks and dependencies", "## Tests and continuous integration"):
        assert f"\n{heading}\n" in markdown
    assert "- `GET /health` — FastAPI, `app/main.py:7`, handler `health`" in markdown
    assert "- CI: GitHub Actions `.github/workflows/ci.yml` “CI”: on push, pull_request; jobs `test`, `lint`" in (
        markdown
    )
    assert "Add the web front end (Grace Hopper)" in markdown
    assert "```markdown\n# Notes for agents" in markdown  # agent instructions are quoted, not mixed in


POLYGLOT_FILES: dict[str, str | bytes] = {
    "orders/urls.py": (
        "from django.urls import path, re_path\n"
        'urlpatterns = [path("orders/<int:pk>/", views.detail), re_path(r"^legacy/$", views.legacy)]\n'
    ),
    "svc/src/main/java/com/shop/OrderController.java": """package com.shop;
import org.springframework.web.bind.annotation.*;
@RestController
@RequestMapping("/orders")
public class OrderController {
  @GetMapping("/{id}") public Order get(@PathVariable String id) { return null; }
  @PostMapping public Order create() { return null; }
  @RequestMapping(value = "/bulk", method = RequestMethod.PUT) public void bulk() {}
}
""",
    "svc/pom.xml": """<project>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId></parent>
  <artifactId>orders</artifactId>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <!-- <dependency><groupId>old</groupId><artifactId>commented-out</artifactId></dependency> -->
    <dependency>
      <groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><scope>test</scope>
    </dependency>
  </dependencies>
</project>
""",
    "cmd/api/main.go": """package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.Default()
	r.GET("/ping", nil)
	http.HandleFunc("GET /v2/users/{id}", nil)
}
""",
    "cmd/api/main_test.go": "package main\n",
    "go.mod": (
        "module example.com/shop\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n"
        "require (\n\tgithub.com/spf13/cobra v1.8.0\n\tgolang.org/x/sys v0.1.0 // indirect\n)\n"
    ),
    "crate/Cargo.toml": (
        '[package]\nname = "shopd"\n[dependencies]\naxum = "0.7"\ntokio = { version = "1" }\n'
        '[dev-dependencies]\nreqwest = "0.11"\n[[bin]]\nname = "shopctl"\npath = "src/ctl.rs"\n'
    ),
    "crate/src/main.rs": (
        "use axum::{routing::get, Router};\n"
        'fn main() { let app = Router::new().route("/health", get(h)).route("/items", post(c)); }\n'
        "#[cfg(test)]\nmod tests { #[test] fn works() {} }\n"
    ),
    "nest/src/cats.controller.ts": (
        "import { Controller, Get, Post } from '@nestjs/common';\n@Controller('cats')\n"
        "export class CatsController {\n  @Get() findAll() {}\n  @Post(':id/feed') feed() {}\n}\n"
    ),
    "api/openapi.yaml": (
        'openapi: 3.1.0\ninfo:\n  title: Shop API\n  version: "1"\npaths:\n  /orders:\n    get: {}\n'
        '  "/orders/{id}":\n    get: {}\n'
    ),
    "api/legacy.json": '{"swagger": "2.0", "info": {"title": "Old"}, "paths": {"/a": {}, "/b": {}}}',
    ".gitlab-ci.yml": "stages: [test]\nvariables:\n  X: 1\n.template:\n  script: echo\nunit:\n  stage: test\n",
    ".circleci/config.yml": (
        "version: 2.1\njobs:\n  build:\n    docker: []\n  test:\n    docker: []\n"
        "workflows:\n  version: 2\n  main:\n    jobs: [build]\n"
    ),
    "Jenkinsfile": "pipeline { stages { stage('Build') { steps {} } stage(\"Test\") { steps {} } } }\n",
    "Gemfile": 'gem "rails", "~> 7.1"\ngroup :development, :test do\n  gem "rspec-rails"\nend\n',
    "composer.json": '{"require": {"php": ">=8", "ext-json": "*", "laravel/framework": "^10"}}',
    "py/setup.cfg": (
        "[metadata]\nname = legacy\n[options]\ninstall_requires =\n    flask>=2\n    requests\n"
        "[options.entry_points]\nconsole_scripts =\n    legacy = legacy.cli:main\n"
    ),
    "py/requirements.txt": "django>=4\n-r base.txt\n# a comment\ncelery[redis]==5 ; python_version > '3'\n",
    "py/requirements-dev.txt": "pytest\n",
    "broken/pyproject.toml": "dependencies = [",
    "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "app:app"]\n',
    "Procfile": "web: gunicorn app:app\nworker: celery -A app worker\n",
}


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory: pytest.TempPathFactory) -> RepositoryAnalysis:
    """Many ecosystems at once, and an AGENTS.md that is a symlink to a file outside the repository."""
    base = tmp_path_factory.mktemp("polyglot")
    (base / "outside.md").write_text("outside-secret-5521\n")
    root = base / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _write(root, POLYGLOT_FILES)
    (root / "AGENTS.md").symlink_to(base / "outside.md")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Many ecosystems")
    return analyse_checkout(root, "full")


def test_polyglot_manifests_frameworks_and_tests(polyglot: RepositoryAnalysis) -> None:
    manifests = {manifest.path: manifest for manifest in polyglot.manifests}
    assert manifests["go.mod"].name == "example.com/shop"
    assert manifests["go.mod"].dependencies == ("github.com/gin-gonic/gin", "github.com/spf13/cobra")
    assert manifests["svc/pom.xml"].name == "orders"
    assert manifests["svc/pom.xml"].dev_dependencies == ("org.junit.jupiter:junit-jupiter",)
    assert "old:commented-out" not in manifests["svc/pom.xml"].dependencies
    assert (manifests["crate/Cargo.toml"].dependencies, manifests["crate/Cargo.toml"].dev_dependencies) == (
        ("axum", "tokio"),
        ("reqwest",),
    )
    assert manifests["Gemfile"].dev_dependencies == ("rspec-rails",)
    assert manifests["composer.json"].dependencies == ("laravel/framework",)
    assert manifests["py/setup.cfg"].dependencies == ("flask", "requests")
    assert manifests["py/requirements.txt"].dependencies == ("celery", "django")
    assert manifests["py/requirements-dev.txt"].dev_dependencies == ("pytest",)
    assert manifests["broken/pyproject.toml"].error == "could not be parsed (TOMLDecodeError)"
    expected = {"axum", "Celery", "Cobra", "Django", "Flask", "Gin", "Laravel", "Rails", "Spring Boot", "Tokio"}
    assert set(polyglot.frameworks) == expected
    assert set(polyglot.tests.frameworks) == {"cargo test", "go test", "JUnit", "pytest", "RSpec"}


def test_polyglot_routes_openapi_ci_and_entry_points(polyglot: RepositoryAnalysis) -> None:
    routes = {(route.framework, route.methods, route.path) for route in polyglot.api.routes}
    assert routes == {
        ("Django", ("ANY",), "orders/<int:pk>/"),
        ("Django", ("ANY",), "^legacy/$"),
        ("Spring", ("GET",), "/orders/{id}"),
        ("Spring", ("POST",), "/orders"),
        ("Spring", ("PUT",), "/orders/bulk"),
        ("Gin", ("GET",), "/ping"),
        ("net/http", ("GET",), "/v2/users/{id}"),
        ("axum", ("GET",), "/health"),
        ("axum", ("POST",), "/items"),
        ("NestJS", ("GET",), "/cats"),
        ("NestJS", ("POST",), "/cats/:id/feed"),
    }
    documents = {document.path: document for document in polyglot.api.openapi_documents}
    assert documents["api/openapi.yaml"].title == "Shop API"
    assert documents["api/openapi.yaml"].paths == ("/orders", "/orders/{id}")
    assert (documents["api/legacy.json"].version, documents["api/legacy.json"].paths) == ("2.0", ("/a", "/b"))
    pipelines = {pipeline.provider: pipeline for pipeline in polyglot.ci}
    assert pipelines["GitLab CI"].jobs == ("unit",)
    assert (pipelines["CircleCI"].name, pipelines["CircleCI"].jobs) == ("main", ("build", "test"))
    assert pipelines["Jenkins"].jobs == ("Build", "Test")
    points = {(point.kind, point.name, point.target) for point in polyglot.entry_points}
    assert {
        ("cargo bin", "shopctl", "src/ctl.rs"),
        ("rust binary", "crate", "crate/src/main.rs"),
        ("console script", "legacy", "legacy.cli:main"),
        ("go main", "cmd/api", "cmd/api"),
        ("container", "Dockerfile", 'CMD ["gunicorn", "app:app"]'),
        ("procfile", "web", "gunicorn app:app"),
    } <= points


def test_symlinks_are_never_followed(polyglot: RepositoryAnalysis) -> None:
    assert polyglot.conventions == ()
    assert "outside-secret-5521" not in json.dumps(polyglot.to_dict())


async def test_clone_of_a_file_url_is_analysed_and_the_clone_removed(shop: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    steps: list[tuple[str, int, int]] = []
    analysis = await analyse_repository(
        shop.as_uri(), depth="full", work_dir=work, on_progress=lambda *step: steps.append(step)
    )
    assert analysis.source_kind == "url" and analysis.location == shop.as_uri() and analysis.name == "shop"
    assert analysis.history is not None and analysis.history.commit_count == 2
    assert {(c.name, c.commits) for c in analysis.history.contributors} == {("Ada Lovelace", 1), ("Grace Hopper", 1)}
    assert len(analysis.api.routes) == 4
    assert "--depth 50" in analysis.notes[0]
    assert _leftovers(work) == []
    assert steps == [
        ("cloning", 0, 5),
        ("scanning files", 1, 5),
        ("reading manifests", 2, 5),
        ("reading sources", 3, 5),
        ("history", 4, 5),
        ("done", 5, 5),
    ]


async def test_quick_clone_takes_only_the_last_commit(shop: Path, tmp_path: Path) -> None:
    analysis = await analyse_repository(shop.as_uri(), depth="quick", work_dir=tmp_path)
    assert analysis.history is None and "--depth 1" in analysis.notes[0]
    assert {"FastAPI", "React"} <= set(analysis.frameworks)
    assert _leftovers(tmp_path) == []


async def test_local_path_runs_through_the_async_entry_point(shop: Path) -> None:
    steps: list[str] = []
    analysis = await analyse_repository(str(shop), depth="quick", on_progress=lambda step, *_: steps.append(step))
    assert analysis.source_kind == "path" and analysis.location == _resolved(shop)
    assert steps == ["scanning files", "reading manifests", "done"]


def test_a_shallow_checkout_says_its_history_is_partial(shop: Path, tmp_path: Path) -> None:
    _git(tmp_path, "clone", "-q", "--depth", "1", shop.as_uri(), "shallow")
    analysis = analyse_checkout(tmp_path / "shallow", "full")
    assert analysis.history is not None and analysis.history.shallow
    assert analysis.history.commit_count == 1 and analysis.history.commits[0].author == "Grace Hopper"
    assert "History is shallow: only the 1 most recent commits were available." in analysis.notes
    assert "(shallow: older history not available)" in analysis.to_markdown()


def test_names_from_the_repository_cannot_shape_the_markdown(tmp_path: Path) -> None:
    _write(tmp_path, {"we`ird <b>.py": "x = 1\n", "README.md": "hi\n"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "# Heading <img src=x onerror=alert(1)> [link](http://x) *bold*")
    markdown = analyse_checkout(tmp_path, "full").to_markdown()
    assert not re.search(r"(?<!\\)<img", markdown) and "\n# Heading" not in markdown
    assert "\\# Heading \\<img src=x onerror=alert(1)\\> \\[link\\](http://x) \\*bold\\*" in markdown
    assert "- ``we`ird <b>.py``: 6 B" in markdown


def test_an_empty_repository_has_no_history(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    analysis = analyse_checkout(tmp_path, "full")
    assert analysis.head is None and analysis.history is None and analysis.files.walked == 0
    assert any("no commits" in note for note in analysis.notes)
    assert "No files of a known language" in analysis.to_markdown()


async def _error(location: str, work_dir: Path, **options: float) -> DomainError:
    """The error analysing a location raises."""
    with pytest.raises(DomainError) as raised:
        await analyse_repository(location, depth="quick", work_dir=work_dir, **options)
    return raised.value


@pytest.mark.parametrize(
    "location",
    [
        "ext::sh -c touch% /tmp/pwned",
        "ftp://example.com/repo.git",
        "git://example.com/repo.git",
        "javascript://example.com/x",
        "-uupload-pack=touch /tmp/pwned",
        "--upload-pack=touch /tmp/pwned",
        "ssh://-oProxyCommand=touch%20pwned/repo",
        "https://exa mple.com/repo.git",
        "",
    ],
)
async def test_locations_git_must_never_see_are_refused(location: str, tmp_path: Path) -> None:
    error = await _error(location, tmp_path)
    assert isinstance(error, InvalidArgument) and error.slug == "unsupported-repository-url"
    assert _leftovers(tmp_path) == []


async def test_a_missing_path_is_not_found(tmp_path: Path) -> None:
    error = await _error(str(tmp_path / "nowhere"), tmp_path)
    assert isinstance(error, InvalidArgument) and error.slug == "repository-not-found"


async def test_a_directory_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    error = await _error(str(plain), tmp_path)
    assert isinstance(error, InvalidArgument) and error.slug == "not-a-git-repository"


def test_a_subdirectory_of_a_repository_is_not_its_root(shop: Path) -> None:
    with pytest.raises(InvalidArgument) as raised:
        analyse_checkout(shop / "app", "quick")
    assert raised.value.slug == "not-a-git-repository"


async def test_an_unreachable_url_fails_and_leaves_nothing_behind(tmp_path: Path) -> None:
    error = await _error("file:///nonexistent/repository.git", tmp_path)
    assert isinstance(error, FailedPrecondition) and error.slug == "repository-unreachable"
    assert "Could not clone file:///nonexistent/repository.git" in error.detail
    assert _leftovers(tmp_path) == []


async def test_a_clone_that_takes_too_long_is_stopped(shop: Path, tmp_path: Path) -> None:
    error = await _error(shop.as_uri(), tmp_path, timeout_seconds=0.000001)
    assert isinstance(error, FailedPrecondition) and error.slug == "repository-unreachable"
    assert "timed out" in error.detail
    assert _leftovers(tmp_path) == []


async def test_credentials_in_a_url_are_not_repeated(tmp_path: Path) -> None:
    error = await _error("https://user:s3cret-token@127.0.0.1:9/repo.git", tmp_path, timeout_seconds=10)
    assert error.slug == "repository-unreachable" and "s3cret-token" not in error.detail
    assert "https://***@127.0.0.1:9/repo.git" in error.detail


def test_an_unknown_depth_is_refused(shop: Path) -> None:
    with pytest.raises(InvalidArgument):
        analyse_checkout(shop, "deep")  # type: ignore[arg-type]
