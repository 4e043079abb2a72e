"""Benchmark: events per second from NATS into ``agents.events`` through the real consumer.

The same events are ingested twice from the same stream, in the same run:

- **aira**: the agents service's durable consumer (inbox, gap-free per-project sequence, activity
  feed, reactions) writing the audit log, as in production;
- **baseline**: a bare pull consumer that decodes each envelope and INSERTs it in batches (asyncpg
  ``executemany`` into a table of the same columns), with no sequence, inbox or feed.

Goal: at least 2,000 events/s and at least 30% of the baseline.

    python -m tests.perf.audit_ingest [--events 20000] [--projects 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import nats
from nats.js import api as js_api

from aira.identity.v1 import events_pb2 as identity_events
from services.agents.__main__ import SPEC as AGENTS
from services.chassis.db import asyncpg_connect_kwargs, to_async_url
from services.chassis.events import Event, decode_envelope, ensure_stream, headers_for, to_envelope
from services.chassis.keys import SecretKey
from services.chassis.migrations import migrate_all
from services.chassis.service import serve
from services.chassis.settings import Settings
from tests.harness import create_database, infrastructure, make_settings, unique_name

GOAL = {"min_events_per_second": 2000, "min_ratio": 0.30}
BATCH = 256


def _events(count: int, projects: int) -> list:
    project_ids = [uuid.uuid4() for _ in range(projects)]
    envelopes = []
    for n in range(count):
        project = project_ids[n % projects]
        envelopes.append(
            to_envelope(
                Event(
                    entity_type="member",
                    action="added",
                    entity_id=str(uuid.uuid4()),
                    project_id=project,
                    payload=identity_events.MemberAdded(
                        project_id=str(project), user_id=str(uuid.uuid4()), role="member"
                    ),
                    snapshot={"user_id": str(uuid.uuid4()), "role": "member", "note": f"event {n}"},
                ),
                domain="identity",
                producer="bench",
            )
        )
    return envelopes


async def _publish(url: str, settings: Settings, envelopes: list) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_stream(js, "identity", settings)
    for start in range(0, len(envelopes), 500):
        await asyncio.gather(
            *(js.publish(e.type, e.SerializeToString(), headers=headers_for(e)) for e in envelopes[start : start + 500])
        )
    await nc.close()


async def _count(conn: asyncpg.Connection, table: str) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table}")


async def _aira(settings: Settings, admin: asyncpg.Connection, total: int) -> dict:
    """Start the agents service and time its consumer from the first recorded event to the last
    (service start-up is reported apart, not counted as ingestion)."""
    stop = asyncio.Event()
    launched = time.perf_counter()
    service = asyncio.create_task(serve(AGENTS, settings, stop))
    while (first := await _count(admin, "agents.events")) == 0:  # noqa: ASYNC110 - polls the database
        await asyncio.sleep(0.01)
    started = time.perf_counter()
    while await _count(admin, "agents.events") < total:  # noqa: ASYNC110 - polls the database
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    await service
    gaps = await admin.fetchval(
        "SELECT count(*) FROM (SELECT project_id, max(sequence) - count(*) AS gap FROM agents.events "
        "GROUP BY project_id) g WHERE gap <> 0"
    )
    return {
        "startup_seconds": round(started - launched, 2),
        "seconds": round(elapsed, 2),
        "events_per_second": round((total - first) / elapsed, 1),
        "projects_with_gaps": gaps,
    }


async def _baseline(url: str, admin: asyncpg.Connection, total: int) -> dict:
    await admin.execute(
        "CREATE TABLE bench_events (id uuid PRIMARY KEY, project_id uuid, event_type text, entity_type text, "
        "entity_id text, action text, snapshot jsonb, actor_type text, actor_id text, occurred_at timestamptz)"
    )
    insert = (
        "INSERT INTO bench_events (id, project_id, event_type, entity_type, entity_id, action, snapshot, "
        "actor_type, actor_id, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        "identity.>",
        durable="bench-baseline",
        stream="IDENTITY",
        config=js_api.ConsumerConfig(ack_policy=js_api.AckPolicy.EXPLICIT, deliver_policy=js_api.DeliverPolicy.ALL),
    )
    started = None
    done = 0
    while done < total:
        messages = await sub.fetch(BATCH, timeout=5)
        rows = []
        for msg in messages:
            e = decode_envelope(msg.data)
            rows.append(
                (
                    uuid.UUID(e.event_id),
                    uuid.UUID(e.project_id),
                    e.type,
                    e.entity_type,
                    e.entity_id,
                    e.action,
                    e.snapshot_json.decode(),
                    e.actor.type,
                    e.actor.id,
                    e.occurred_at.ToDatetime(),
                )
            )
        await admin.executemany(insert, rows)
        for msg in messages:
            await msg.ack()
        if started is None:  # timed, like the consumer, from its first batch on
            started, first = time.perf_counter(), len(messages)
        done += len(messages)
    elapsed = time.perf_counter() - started
    await nc.close()
    return {"seconds": round(elapsed, 2), "events_per_second": round((total - first) / elapsed, 1)}


async def _measure(infra, home: Path, count: int, projects: int) -> tuple[dict, dict]:
    url = await create_database(infra.server_url, unique_name("bench"))
    settings = make_settings(home, url, infra.nats_url, log_level="WARNING", db_pool_size=8)
    await migrate_all(settings, SecretKey.load(settings.keys_path))
    await _publish(infra.nats_url, settings, _events(count, projects))
    admin = await asyncpg.connect(**asyncpg_connect_kwargs(to_async_url(url)))
    try:
        baseline = await _baseline(infra.nats_url, admin, count)
        aira = await _aira(settings, admin, count)
    finally:
        await admin.close()
    return aira, baseline


def main(count: int, projects: int) -> dict:
    # The embedded servers are started outside the event loop (their helpers run their own).
    with (
        tempfile.TemporaryDirectory(prefix="aira-bench-ingest-") as tmp,
        infrastructure(Path(tmp), durable=True) as infra,
    ):
        aira, baseline = asyncio.run(_measure(infra, Path(tmp) / "home", count, projects))
    ratio = round(aira["events_per_second"] / baseline["events_per_second"], 3)
    return {
        "benchmark": "audit_ingest",
        "events": count,
        "projects": projects,
        "durable_postgres": True,
        "aira": aira,
        "baseline_batched_insert": baseline,
        "ratio": ratio,
        "goal": GOAL
        | {"met": aira["events_per_second"] >= GOAL["min_events_per_second"] and ratio >= GOAL["min_ratio"]},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=50)
    arguments = parser.parse_args()
    print(json.dumps(main(arguments.events, arguments.projects), indent=2))
