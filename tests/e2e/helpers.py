"""Small helpers for driving the API like a client."""

from __future__ import annotations

import asyncio
import uuid

import httpx2

PASSWORD = "a sturdy passphrase 42"


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def signup(api: httpx2.AsyncClient, name: str = "Ada", email: str | None = None) -> dict:
    response = await api.post(
        "/v1/auth/signup", json={"email": email or new_email(), "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def create_project(api: httpx2.AsyncClient, tokens: dict, name: str = "Apollo", **fields) -> dict:
    response = await api.post("/v1/projects", json={"name": name, **fields}, headers=bearer(tokens))
    assert response.status_code == 201, response.text
    return response.json()


async def wait_for_events(api: httpx2.AsyncClient, tokens: dict, project_id: str, count: int, timeout: float = 20.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await api.get(f"/v1/projects/{project_id}/events", headers=bearer(tokens))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if len(items) >= count or loop.time() > deadline:
            return items
        await asyncio.sleep(0.2)


def assert_problem(response: httpx2.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"https://aira.dev/problems/{slug}", body
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body
