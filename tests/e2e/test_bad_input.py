"""Bad input gets a clear 4xx problem document, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import PASSWORD, assert_problem, bearer, create_project, new_email, signup


async def test_malformed_json(api) -> None:
    response = await api.post(
        "/v1/auth/signup", content=b'{"email": "a@b.co",', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com", "password": 12345678901, "name": "A"},
        {"email": ["a@example.com"], "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": None},
        {"email": "a@example.com", "password": PASSWORD},
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": "A", "is_admin": True},
        [],
        "just a string",
    ],
)
async def test_wrong_types_missing_and_unknown_fields(api, body) -> None:
    problem = assert_problem(await api.post("/v1/auth/signup", json=body), 422, "validation-failed")
    assert problem["errors"], problem
    assert PASSWORD not in str(problem), "the problem must not echo what was sent"


async def test_unknown_fields_on_projects(api) -> None:
    tokens = await signup(api)
    response = await api.post("/v1/projects", json={"name": "A", "owner_id": "someone-else"}, headers=bearer(tokens))
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["location"] == "body.owner_id"


async def test_oversized_bodies(api) -> None:
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert_problem(
        await api.post("/v1/auth/signup", content=huge, headers={"content-type": "application/json"}),
        413,
        "body-too-large",
    )

    async def streamed():
        for _ in range(40):
            yield b"x" * 65536

    response = await api.post("/v1/auth/signup", content=streamed(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "body-too-large")


async def test_duplicate_email(api) -> None:
    email = new_email()
    await signup(api, email=email)
    response = await api.post("/v1/auth/signup", json={"email": email.upper(), "password": PASSWORD, "name": "Twin"})
    assert_problem(response, 409, "email-taken")


@pytest.mark.parametrize("password", ["short", "abcdefghijklm", "Password123", "1111111111111"])
async def test_weak_password(api, password: str) -> None:
    email = new_email()
    response = await api.post("/v1/auth/signup", json={"email": email, "password": password, "name": "Weak"})
    problem = assert_problem(response, 422, "weak-password")
    assert problem["problems"]
    login = await api.post("/v1/auth/login", json={"email": email, "password": password})
    assert_problem(login, 401, "invalid-credentials")  # nothing was created


async def test_wrong_password_and_unknown_email(api) -> None:
    email = new_email()
    await signup(api, email=email)
    wrong = await api.post("/v1/auth/login", json={"email": email, "password": PASSWORD + "?"})
    unknown = await api.post("/v1/auth/login", json={"email": new_email(), "password": PASSWORD})
    assert (
        assert_problem(wrong, 401, "invalid-credentials")["detail"]
        == assert_problem(unknown, 401, "invalid-credentials")["detail"]
    )
    assert wrong.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
)
async def test_missing_or_bad_tokens(api, authorization) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await api.get("/v1/me", headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_a_tampered_token_is_refused(api) -> None:
    tokens = await signup(api)
    header, payload, signature = tokens["access_token"].split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    assert_problem(await api.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid-token")


async def test_bad_paths_and_queries(api) -> None:
    tokens = await signup(api)
    await create_project(api, tokens)
    assert_problem(await api.get("/v1/projects/not-a-uuid", headers=bearer(tokens)), 404, "project-not-found")
    assert_problem(await api.get("/v1/projects", params={"limit": 0}, headers=bearer(tokens)), 422, "validation-failed")
    assert_problem(
        await api.get("/v1/projects", params={"limit": "ten"}, headers=bearer(tokens)), 422, "validation-failed"
    )
    assert_problem(
        await api.get("/v1/projects", params={"cursor": "%%%"}, headers=bearer(tokens)), 422, "invalid-cursor"
    )
    assert_problem(await api.get("/v1/nowhere"), 404, "not-found")
    assert_problem(await api.delete("/v1/projects"), 405, "method-not-allowed")


async def test_invalid_project_fields(api) -> None:
    tokens = await signup(api)
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": 42}, {}):
        response = await api.post("/v1/projects", json=body, headers=bearer(tokens))
        assert response.status_code == 422, (body, response.text)
    assert (await api.get("/v1/projects", headers=bearer(tokens))).json()["items"] == []
