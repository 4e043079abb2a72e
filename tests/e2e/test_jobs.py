"""Orchestration jobs over HTTP: members list a project's jobs, admins revive the dead ones.

The dead job is made the way it happens in production: a service enqueues it, a worker claims it
and reports the failure, over gRPC with a service principal signed by the system's own key.
"""

from __future__ import annotations

import uuid

import grpc

from aira.agents.v1 import jobs_pb2, jobs_pb2_grpc
from services.chassis.principal import Principal, PrincipalSigner
from services.chassis.settings import Settings
from tests.e2e.helpers import assert_problem, bearer, create_project, signup
from tests.e2e.test_access import join


async def dead_job(system, project_id: str, job_type: str) -> str:
    """A job of the project that failed its only attempt, made by a worker service."""
    settings = Settings(home=system.home, grpc_port_base=int(system.env["AIRA_GRPC_PORT_BASE"]))
    token = PrincipalSigner.from_keys_dir(settings.keys_path).mint(Principal(subject="e2e-worker", kind="service"))
    metadata = (("x-aira-principal", token),)
    async with grpc.aio.insecure_channel(settings.grpc_target("agents")) as channel:
        stub = jobs_pb2_grpc.OrchestrationStub(channel)
        enqueued = await stub.Enqueue(
            jobs_pb2.EnqueueRequest(project_id=project_id, job_type=job_type, max_attempts=1),
            metadata=metadata,
            timeout=5,
        )
        [claimed] = (
            await stub.Claim(jobs_pb2.ClaimRequest(worker_id="w1", job_types=[job_type]), metadata=metadata, timeout=5)
        ).jobs
        assert claimed.id == enqueued.job.id
        failed = await stub.Fail(
            jobs_pb2.FailJobRequest(job_id=claimed.id, worker_id="w1", error="the source answered 500"),
            metadata=metadata,
            timeout=5,
        )
        assert (failed.held, failed.status) == (True, "dead")
    return enqueued.job.id


async def test_members_list_jobs_and_admins_retry_the_dead(api, smtp, system) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Jobs"))["id"]
    viewer = await join(api, smtp, owner, pid, "viewer")
    job_type = f"e2e{uuid.uuid4().hex[:8]}.sync"
    job_id = await dead_job(system, pid, job_type)
    jobs = f"/v1/projects/{pid}/jobs"

    for who in (owner, viewer):
        listed = await api.get(jobs, params={"status": "dead"}, headers=bearer(who))
        assert listed.status_code == 200, listed.text
        [job] = listed.json()["items"]
        assert (job["id"], job["job_type"], job["status"]) == (job_id, job_type, "dead")
        assert (job["attempt_count"], job["max_attempts"], job["last_error"]) == (1, 1, "the source answered 500")
        assert job["finished_at"] is not None and listed.json()["next_cursor"] is None
    assert (await api.get(jobs, params={"job_type": "other"}, headers=bearer(owner))).json()["items"] == []
    assert_problem(await api.get(jobs, params={"status": "lost"}, headers=bearer(owner)), 422, "validation-failed")

    assert_problem(await api.post(f"{jobs}/{job_id}/retry", headers=bearer(viewer)), 403, "forbidden")
    retried = await api.post(f"{jobs}/{job_id}/retry", json={"attempts": 2}, headers=bearer(owner))
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["id"], body["status"], body["attempt_count"], body["max_attempts"]) == (job_id, "pending", 1, 3)
    assert_problem(await api.post(f"{jobs}/{job_id}/retry", headers=bearer(owner)), 409, "job-not-dead")
    assert_problem(await api.post(f"{jobs}/{uuid.uuid4()}/retry", headers=bearer(owner)), 404, "job-not-found")
    pending = (await api.get(jobs, params={"status": "pending"}, headers=bearer(owner))).json()["items"]
    assert [j["id"] for j in pending] == [job_id]


async def test_a_stranger_cannot_see_or_retry_a_project_s_jobs(api, system) -> None:
    owner = await signup(api, "Owner")
    stranger = await signup(api, "Stranger")
    pid = (await create_project(api, owner, "Private jobs"))["id"]
    job_id = await dead_job(system, pid, f"e2e{uuid.uuid4().hex[:8]}.sync")
    for response in (
        await api.get(f"/v1/projects/{pid}/jobs", headers=bearer(stranger)),
        await api.post(f"/v1/projects/{pid}/jobs/{job_id}/retry", headers=bearer(stranger)),
    ):
        assert_problem(response, 404, "project-not-found")
    # Nor from their own project, by naming this project's job there.
    own = (await create_project(api, stranger, "Mine"))["id"]
    assert_problem(
        await api.post(f"/v1/projects/{own}/jobs/{job_id}/retry", headers=bearer(stranger)), 404, "job-not-found"
    )
    listed = (await api.get(f"/v1/projects/{pid}/jobs", headers=bearer(owner))).json()["items"]
    assert [(j["id"], j["status"]) for j in listed] == [(job_id, "dead")]
