"""Prometheus metrics of a running system: each process on its own port, never on the public one."""

from __future__ import annotations

import asyncio

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from services.chassis.settings import SERVICES
from tests.e2e.helpers import bearer, create_project, signup


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200, response.text
    return samples(response.text)


async def test_every_process_serves_its_metrics(system, api) -> None:
    base = int(system.env["AIRA_METRICS_PORT_BASE"])
    tokens = await signup(api, "Metra")
    project = await create_project(api, tokens, "Gauges")
    tasks = f"/v1/projects/{project['id']}/tasks"
    for title in ("One", "Two"):
        assert (await api.post(tasks, json={"title": title}, headers=bearer(tokens))).status_code == 201
    assert (await api.get("/v1/nowhere-at-all", headers=bearer(tokens))).status_code == 404

    gateway = await scrape(base)
    route = "/v1/projects/{project_id}/tasks"
    created = ("aira_http_requests_total", frozenset({"method": "POST", "route": route, "status": "201"}.items()))
    assert gateway[created] >= 2
    unmatched = (
        "aira_http_requests_total",
        frozenset({"method": "GET", "route": "unmatched", "status": "404"}.items()),
    )
    assert gateway[unmatched] >= 1
    assert not any(project["id"] in str(labels) for _, labels in gateway)  # ids never become labels
    assert ("aira_http_request_seconds_count", frozenset({"method": "POST", "route": route}.items())) in gateway

    planning = await scrape(base + 1 + SERVICES.index("planning"))
    handled = frozenset({"service": "planning", "method": "Tasks/CreateTask", "code": "OK"}.items())
    assert planning[("aira_grpc_server_handled_total", handled)] >= 2

    # Events: planning published its task events, and agents' audit consumer handled them.
    async def agents_handled() -> float:
        scraped = await scrape(base + 1 + SERVICES.index("agents"))
        return sum(
            v
            for (name, labels), v in scraped.items()
            if name == "aira_events_handled_total" and ("outcome", "done") in labels
        )

    deadline = asyncio.get_running_loop().time() + 20
    while await agents_handled() < 2:
        assert asyncio.get_running_loop().time() < deadline, "agents handled no events"
        await asyncio.sleep(0.3)
    published = await scrape(base + 1 + SERVICES.index("planning"))
    assert published[("aira_events_published_total", frozenset({"service": "planning"}.items()))] >= 2
    # Backlogs, sampled while metrics are served: the outbox and the jobs of every kind planning runs.
    assert published[("aira_outbox_pending", frozenset({"service": "planning"}.items()))] >= 0
    assert ("aira_outbox_oldest_pending_seconds", frozenset({"service": "planning"}.items())) in published
    sprint_plans = frozenset({"service": "planning", "kind": "planning.sprint_plan"}.items())
    assert published[("aira_jobs_due", sprint_plans)] >= 0

    # The public port does not serve them.
    assert (await api.get("/metrics")).status_code == 404
