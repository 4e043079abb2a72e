"""The AI gateway's REST surface over HTTP: budget, calls, usage and traces, and who may see or set
them. The system runs without a provider key, so a service's call is answered offline and recorded."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import grpc

from aira.agents.v1 import llm_pb2, llm_pb2_grpc
from services.chassis.principal import METADATA_KEY, Principal, PrincipalSigner
from services.chassis.settings import SERVICES
from tests.e2e.helpers import assert_problem, bearer, create_project, signup
from tests.e2e.test_access import join


async def complete_as_a_service(system, project_id: str, trace_id: str) -> llm_pb2.CompleteReply:
    """What a domain service does: ask agents over gRPC, with its own principal and the trace."""
    signer = PrincipalSigner.from_keys_dir(system.home / "keys")
    port = int(system.env["AIRA_GRPC_PORT_BASE"]) + 1 + SERVICES.index("agents")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        return await llm_pb2_grpc.LlmStub(channel).Complete(
            llm_pb2.CompleteRequest(
                project_id=project_id,
                task="features.name",
                prompt=llm_pb2.Prompt(name="features.name", template="Name the feature."),
                variables={"source": "Export reports while offline."},
                json_schema='{"type": "object", "properties": {"title": {"type": "string"}}}',
            ),
            metadata=(
                (METADATA_KEY, signer.mint(Principal(subject="planning", kind="service"))),
                ("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01"),
            ),
            timeout=10,
        )


async def test_budget_calls_usage_and_traces_over_http(api, system) -> None:
    owner = await signup(api, "Olive")
    pid = (await create_project(api, owner, "Costs"))["id"]
    me = bearer(owner)

    fresh = await api.get(f"/v1/projects/{pid}/budget", headers=me)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json() | {"project_id": pid} == {
        "project_id": pid,
        "monthly_limit_usd": None,
        "daily_limit_usd": None,
        "alert_threshold": "0.8",
        "hard_limit": True,
        "spent_month_usd": "0",
        "spent_today_usd": "0",
        "reserved_usd": "0",
    }
    put = await api.put(
        f"/v1/projects/{pid}/budget",
        json={"monthly_limit_usd": 25, "daily_limit_usd": "2.5", "alert_threshold": 0.75},
        headers=me,
    )
    assert put.status_code == 200, put.text
    assert (put.json()["monthly_limit_usd"], put.json()["daily_limit_usd"], put.json()["alert_threshold"]) == (
        "25",
        "2.5",
        "0.75",
    )
    assert put.json()["hard_limit"] is True
    assert (await api.get(f"/v1/projects/{pid}/budget", headers=me)).json() == put.json()

    trace_id = secrets.token_hex(16)
    reply = await complete_as_a_service(system, pid, trace_id)
    assert (reply.outcome, reply.provider, reply.cost_usd) == (llm_pb2.CompleteReply.NO_PROVIDER, "offline", "0")

    listed = await api.get(f"/v1/projects/{pid}/llm/calls", headers=me)
    assert listed.status_code == 200, listed.text
    (call,) = listed.json()["items"]
    assert listed.json()["next_cursor"] is None
    assert (call["id"], call["status"], call["agent"], call["cost_usd"], call["trace_id"]) == (
        reply.call_id,
        "no_provider",
        "planning",
        "0",
        trace_id,
    )
    assert (call["prompt_name"], call["prompt_version"], call["error"]) == ("features.name", 1, None)
    assert call["completed_at"] is not None
    none = await api.get(f"/v1/projects/{pid}/llm/calls", params={"status": "completed"}, headers=me)
    assert none.json()["items"] == []

    trace = await api.get(f"/v1/projects/{pid}/traces/{trace_id}", headers=me)
    assert trace.status_code == 200, trace.text
    (span,) = trace.json()["spans"]
    assert (span["name"], span["status"], span["parent_span_id"]) == ("llm.complete", "no_provider", None)
    assert span["metadata"]["call_id"] == reply.call_id

    usage = await api.get(f"/v1/projects/{pid}/usage", params={"months": 3}, headers=me)
    assert usage.status_code == 200, usage.text
    months = usage.json()["months"]
    assert len(months) == 3 and months[0]["month"] == datetime.now(UTC).strftime("%Y-%m")
    assert [m["calls"] for m in months] == [0, 0, 0]  # an offline answer costs nothing and bills nothing

    assert_problem(
        await api.put(f"/v1/projects/{pid}/budget", json={"alert_threshold": 2}, headers=me), 422, "validation-failed"
    )
    assert_problem(
        await api.put(f"/v1/projects/{pid}/budget", json={"monthly_limit_usd": -5}, headers=me),
        422,
        "validation-failed",
    )
    assert_problem(
        await api.get(f"/v1/projects/{pid}/traces/{secrets.token_hex(16)}", headers=me), 404, "trace-not-found"
    )


async def test_viewers_read_the_budget_but_only_admins_set_it(api, smtp) -> None:
    owner = await signup(api, "Owen")
    pid = (await create_project(api, owner, "Guarded"))["id"]
    viewer = await join(api, smtp, owner, pid, "viewer")
    admin = await join(api, smtp, owner, pid, "admin")
    stranger = await signup(api, "Stray")

    assert (await api.get(f"/v1/projects/{pid}/budget", headers=bearer(viewer))).status_code == 200
    assert (await api.get(f"/v1/projects/{pid}/llm/calls", headers=bearer(viewer))).status_code == 200
    refused = await api.put(f"/v1/projects/{pid}/budget", json={"monthly_limit_usd": 100}, headers=bearer(viewer))
    assert_problem(refused, 403, "forbidden")
    allowed = await api.put(f"/v1/projects/{pid}/budget", json={"monthly_limit_usd": 100}, headers=bearer(admin))
    assert allowed.status_code == 200, allowed.text

    for method, path, body in (
        ("GET", f"/v1/projects/{pid}/budget", None),
        ("PUT", f"/v1/projects/{pid}/budget", {"monthly_limit_usd": 0}),
        ("GET", f"/v1/projects/{pid}/usage", None),
    ):
        response = await api.request(method, path, json=body, headers=bearer(stranger))
        assert_problem(response, 404, "project-not-found")
    # The viewer's refusal changed nothing.
    budget = (await api.get(f"/v1/projects/{pid}/budget", headers=bearer(owner))).json()
    assert budget["monthly_limit_usd"] == "100"
    assert budget["hard_limit"] is True
