"""Orchestration jobs as a service: enqueue once, claim by priority without overlap, survive a killed
worker with the effect applied once, back off to dead (reported), retry the dead, enqueue by event.

The tests share one running agents service and never empty the database under it (its consumer is
busy with the events they raise): each test works in projects and job types of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import orjson
import pytest
from google.protobuf.struct_pb2 import Struct
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from aira.agents.v1 import events_pb2 as agents_events_pb2
from aira.agents.v1 import jobs_pb2, jobs_pb2_grpc
from aira.common.v1 import errors_pb2, events_pb2, types_pb2
from services.agents.models import OrchestrationJob, infra
from services.agents.orchestration import purge_finished
from services.chassis.events import Event, connect_nats, decode_envelope, ensure_stream, headers_for, to_envelope
from services.chassis.principal import Principal
from services.chassis.proto_values import to_timestamp
from services.chassis.uow import UnitOfWork
from tests.grpc_calls import refused

JOBS = OrchestrationJob.__table__
WORKERS = Principal(subject="tests", kind="service")


class Queue:
    """The Orchestration contract as a worker service sees it, for one job type of the test's own."""

    def __init__(self, stub: jobs_pb2_grpc.OrchestrationStub, service, job_type: str) -> None:
        self.stub = stub
        self.service = service
        self.job_type = job_type

    async def enqueue(self, project_id: str, **fields) -> jobs_pb2.EnqueueReply:
        fields.setdefault("job_type", self.job_type)
        return await self.stub.Enqueue(jobs_pb2.EnqueueRequest(project_id=project_id, **fields), metadata=self.service)

    async def claim(self, worker: str, *, limit: int = 1, lease: int = 30) -> list[jobs_pb2.Job]:
        request = jobs_pb2.ClaimRequest(worker_id=worker, job_types=[self.job_type], limit=limit, lease_seconds=lease)
        return list((await self.stub.Claim(request, metadata=self.service)).jobs)

    async def complete(self, job_id: str, worker: str, result: dict) -> bool:
        request = jobs_pb2.CompleteJobRequest(job_id=job_id, worker_id=worker, result=_struct(result))
        return (await self.stub.Complete(request, metadata=self.service)).held

    async def fail(self, job_id: str, worker: str, error: str) -> jobs_pb2.FailJobReply:
        request = jobs_pb2.FailJobRequest(job_id=job_id, worker_id=worker, error=error)
        return await self.stub.Fail(request, metadata=self.service)

    async def renew(self, job_id: str, worker: str, lease: int = 0, service=None) -> bool:
        request = jobs_pb2.LeaseRequest(job_id=job_id, worker_id=worker, lease_seconds=lease)
        return (await self.stub.Renew(request, metadata=service or self.service)).held


@pytest.fixture(scope="module")
async def drained(agents_channel, service_engines):
    """After the module, wait until agents has consumed every event the tests made it raise, so
    nothing of ours is still being written when the next test empties the database."""
    yield
    engine = service_engines["agents"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        async with engine.connect() as conn:
            behind = await conn.execute(
                text(
                    "SELECT count(*) FROM agents.outbox o WHERE NOT EXISTS "
                    "(SELECT 1 FROM agents.inbox i WHERE i.consumer = 'agents-agents' AND i.event_id = o.id)"
                )
            )
            if behind.scalar_one() == 0:
                return
        await asyncio.sleep(0.2)


@pytest.fixture
def stub(agents_channel, drained) -> jobs_pb2_grpc.OrchestrationStub:
    return jobs_pb2_grpc.OrchestrationStub(agents_channel)


@pytest.fixture
def service(principals):
    """Metadata of a service principal: the workers' and producers' own."""
    return principals.metadata(WORKERS)


@pytest.fixture
def q(stub, service) -> Queue:
    return Queue(stub, service, f"t{uuid.uuid4().hex[:8]}.work")


@pytest.fixture
def project() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def engine(service_engines):
    return service_engines["agents"]


def member(principals, project_id: str, role: str):
    return principals.user(str(uuid.uuid4()), project_id, role)


async def row(engine, job_id: str):
    async with engine.connect() as conn:
        return (await conn.execute(select(JOBS).where(JOBS.c.id == uuid.UUID(job_id)))).one()


async def due_now(engine, job_id: str) -> None:
    """Skip the backoff (as if its time had come)."""
    async with engine.begin() as conn:
        await conn.execute(update(JOBS).where(JOBS.c.id == uuid.UUID(job_id)).values(run_after=func.now()))


async def backoff_seconds(engine, job_id: str) -> float:
    async with engine.connect() as conn:
        wait = await conn.execute(select(JOBS.c.run_after - func.now()).where(JOBS.c.id == uuid.UUID(job_id)))
        return wait.scalar_one().total_seconds()


async def outbox(engine, subject: str, project_id: str) -> list[events_pb2.EventEnvelope]:
    """Envelopes of ``subject`` agents raised for the project (published or not), oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(infra.outbox.c.payload).where(infra.outbox.c.subject == subject).order_by(infra.outbox.c.id)
        )
        envelopes = [decode_envelope(payload) for (payload,) in rows]
    return [e for e in envelopes if e.project_id == project_id]


def payload_of(envelope: events_pb2.EventEnvelope, message_type):
    message = message_type()
    assert envelope.payload.Unpack(message)
    return message


def _struct(values: dict) -> Struct:
    struct = Struct()
    struct.update(values)
    return struct


async def test_the_same_idempotency_key_returns_the_first_job(q: Queue, project: str, engine) -> None:
    first = await q.enqueue(project, idempotency_key="weekly-report:2026-48", priority=3)
    again = await q.enqueue(project, idempotency_key="weekly-report:2026-48", priority=9)
    assert (first.created, again.created) == (True, False)
    assert again.job.id == first.job.id and again.job.priority == 3
    # Keys are per project: another project's job under the same key is its own.
    other = str(uuid.uuid4())
    elsewhere = await q.enqueue(other, idempotency_key="weekly-report:2026-48")
    assert elsewhere.created and elsewhere.job.id != first.job.id and elsewhere.job.project_id == other

    [enqueued] = await outbox(engine, "agents.job.enqueued.v1", project)
    changed = payload_of(enqueued, agents_events_pb2.JobChanged)
    assert (changed.job_id, changed.status, changed.job_type) == (first.job.id, "pending", q.job_type)
    assert (enqueued.entity_type, enqueued.entity_id) == ("job", first.job.id)
    assert (enqueued.actor.type, enqueued.actor.id) == ("service", "tests")
    assert len(await outbox(engine, "agents.job.enqueued.v1", other)) == 1


async def test_claims_take_the_highest_priority_first_and_leave_future_jobs(q: Queue, project: str) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    await q.enqueue(project, priority=100, run_after=to_timestamp(later), run_id="later")
    for priority, run_id in ((0, "low"), (10, "high"), (5, "mid")):
        await q.enqueue(project, priority=priority, run_id=run_id)
    claimed = [await q.claim("w1") for _ in range(4)]
    assert [[j.run_id for j in jobs] for jobs in claimed] == [["high"], ["mid"], ["low"], []]
    job = claimed[0][0]
    assert (job.status, job.attempt_count, job.lease_owner) == ("running", 1, "tests/w1")
    assert job.lease_expires_at.ToDatetime(tzinfo=UTC) > datetime.now(UTC)


async def test_concurrent_workers_never_claim_the_same_job(q: Queue, project: str) -> None:
    for n in range(60):
        await q.enqueue(project, payload=_struct({"n": n}))

    async def worker(name: str) -> list[str]:
        mine: list[str] = []
        while jobs := await q.claim(name, limit=3):
            mine += [j.id for j in jobs]
        return mine

    claimed = await asyncio.gather(*(worker(f"w{i}") for i in range(8)))
    every = [job_id for jobs in claimed for job_id in jobs]
    assert len(every) == len(set(every)) == 60
    assert sum(1 for jobs in claimed if jobs) > 1, "the workers should have shared the work"


async def test_a_killed_worker_s_job_runs_again_after_its_lease_and_its_effect_happens_once(
    q: Queue, project: str, engine
) -> None:
    job_id = (await q.enqueue(project, payload=_struct({"week": 48}))).job.id
    effects: dict[str, str] = {}  # the worker's effect, idempotent on the job id

    async def work(worker: str, job: jobs_pb2.Job) -> bool:
        effects.setdefault(job.id, worker)
        return await q.complete(job.id, worker, {"by": worker})

    [taken] = await q.claim("doomed", lease=1)
    assert (taken.id, taken.attempt_count) == (job_id, 1)
    # "doomed" is killed here: it never renews, completes or fails.
    assert await q.claim("survivor") == [], "the lease still holds"
    await asyncio.sleep(1.3)
    [again] = await q.claim("survivor")
    assert (again.id, again.attempt_count, again.lease_owner) == (job_id, 2, "tests/survivor")
    assert await work("survivor", again)

    # The doomed worker comes back to life: it no longer holds the lease, so nothing it says counts.
    assert not await q.renew(job_id, "doomed")
    assert not await work("doomed", taken)
    failed = await q.fail(job_id, "doomed", "late")
    assert (failed.held, failed.status) == (False, "")

    assert effects == {job_id: "survivor"}
    done = await row(engine, job_id)
    assert (done.status, done.attempt_count, done.lease_owner, done.result) == ("done", 2, None, {"by": "survivor"})
    assert done.last_error is None and done.finished_at is not None


async def test_a_renewing_worker_keeps_its_job(q: Queue, project: str, principals) -> None:
    job_id = (await q.enqueue(project)).job.id
    await q.claim("steady", lease=1)
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert await q.renew(job_id, "steady", lease=1)
        assert await q.claim("rival") == []
    # A worker of the same name in another service is someone else: it holds nothing.
    planning = principals.metadata(Principal(subject="planning", kind="service"))
    assert not await q.renew(job_id, "steady", service=planning)


async def test_failures_back_off_then_the_job_is_dead_and_reported(q: Queue, project: str, principals, engine) -> None:
    job_id = (await q.enqueue(project, max_attempts=3)).job.id
    waits = []
    for attempt in (1, 2):
        [job] = await q.claim("w")
        assert job.attempt_count == attempt
        failed = await q.fail(job_id, "w", f"boom {attempt}")
        assert (failed.held, failed.status) == (True, "pending")
        waits.append(await backoff_seconds(engine, job_id))
        assert await q.claim("w") == [], "backing off"
        await due_now(engine, job_id)
    assert 1.0 < waits[0] <= 2.0 < 3.0 < waits[1] <= 4.0, waits

    await q.claim("w")
    failed = await q.fail(job_id, "w", "boom 3")
    assert (failed.held, failed.status) == (True, "dead")
    dead = await row(engine, job_id)
    assert (dead.status, dead.attempt_count, dead.last_error) == ("dead", 3, "boom 3")
    assert await q.claim("w") == []

    [event] = await outbox(engine, "agents.job.dead.v1", project)
    changed = payload_of(event, agents_events_pb2.JobChanged)
    assert (changed.job_id, changed.status, changed.last_error) == (job_id, "dead", "boom 3")
    [error] = await outbox(engine, "agents.error.recorded.v1", project)
    recorded = payload_of(error, errors_pb2.ErrorRecorded)
    assert (recorded.kind, recorded.reference) == ("job_dead", f"job:{job_id}")
    assert "boom 3" in recorded.message

    listed = await q.stub.ListJobs(
        jobs_pb2.ListJobsRequest(project_id=project, status="dead"), metadata=member(principals, project, "viewer")
    )
    assert [(j.id, j.last_error) for j in listed.items] == [(job_id, "boom 3")]


async def test_a_lease_lost_on_the_last_attempt_buries_the_job(q: Queue, project: str, engine) -> None:
    job_id = (await q.enqueue(project, max_attempts=1)).job.id
    await q.claim("crashes", lease=1)
    await asyncio.sleep(1.3)
    assert await q.claim("next") == [], "out of attempts: not run again"
    dead = await row(engine, job_id)
    assert (dead.status, dead.attempt_count, dead.lease_owner) == ("dead", 1, None)
    assert dead.last_error == "the lease of tests/crashes expired before the job finished"
    assert [e.entity_id for e in await outbox(engine, "agents.job.dead.v1", project)] == [job_id]
    [error] = await outbox(engine, "agents.error.recorded.v1", project)
    assert payload_of(error, errors_pb2.ErrorRecorded).kind == "job_dead"


async def test_retry_revives_only_dead_jobs(q: Queue, project: str, principals, engine) -> None:
    admin = member(principals, project, "admin")
    pending = (await q.enqueue(project, job_type=f"{q.job_type}.other")).job.id
    dying = (await q.enqueue(project, max_attempts=1)).job.id
    await q.claim("w")
    await q.fail(dying, "w", "gave up")

    def retry(job_id: str, attempts: int = 0, project_id: str = project) -> jobs_pb2.RetryJobRequest:
        return jobs_pb2.RetryJobRequest(project_id=project_id, job_id=job_id, attempts=attempts)

    not_dead = grpc.StatusCode.FAILED_PRECONDITION
    await refused(q.stub.RetryJob, retry(pending), admin, not_dead, "job-not-dead")
    await refused(q.stub.RetryJob, retry(str(uuid.uuid4())), admin, grpc.StatusCode.NOT_FOUND, "job-not-found")
    await refused(q.stub.RetryJob, retry("nope"), admin, grpc.StatusCode.NOT_FOUND, "job-not-found")
    for role in ("member", "viewer"):
        member_of_project = member(principals, project, role)
        await refused(q.stub.RetryJob, retry(dying), member_of_project, grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    other = str(uuid.uuid4())
    owner_elsewhere = member(principals, other, "owner")
    await refused(
        q.stub.RetryJob, retry(dying, project_id=other), owner_elsewhere, grpc.StatusCode.NOT_FOUND, "job-not-found"
    )
    await refused(q.stub.RetryJob, retry(dying), owner_elsewhere, grpc.StatusCode.NOT_FOUND, "project-not-found")
    await refused(q.stub.RetryJob, retry(dying), q.service, grpc.StatusCode.NOT_FOUND, "project-not-found")
    await refused(
        q.stub.RetryJob, retry(dying, attempts=101), admin, grpc.StatusCode.INVALID_ARGUMENT, "invalid-attempts"
    )

    revived = await q.stub.RetryJob(retry(dying, attempts=2), metadata=admin)
    assert (revived.status, revived.attempt_count, revived.max_attempts, revived.last_error) == (
        "pending",
        1,
        3,
        "gave up",
    )
    await refused(q.stub.RetryJob, retry(dying), admin, not_dead, "job-not-dead")
    [again] = await q.claim("w")
    assert (again.id, again.attempt_count) == (dying, 2)
    [event] = await outbox(engine, "agents.job.retried.v1", project)
    assert payload_of(event, agents_events_pb2.JobChanged).status == "pending"
    assert event.actor.type == "user"


async def test_lists_page_newest_first_with_filters(q: Queue, project: str, principals) -> None:
    a, b = f"{q.job_type}.a", f"{q.job_type}.b"
    ids = [(await q.enqueue(project, job_type=t)).job.id for t in (a, b, a, a, b)]
    viewer = member(principals, project, "viewer")
    seen, cursor = [], ""
    while True:
        page = await q.stub.ListJobs(
            jobs_pb2.ListJobsRequest(project_id=project, page=types_pb2.PageRequest(limit=2, cursor=cursor)),
            metadata=viewer,
        )
        seen += [j.id for j in page.items]
        if not (cursor := page.page.next_cursor):
            break
    assert seen == ids[::-1]
    only_a = await q.stub.ListJobs(jobs_pb2.ListJobsRequest(project_id=project, job_type=a), metadata=viewer)
    assert [j.id for j in only_a.items] == [ids[3], ids[2], ids[0]]
    running = await q.stub.ListJobs(jobs_pb2.ListJobsRequest(project_id=project, status="running"), metadata=viewer)
    assert list(running.items) == []
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    await refused(
        q.stub.ListJobs, jobs_pb2.ListJobsRequest(project_id=project, status="lost"), viewer, invalid, "invalid-status"
    )
    for outsider in (member(principals, str(uuid.uuid4()), "owner"), principals.user(str(uuid.uuid4())), q.service):
        await refused(
            q.stub.ListJobs,
            jobs_pb2.ListJobsRequest(project_id=project),
            outsider,
            grpc.StatusCode.NOT_FOUND,
            "project-not-found",
        )


async def test_only_services_enqueue_claim_and_settle(q: Queue, project: str, principals) -> None:
    owner = member(principals, project, "owner")
    gateway = principals.metadata(Principal(subject="gateway", kind="service"))
    denied = grpc.StatusCode.PERMISSION_DENIED
    for who in (owner, gateway):
        enqueue = jobs_pb2.EnqueueRequest(project_id=project, job_type=q.job_type)
        await refused(q.stub.Enqueue, enqueue, who, denied, "service-required")
        claim = jobs_pb2.ClaimRequest(worker_id="w", job_types=[q.job_type])
        await refused(q.stub.Claim, claim, who, denied, "service-required")
    complete = jobs_pb2.CompleteJobRequest(job_id=str(uuid.uuid4()), worker_id="w")
    await refused(q.stub.Complete, complete, principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")

    def enqueue_with(**fields) -> jobs_pb2.EnqueueRequest:
        return jobs_pb2.EnqueueRequest(**({"project_id": project, "job_type": q.job_type} | fields))

    def claim_with(**fields) -> jobs_pb2.ClaimRequest:
        return jobs_pb2.ClaimRequest(**({"worker_id": "w", "job_types": [q.job_type]} | fields))

    bad = [
        (q.stub.Enqueue, enqueue_with(project_id="nope"), "invalid-project-id"),
        (q.stub.Enqueue, enqueue_with(job_type="Not A Type"), "invalid-job-type"),
        (q.stub.Enqueue, enqueue_with(priority=5000), "invalid-priority"),
        (q.stub.Enqueue, enqueue_with(max_attempts=101), "invalid-max-attempts"),
        (q.stub.Enqueue, enqueue_with(idempotency_key="k" * 201), "invalid-idempotency-key"),
        (q.stub.Claim, claim_with(lease_seconds=601), "invalid-lease-seconds"),
        (q.stub.Claim, claim_with(lease_seconds=-1), "invalid-lease-seconds"),
        (q.stub.Claim, claim_with(limit=101), "invalid-limit"),
        (q.stub.Claim, claim_with(worker_id=" "), "invalid-worker-id"),
        (q.stub.Claim, claim_with(job_types=[]), "invalid-job-type"),
        (q.stub.Renew, jobs_pb2.LeaseRequest(job_id="nope", worker_id="w"), "invalid-job-id"),
    ]
    for call, request, slug in bad:
        await refused(call, request, q.service, grpc.StatusCode.INVALID_ARGUMENT, slug)
    # A lease of up to ten minutes is fine.
    await q.enqueue(project)
    [job] = (await q.stub.Claim(claim_with(lease_seconds=600), metadata=q.service)).jobs
    assert job.lease_expires_at.ToDatetime(tzinfo=UTC) > datetime.now(UTC) + timedelta(seconds=590)


async def test_a_job_requested_by_event_is_enqueued_once(q: Queue, project: str, principals, settings, engine) -> None:
    asker = types_pb2.Actor(type="user", id=str(uuid.uuid4()))

    def request(**fields) -> events_pb2.EventEnvelope:
        return to_envelope(
            Event(
                entity_type="job",
                action="requested",
                entity_id=str(uuid.uuid4()),
                project_id=project,
                actor=asker,
                payload=agents_events_pb2.JobRequested(**fields),
            ),
            domain="planning",
            producer="planning",
        )

    unkeyed = request(job_type=q.job_type, payload_json=orjson.dumps({"source": 7}).decode(), priority=4, run_id="r1")
    keyed = [request(job_type=f"{q.job_type}.report", idempotency_key="weekly:48") for _ in range(2)]
    broken = request(job_type="Not A Type")
    nc = await connect_nats(settings.nats_url, name="test-job-requests")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "planning", settings)
        for envelope in (unkeyed, *keyed, broken):
            for copy in range(2):  # each one twice, as a publish retried past the dedup window would be
                headers = headers_for(envelope) | {"Nats-Msg-Id": f"{envelope.event_id}:{copy}"}
                await js.publish(envelope.type, envelope.SerializeToString(), headers=headers)
    finally:
        await nc.close()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while loop.time() < deadline:
        if await outbox(engine, "agents.error.recorded.v1", project):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # any second job would have landed by now
    viewer = member(principals, project, "viewer")
    jobs = (await q.stub.ListJobs(jobs_pb2.ListJobsRequest(project_id=project), metadata=viewer)).items
    assert sorted((j.job_type, j.run_id, j.priority) for j in jobs) == [
        (q.job_type, "r1", 4),
        (f"{q.job_type}.report", "", 0),
    ]
    assert next(j for j in jobs if j.job_type == q.job_type).payload["source"] == 7
    enqueued = await outbox(engine, "agents.job.enqueued.v1", project)
    assert sorted(e.entity_id for e in enqueued) == sorted(j.id for j in jobs)
    assert {(e.actor.type, e.actor.id) for e in enqueued} == {("user", asker.id)}
    [rejected] = await outbox(engine, "agents.error.recorded.v1", project)
    recorded = payload_of(rejected, errors_pb2.ErrorRecorded)
    assert (recorded.kind, recorded.reference) == ("job_request_rejected", f"event:{broken.event_id}")


async def test_finished_jobs_are_forgotten_after_the_retention(q: Queue, project: str, engine) -> None:
    done, dead, fresh = [(await q.enqueue(project, max_attempts=1)).job.id for _ in range(3)]
    assert len(await q.claim("w", limit=3)) == 3
    await q.complete(done, "w", {})
    await q.fail(dead, "w", "boom")
    await q.complete(fresh, "w", {})
    waiting = (await q.enqueue(project)).job.id
    async with engine.begin() as conn:  # two of them finished long ago
        await conn.execute(
            update(JOBS)
            .where(JOBS.c.id.in_([uuid.UUID(done), uuid.UUID(dead)]))
            .values(finished_at=func.now() - timedelta(days=31))
        )
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    async with UnitOfWork(sessionmaker, domain="agents", producer="test", infra=infra) as uow:
        assert await purge_finished(uow, older_than=timedelta(days=30)) == 2
        await uow.commit()
    async with engine.connect() as conn:
        left = await conn.execute(select(JOBS.c.id, JOBS.c.status).where(JOBS.c.project_id == uuid.UUID(project)))
        assert sorted((str(i), s) for i, s in left) == sorted([(fresh, "done"), (waiting, "pending")])
