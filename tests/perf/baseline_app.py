"""The baseline for the gateway benchmark: one FastAPI process answering the same query with asyncpg.

No gateway, no gRPC, no token checks: the floor the real path is compared with.
Run as ``python -m tests.perf.baseline_app <port> <postgres-dsn>``.
"""

from __future__ import annotations

import sys
import uuid
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

QUERY = """
SELECT p.id, p.name, p.description, p.vision, p.onboarding_mode, p.created_by, p.created_at, m.role
FROM identity.projects p JOIN identity.project_members m ON m.project_id = p.id
WHERE p.id = $1 AND m.user_id = $2
"""


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    vision: str
    onboarding_mode: str
    created_by: str
    created_at: datetime
    role: str


def create_app(dsn: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/projects/{project_id}")
    async def get_project(project_id: uuid.UUID, x_user_id: uuid.UUID = Header()) -> ProjectOut:
        assert pool is not None
        row = await pool.fetchrow(QUERY, project_id, x_user_id)
        if row is None:
            raise HTTPException(404)
        return ProjectOut(
            id=str(row["id"]),
            name=row["name"],
            description=row["description"],
            vision=row["vision"],
            onboarding_mode=row["onboarding_mode"],
            created_by=str(row["created_by"]),
            created_at=row["created_at"],
            role=row["role"],
        )

    return app


if __name__ == "__main__":
    port, dsn = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        create_app(dsn),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
