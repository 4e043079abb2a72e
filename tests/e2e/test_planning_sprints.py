"""Sprints, sprint plans and repository analyses over HTTP through the processes `aira up` starts:
a plan requested, followed over Server-Sent Events to its end, applied and worked through a sprint;
a repository analysed into a source; refusals as problems."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx2

from tests.e2e.helpers import assert_problem, bearer, create_project, signup


async def _all_events(api: httpx2.AsyncClient, path: str, headers: dict, timeout: float = 60.0) -> list:
    """Every event of a progress stream, which ends by itself after the run's final step."""

    async def read() -> list:
        async with api.sse(path, headers=headers) as source:
            assert source.response.status_code == 200, await source.response.aread()
            assert source.response.headers["content-type"].startswith("text/event-stream")
            return [event async for event in source]

    return await asyncio.wait_for(read(), timeout)


async def _post(api, path: str, tokens: dict, body: dict | None = None, status: int = 200) -> dict:
    response = await api.post(path, json=body, headers=bearer(tokens))
    assert response.status_code == status, response.text
    return response.json()


async def _walk_to_done(api, tokens: dict, pid: str, task_id: str) -> None:
    for status in ("in_progress", "review", "done"):
        response = await api.patch(
            f"/v1/projects/{pid}/tasks/{task_id}", json={"status": status}, headers=bearer(tokens)
        )
        assert response.status_code == 200, response.text


async def test_a_sprint_plan_from_request_to_a_completed_sprint(api) -> None:
    owner = await signup(api, "Ada")
    pid = (await create_project(api, owner, "Orbit"))["id"]
    base = f"/v1/projects/{pid}"
    grace = await _post(
        api,
        f"{base}/team/members",
        owner,
        {"name": "Grace", "role": "backend engineer", "skills": {"python": 5}, "capacity_hours_per_sprint": 20},
        201,
    )
    tasks = {}
    for title, hours, priority, skills in (
        ("Build the API", "8.50", "critical", ["python"]),
        ("Write the docs", "4.25", "medium", []),
        ("Rewrite everything", "100.00", "low", []),
    ):
        body = {"title": title, "estimated_hours": hours, "priority": priority, "required_skills": skills}
        tasks[title] = (await _post(api, f"{base}/tasks", owner, body, 201))["id"]

    response = await api.post(
        f"{base}/sprint-plans",
        json={"request_type": "next_sprint", "members": [{"id": grace["id"], "current_load_hours": 2}]},
        headers=bearer(owner),
    )
    assert response.status_code == 202, response.text
    requested = response.json()
    assert requested["status"] == "queued" and requested["candidate_count"] == 3
    assert response.headers["location"] == f"{base}/sprint-plans/{requested['id']}"

    events_path = f"{base}/sprint-plans/{requested['id']}/events"
    events = await _all_events(api, events_path, bearer(owner))
    assert [e.id for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert [e.event for e in events] == ["progress", "progress", "progress", "completed"]
    assert [e.json()["step"] for e in events] == ["collecting", "solving", "explaining", "completed"]
    assert events[-1].json()["final"] is True
    resumed = await _all_events(api, events_path, bearer(owner) | {"Last-Event-ID": "2"})
    assert [e.id for e in resumed] == ["3", "4"]
    assert await _all_events(api, events_path, bearer(owner) | {"Last-Event-ID": "4"}) == []
    # Progress steps are int32 on the wire: a larger id is refused, not sent on to planning.
    too_far = await api.get(events_path, headers=bearer(owner) | {"Last-Event-ID": str(2**31)})
    assert_problem(too_far, 422, "invalid-last-event-id")

    plan = (await api.get(f"{base}/sprint-plans/{requested['id']}", headers=bearer(owner))).json()
    assert plan["status"] == "completed" and plan["members"][0]["current_load_hours"] == 2
    planned = {p["task_id"]: p for p in plan["plan"]["planned"]}
    assert set(planned) == {tasks["Build the API"], tasks["Write the docs"]}
    assert {p["assignee_id"] for p in planned.values()} == {grace["id"]}
    [left] = plan["plan"]["left_out"]
    assert left["task_id"] == tasks["Rewrite everything"] and left["why_out"]
    [load] = plan["plan"]["members"]
    assert load["planned_hours"] == 12.75 and load["utilisation"] == (2 + 12.75) / 20
    listed = (await api.get(f"{base}/sprint-plans", headers=bearer(owner))).json()
    assert [p["id"] for p in listed["items"]] == [requested["id"]] and listed["items"][0]["plan"] is None

    applied = await _post(api, f"{base}/sprint-plans/{requested['id']}/apply", owner)
    sprint = applied["sprint"]
    assert applied["created_sprint"] and sprint["number"] == 1 and sprint["committed_hours"] == "12.75"
    assert sorted(applied["applied_task_ids"]) == sorted(planned)
    api_task = (await api.get(f"{base}/tasks/{tasks['Build the API']}", headers=bearer(owner))).json()
    assert (api_task["sprint_id"], api_task["assignee_id"], api_task["status"]) == (sprint["id"], grace["id"], "todo")
    assert_problem(
        await api.post(f"{base}/sprint-plans/{requested['id']}/apply", headers=bearer(owner)),
        409,
        "plan-already-applied",
    )

    started = await _post(api, f"{base}/sprints/{sprint['id']}/start", owner)
    assert started["status"] == "active"
    spare = await _post(api, f"{base}/sprints", owner, {"name": "Spare"}, 201)
    assert_problem(
        await api.post(f"{base}/sprints/{spare['id']}/start", headers=bearer(owner)), 409, "sprint-already-active"
    )
    await _walk_to_done(api, owner, pid, tasks["Build the API"])
    done = await _post(api, f"{base}/sprints/{sprint['id']}/complete", owner, {"carry_over_to": "backlog"})
    assert done["sprint"]["status"] == "completed" and done["carried_over_to"] is None
    assert (done["sprint"]["committed_hours"], done["sprint"]["completed_hours"]) == ("12.75", "8.50")
    assert done["sprint"]["velocity"] == "8.50"
    assert done["carried_over_task_ids"] == [tasks["Write the docs"]]
    docs = (await api.get(f"{base}/tasks/{tasks['Write the docs']}", headers=bearer(owner))).json()
    assert docs["sprint_id"] is None


async def test_sprints_are_edited_listed_and_refused_as_problems(api) -> None:
    owner = await signup(api, "Ada")
    pid = (await create_project(api, owner, "Orbit"))["id"]
    base = f"/v1/projects/{pid}"
    first = await _post(
        api, f"{base}/sprints", owner, {"goal": "Beta", "start_date": "2030-01-06", "end_date": "2030-01-20"}, 201
    )
    assert (first["name"], first["number"], first["start_date"]) == ("Sprint 1", 1, "2030-01-06T00:00:00Z")
    assert first["tasks"]["by_status"]["backlog"] == 0 and first["velocity"] is None
    await _post(api, f"{base}/sprints", owner, {}, 201)
    changed = await api.patch(
        f"{base}/sprints/{first['id']}", json={"name": "Beta push", "end_date": None}, headers=bearer(owner)
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["end_date"]) == ("Beta push", None)
    page = (await api.get(f"{base}/sprints", params={"limit": 1}, headers=bearer(owner))).json()
    assert [s["number"] for s in page["items"]] == [2] and page["next_cursor"]

    assert_problem(
        await api.post(
            f"{base}/sprints", json={"start_date": "2030-01-06", "end_date": "2030-01-01"}, headers=bearer(owner)
        ),
        422,
        "invalid-sprint-dates",
    )
    assert_problem(
        await api.post(f"{base}/sprints/{first['id']}/complete", headers=bearer(owner)), 409, "sprint-not-active"
    )
    assert_problem(
        await api.get(f"{base}/sprints/00000000-0000-7000-8000-000000000000", headers=bearer(owner)),
        404,
        "sprint-not-found",
    )
    assert_problem(await api.post(f"{base}/sprint-plans", json={}, headers=bearer(owner)), 422, "no-team-members")
    member = {"id": "00000000-0000-7000-8000-0000000000aa", "capacity_hours_per_sprint": 10}
    assert_problem(
        await api.post(f"{base}/sprint-plans", json={"members": [member]}, headers=bearer(owner)),
        422,
        "no-candidate-tasks",
    )
    assert_problem(
        await api.post(f"{base}/sprint-plans", json={"time_limit_seconds": 31}, headers=bearer(owner)),
        422,
        "validation-failed",
    )


def _repository(root: Path) -> Path:
    repo = root / "orbit"
    (repo / "orbit").mkdir(parents=True)
    (repo / "orbit" / "__init__.py").write_text("VERSION = '1.0'\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "orbit"\ndependencies = ["fastapi"]\n')
    (repo / "CONTRIBUTING.md").write_text("# Contributing\n\nOpen a pull request.\n")
    git = ["git", "-c", "user.name=Tess", "-c", "user.email=tess@example.com"]
    subprocess.run([*git, "init"], cwd=repo, check=True, capture_output=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True, capture_output=True)
    subprocess.run([*git, "commit", "-m", "Start"], cwd=repo, check=True, capture_output=True)
    return repo


async def test_a_repository_analysis_becomes_a_source(api, tmp_path) -> None:
    owner = await signup(api, "Ada")
    pid = (await create_project(api, owner, "Orbit"))["id"]
    base = f"/v1/projects/{pid}"
    repo = _repository(tmp_path)
    response = await api.post(
        f"{base}/repository-analyses",
        json={"repositories": [str(repo), str(tmp_path / "missing")], "depth": "quick"},
        headers=bearer(owner),
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert [i["status"] for i in started["items"]] == ["queued", "queued"]

    events = await _all_events(api, f"{base}/repository-analyses/{started['id']}/events", bearer(owner))
    assert events[-1].event == "completed" and events[-1].json()["final"]
    done = (await api.get(f"{base}/repository-analyses/{started['id']}", headers=bearer(owner))).json()
    assert (done["status"], done["completed_count"], done["failed_count"]) == ("completed", 1, 1)
    analysed, missing = done["items"]
    assert analysed["result"]["name"] == "orbit" and analysed["source_id"]
    assert (missing["error_slug"], missing["result"], missing["source_id"]) == ("repository-not-found", None, None)
    source = (await api.get(f"{base}/sources/{analysed['source_id']}", headers=bearer(owner))).json()
    assert source["type"] == "repository_analysis" and source["title"] == "Repository analysis: orbit"
    listed = (await api.get(f"{base}/repository-analyses", headers=bearer(owner))).json()
    assert [a["id"] for a in listed["items"]] == [started["id"]] and listed["items"][0]["items"] is None

    for body, slug in (
        ({"repositories": []}, "validation-failed"),
        ({"repositories": [42]}, "validation-failed"),
        ({"repositories": ["ftp://example.com/orbit.git"]}, "unsupported-repository-location"),
        ({"repositories": ["https://me:token@example.com/orbit.git"]}, "repository-url-credentials"),
    ):
        assert_problem(await api.post(f"{base}/repository-analyses", json=body, headers=bearer(owner)), 422, slug)
    assert len((await api.get(f"{base}/repository-analyses", headers=bearer(owner))).json()["items"]) == 1
