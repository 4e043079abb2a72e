"""Sources and insights over HTTP, through the processes ``aira up`` starts: paste text, upload real
files (multipart), dedup, versions, the upload limit (413) and gRPC messages larger than gRPC's
default; insights written by hand, searched, filtered and triaged; who may do what.
"""

from __future__ import annotations

import io
import os
import struct
import uuid
import zlib

import docx
from docx.shared import Inches

from tests.e2e.helpers import assert_problem, bearer, create_project, signup
from tests.e2e.test_access import join

NOTES = "# Discovery notes\n\nField teams lose work when the signal drops.\nExports of large projects time out.\n"


def docx_file(*paragraphs: str, picture: bytes | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if picture is not None:
        document.add_picture(io.BytesIO(picture), width=Inches(2))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def noisy_png(side: int) -> bytes:
    """A PNG of random pixels (it does not compress), ``side`` × ``side``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


async def test_sources_are_added_deduplicated_versioned_and_deleted(api, smtp) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Sources"))["id"]
    sources = f"/v1/projects/{pid}/sources"

    pasted = await api.post(sources, json={"text": NOTES}, headers=bearer(owner))
    assert pasted.status_code == 201, pasted.text
    source = pasted.json()
    assert pasted.headers["location"] == f"{sources}/{source['id']}"
    assert (source["type"], source["title"], source["version"], source["already_existed"]) == (
        "markdown",
        "Discovery notes",
        1,
        False,
    )
    assert source["content"] is None and source["filename"] is None

    again = await api.post(sources, json={"title": "Another name", "text": NOTES + "\n\n"}, headers=bearer(owner))
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["already_existed"], again.json()["title"]) == (
        source["id"],
        True,
        "Discovery notes",
    )
    # The same text as a Markdown file is the same source too.
    as_file = await api.post(
        f"{sources}/upload", files={"file": ("notes.md", NOTES.encode(), "text/markdown")}, headers=bearer(owner)
    )
    assert (as_file.status_code, as_file.json()["id"]) == (200, source["id"])

    word = await api.post(
        f"{sources}/upload",
        files={
            "file": (
                "interview.docx",
                docx_file("Interview with Ana", "Billing is confusing."),
                "application/octet-stream",
            )
        },
        data={"title": "Ana's interview"},
        headers=bearer(owner),
    )
    assert word.status_code == 201, word.text
    assert (word.json()["type"], word.json()["filename"], word.json()["title"]) == (
        "docx",
        "interview.docx",
        "Ana's interview",
    )

    read = (await api.get(f"{sources}/{word.json()['id']}", headers=bearer(owner))).json()
    assert read["content"] == "Interview with Ana\n\nBilling is confusing."
    meta = (await api.get(f"{sources}/{word.json()['id']}?include_content=false", headers=bearer(owner))).json()
    assert meta["content"] is None and meta["content_hash"] == read["content_hash"]

    listed = (await api.get(sources, params={"limit": 1}, headers=bearer(owner))).json()
    assert [s["id"] for s in listed["items"]] == [word.json()["id"]] and listed["next_cursor"]
    rest = (await api.get(sources, params={"limit": 1, "cursor": listed["next_cursor"]}, headers=bearer(owner))).json()
    assert [s["id"] for s in rest["items"]] == [source["id"]] and rest["next_cursor"] is None
    assert [
        s["id"] for s in (await api.get(sources, params={"type": "docx"}, headers=bearer(owner))).json()["items"]
    ] == [word.json()["id"]]
    assert (await api.get(sources, params={"q": "ana"}, headers=bearer(owner))).json()["items"][0]["title"] == (
        "Ana's interview"
    )

    content = f"{sources}/{source['id']}/content"
    replaced = await api.put(content, json={"text": NOTES + "\nSearch is slow.\n"}, headers=bearer(owner))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["version"], replaced.json()["changed"]) == (2, True)
    same = await api.put(
        content,
        files={"file": ("notes.txt", (NOTES + "\nSearch is slow.\n").encode(), "text/plain")},
        headers=bearer(owner),
    )
    assert (same.status_code, same.json()["version"], same.json()["changed"]) == (200, 2, False)
    assert_problem(await api.put(content, content=b"text=hi", headers=bearer(owner)), 415, "unsupported-media-type")
    assert_problem(await api.put(content, json={"txt": "typo"}, headers=bearer(owner)), 422, "validation-failed")
    assert_problem(
        await api.put(content, content=b"{not json", headers={**bearer(owner), "content-type": "application/json"}),
        400,
        "malformed-json",
    )
    taken = await api.put(content, json={"text": read["content"]}, headers=bearer(owner))
    assert assert_problem(taken, 409, "source-content-exists")["existing_source_id"] == word.json()["id"]

    insight = await api.post(
        f"/v1/projects/{pid}/insights",
        json={
            "type": "pain_point",
            "title": "Billing is confusing",
            "impact": "high",
            "confidence": 0.7,
            "source_id": word.json()["id"],
        },
        headers=bearer(owner),
    )
    assert insight.status_code == 201, insight.text
    deleted = await api.delete(f"{sources}/{word.json()['id']}", headers=bearer(owner))
    assert deleted.status_code == 204, deleted.text
    assert_problem(await api.get(f"{sources}/{word.json()['id']}", headers=bearer(owner)), 404, "source-not-found")
    kept = (await api.get(f"/v1/projects/{pid}/insights/{insight.json()['id']}", headers=bearer(owner))).json()
    assert (kept["source_id"], kept["title"]) == (None, "Billing is confusing")


async def test_bad_content_is_refused_with_its_problem_and_nothing_is_written(api) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Bad content"))["id"]
    sources = f"/v1/projects/{pid}/sources"
    cases = [
        (await api.post(sources, json={"text": "   \n "}, headers=bearer(owner)), 422, "empty-source"),
        (
            await api.post(sources, json={"text": "a\u0000\u0001\u0002\u0003\u0004b"}, headers=bearer(owner)),
            422,
            "binary-content",
        ),
        (
            await api.post(
                f"{sources}/upload",
                files={"file": ("export.json", b'{"issues": [', "application/json")},
                headers=bearer(owner),
            ),
            422,
            "malformed-json",
        ),
        (
            await api.post(
                f"{sources}/upload",
                files={"file": ("export.csv", b'Issue key,Summary\nAIR-1,"open\n', "text/csv")},
                headers=bearer(owner),
            ),
            422,
            "malformed-csv",
        ),
        (
            await api.post(
                f"{sources}/upload", files={"file": ("a.png", noisy_png(8), "image/png")}, headers=bearer(owner)
            ),
            422,
            "unsupported-content-type",
        ),
        (
            await api.post(f"{sources}/upload", files={"title": (None, "no file")}, headers=bearer(owner)),
            422,
            "validation-failed",
        ),
        (
            await api.post(f"{sources}/upload", data={"title": "form, not multipart"}, headers=bearer(owner)),
            415,
            "unsupported-media-type",
        ),
        (
            await api.post(
                sources, content=b'{"text": ', headers={**bearer(owner), "content-type": "application/json"}
            ),
            400,
            "malformed-json",
        ),
    ]
    for response, status, slug in cases:
        assert_problem(response, status, slug)
    assert (await api.get(sources, headers=bearer(owner))).json()["items"] == []


async def test_uploads_have_their_own_limit_and_may_exceed_grpc_s_default(api, system) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Big files"))["id"]
    sources = f"/v1/projects/{pid}/sources"
    limit = 10 * 1024 * 1024  # AIRA_MAX_UPLOAD_BYTES' default

    # Just over the limit: the gateway reads the file and refuses it.
    over = await api.post(
        f"{sources}/upload", files={"file": ("big.txt", b"a" * (limit + 1), "text/plain")}, headers=bearer(owner)
    )
    assert assert_problem(over, 413, "source-too-large")["detail"] == f"sources are limited to {limit} bytes"
    # Far over: refused from Content-Length before the body is read.
    far = await api.post(
        f"{sources}/upload",
        files={"file": ("huge.txt", b"a" * (limit + 1024 * 1024), "text/plain")},
        headers=bearer(owner),
    )
    assert_problem(far, 413, "source-too-large")
    # Text past the limit in a body within the route's allowance: planning refuses it, also with 413.
    long_text = await api.post(sources, json={"text": "a" * (limit + 100)}, headers=bearer(owner))
    assert assert_problem(long_text, 413, "source-too-large")["max_bytes"] == limit
    # Text bodies above the global limit are fine on this route.
    bigger = await api.post(sources, json={"text": "lorem ipsum " * 200_000}, headers=bearer(owner))
    assert bigger.status_code == 201, bigger.text
    assert bigger.json()["stats"] == {"characters": 2_399_999, "words": 400_000, "lines": 1}
    # Other routes keep the global 1 MiB limit.
    assert_problem(
        await api.post("/v1/projects", json={"name": "x" * (2 * 1024 * 1024)}, headers=bearer(owner)),
        413,
        "body-too-large",
    )

    # A 5 MiB Word document (mostly a picture) passes gateway → planning, over gRPC's 4 MiB default.
    big = docx_file("Site survey", "The warehouse has no signal on the ground floor.", picture=noisy_png(1400))
    assert len(big) > 5 * 1024 * 1024
    uploaded = await api.post(
        f"{sources}/upload", files={"file": ("survey.docx", big, "application/octet-stream")}, headers=bearer(owner)
    )
    assert uploaded.status_code == 201, uploaded.text
    assert (uploaded.json()["type"], uploaded.json()["size_bytes"]) == ("docx", len(big))
    listed = (await api.get(sources, headers=bearer(owner))).json()["items"]
    assert [s["title"] for s in listed] == ["survey", bigger.json()["title"]]


async def test_idempotency_keys_replay_uploads(api) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Retries"))["id"]
    key = {"Idempotency-Key": f"upload-{uuid.uuid4()}"}
    upload = f"/v1/projects/{pid}/sources/upload"
    first = await api.post(
        upload, files={"file": ("a.md", b"# A\n\nalpha", "text/markdown")}, headers=bearer(owner) | key
    )
    retry = await api.post(
        upload, files={"file": ("a.md", b"# A\n\nalpha", "text/markdown")}, headers=bearer(owner) | key
    )
    assert (first.status_code, retry.status_code) == (201, 201)  # the first reply, replayed
    assert retry.json() == first.json()
    reused = await api.post(
        upload, files={"file": ("b.md", b"# B\n\nbeta", "text/markdown")}, headers=bearer(owner) | key
    )
    assert_problem(reused, 422, "idempotency-key-reused")


async def test_insights_are_written_searched_filtered_and_triaged(api) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Insights"))["id"]
    insights = f"/v1/projects/{pid}/insights"

    async def add(**fields) -> dict:
        body = {"type": "pain_point", "impact": "medium", "confidence": 0.6} | fields
        response = await api.post(insights, json=body, headers=bearer(owner))
        assert response.status_code == 201, response.text
        return response.json()

    offline = await add(
        title="Offline mode for field teams", body="Signal drops in warehouses.", tags=["Mobile", "sync"]
    )
    mention = await add(title="Sync feedback", body="Some want offline access.", domain="Mobile", impact="high")
    billing = await add(type="risk", title="Invoices lack detail", tags=["billing"], confidence=1)
    assert offline["tags"] == ["mobile", "sync"] and mention["domain"] == "mobile" and offline["rank"] is None

    found = (await api.get(insights, params={"q": "offline"}, headers=bearer(owner))).json()
    assert [i["id"] for i in found["items"]] == [offline["id"], mention["id"]]
    assert found["items"][0]["rank"] > found["items"][1]["rank"] > 0
    page = (await api.get(insights, params={"q": "offline", "limit": 1}, headers=bearer(owner))).json()
    second = (
        await api.get(
            insights, params={"q": "offline", "limit": 1, "cursor": page["next_cursor"]}, headers=bearer(owner)
        )
    ).json()
    assert [i["id"] for i in page["items"] + second["items"]] == [offline["id"], mention["id"]]
    assert second["next_cursor"] is None

    by_tags = (await api.get(f"{insights}?tag=billing&tag=SYNC", headers=bearer(owner))).json()["items"]
    assert {i["id"] for i in by_tags} == {offline["id"], billing["id"]}
    assert [
        i["id"] for i in (await api.get(insights, params={"type": "risk"}, headers=bearer(owner))).json()["items"]
    ] == [billing["id"]]
    assert [
        i["id"]
        for i in (await api.get(insights, params={"domain": "mobile", "impact": "high"}, headers=bearer(owner))).json()[
            "items"
        ]
    ] == [mention["id"]]
    assert_problem(await api.get(insights, params={"type": "rumour"}, headers=bearer(owner)), 422, "validation-failed")

    dismissed = await api.post(f"{insights}/{billing['id']}/dismiss", headers=bearer(owner))
    assert dismissed.json()["status"] == "dismissed"
    assert billing["id"] not in {i["id"] for i in (await api.get(insights, headers=bearer(owner))).json()["items"]}
    shown = (await api.get(insights, params={"include_dismissed": "true"}, headers=bearer(owner))).json()["items"]
    assert billing["id"] in {i["id"] for i in shown}
    assert (await api.post(f"{insights}/{billing['id']}/keep", headers=bearer(owner))).json()["status"] == "kept"

    patched = await api.patch(
        f"{insights}/{offline['id']}", json={"impact": "critical", "tags": ["Field"]}, headers=bearer(owner)
    )
    assert (patched.json()["impact"], patched.json()["tags"], patched.json()["title"]) == (
        "critical",
        ["field"],
        offline["title"],
    )
    assert_problem(
        await api.patch(f"{insights}/{offline['id']}", json={"confidence": 2}, headers=bearer(owner)),
        422,
        "validation-failed",
    )
    assert_problem(
        await api.post(
            f"{insights}/{offline['id']}/link", json={"feature_id": str(uuid.uuid4())}, headers=bearer(owner)
        ),
        404,
        "feature-not-found",
    )
    assert_problem(
        await api.delete(f"{insights}/{offline['id']}/link", headers=bearer(owner)), 404, "insight-link-not-found"
    )
    assert_problem(await api.get(f"{insights}/{uuid.uuid4()}", headers=bearer(owner)), 404, "insight-not-found")


async def test_roles_and_scopes_decide_who_writes(api, smtp) -> None:
    owner = await signup(api, "Owner")
    pid = (await create_project(api, owner, "Roles"))["id"]
    member = await join(api, smtp, owner, pid, "member")
    pm = await join(api, smtp, owner, pid, "product_manager")
    sources, insights = f"/v1/projects/{pid}/sources", f"/v1/projects/{pid}/insights"
    made = await api.post(sources, json={"text": "Written by the product manager."}, headers=bearer(pm))
    assert made.status_code == 201, made.text
    insight = {"type": "fact", "title": "A fact", "impact": "low", "confidence": 0.5}
    assert_problem(await api.post(sources, json={"text": "By a member."}, headers=bearer(member)), 403, "forbidden")
    assert_problem(await api.post(insights, json=insight, headers=bearer(member)), 403, "forbidden")
    assert (await api.get(f"{sources}/{made.json()['id']}", headers=bearer(member))).status_code == 200

    key = (
        await api.post(
            "/v1/api-keys",
            json={"project_id": pid, "name": "uploader", "scopes": ["sources:write"]},
            headers=bearer(owner),
        )
    ).json()["secret"]
    by_key = await api.post(
        f"{sources}/upload",
        files={"file": ("ci.txt", b"Nightly build notes.", "text/plain")},
        headers={"X-API-Key": key},
    )
    assert by_key.status_code == 201, by_key.text
    assert_problem(await api.post(insights, json=insight, headers={"X-API-Key": key}), 403, "insufficient-scope")
