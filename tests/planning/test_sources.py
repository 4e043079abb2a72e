"""Sources as a service: added once per content (dedup), versioned on change, deleted without taking
insights along, each change an event carrying what the ledger ingests; readable by other services;
refused — with nothing written — for the wrong role, another project, or content that is no source.

The tests share one running planning service and never empty the database under it: each works
in projects of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import io

import docx
import grpc
import pytest

from aira.planning.v1 import events_pb2, sources_pb2, sources_pb2_grpc
from services.chassis.ids import uuid7
from services.chassis.pagination import encode_cursor
from services.chassis.principal import Principal
from services.planning.models import Source
from services.planning.source_content import normalise_text
from services.planning.sources import INLINE_TEXT_BYTES
from tests.grpc_calls import refused
from tests.planning.sources_support import (
    Team,
    add_text,
    count_rows,
    file_request,
    new_team,
    outbox,
    payload_of,
    project_events,
    text_request,
)

ROADMAP = "# Roadmap\n\nCustomers ask for offline mode.\nExports time out for large projects.\n"


@pytest.fixture
def stub(planning_channel) -> sources_pb2_grpc.SourcesStub:
    return sources_pb2_grpc.SourcesStub(planning_channel)


@pytest.fixture
def insights_stub(planning_channel) -> sources_pb2_grpc.InsightsStub:
    return sources_pb2_grpc.InsightsStub(planning_channel)


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ref(team: Team, source_id: str) -> sources_pb2.GetSourceRequest:
    return sources_pb2.GetSourceRequest(project_id=team.project_id, source_id=source_id, include_content=True)


async def test_a_text_source_is_normalised_stored_and_announced_with_its_text(stub, team, engine) -> None:
    reply = await stub.CreateSource(text_request(team, ROADMAP.replace("\n", "\r\n") + "  \r\n"), metadata=team.pm)
    source = reply.source
    normalised = ROADMAP.strip("\n")
    assert reply.created
    assert (source.type, source.content_type, source.title, source.version) == (
        "markdown",
        "text/markdown",
        "Roadmap",
        1,
    )
    assert source.content_hash == hashlib.sha256(normalised.encode()).hexdigest()
    assert not source.content_included and source.content == ""  # writes answer with metadata only
    assert source.stats["lines"] == 4 and source.filename == ""

    stored = await stub.GetSource(ref(team, source.id), metadata=team.as_role("viewer"))
    assert (stored.content, stored.content_included) == (normalised, True)

    [added] = await outbox(engine, "planning.source.added.v1", team.project_id)
    event = payload_of(added, events_pb2.SourceChanged)
    assert (event.source_id, event.type, event.version, event.content_hash) == (
        source.id,
        "markdown",
        1,
        source.content_hash,
    )
    assert (event.text, event.text_complete, event.title) == (normalised, True, "Roadmap")
    assert (added.entity_type, added.entity_id, added.action) == ("source", source.id, "added")


async def test_the_same_content_again_is_the_same_source_and_nothing_new(stub, team, engine) -> None:
    first = await add_text(stub, team, ROADMAP, title="Notes")
    again = await stub.CreateSource(text_request(team, ROADMAP + "\n\n", title="Other title"), metadata=team.pm)
    as_file = await stub.CreateSource(file_request(team, ROADMAP.encode(), "roadmap.md"), metadata=team.pm)
    for reply in (again, as_file):
        assert not reply.created
        assert (reply.source.id, reply.source.title, reply.source.version) == (first.id, "Notes", 1)
    assert await count_rows(engine, Source, team.project_id) == 1
    assert await project_events(engine, team.project_id) == ["planning.source.added.v1"]


async def test_the_same_content_in_another_project_is_another_source(stub, principals) -> None:
    a, b = new_team(principals), new_team(principals)
    in_a = await add_text(stub, a, ROADMAP)
    in_b = await add_text(stub, b, ROADMAP)
    assert in_a.id != in_b.id and in_a.content_hash == in_b.content_hash


async def test_concurrent_adds_of_one_content_make_one_source(stub, team, engine) -> None:
    replies = await asyncio.gather(
        *(stub.CreateSource(text_request(team, "Race notes: both arrive at once."), metadata=team.pm) for _ in range(6))
    )
    assert len({r.source.id for r in replies}) == 1
    assert sum(r.created for r in replies) == 1
    assert await project_events(engine, team.project_id) == ["planning.source.added.v1"]


async def test_uploads_are_read_by_what_they_are(stub, team) -> None:
    word = await stub.CreateSource(
        file_request(team, docx_bytes("Interview with Ana", "Billing is confusing."), "interview.docx"),
        metadata=team.pm,
    )
    assert (word.source.type, word.source.filename, word.source.title) == ("docx", "interview.docx", "interview")
    csv = await stub.CreateSource(
        file_request(team, b"Issue key,Summary,Status\nAIR-1,Export times out,Open\n", "C:\\exports\\jira.csv"),
        metadata=team.pm,
    )
    assert (csv.source.type, csv.source.format, csv.source.filename) == ("csv", "jira_export", "jira.csv")
    text = await stub.GetSource(ref(team, word.source.id), metadata=team.pm)
    assert "Billing is confusing." in text.content
    assert text.size_bytes > len(text.content)  # the file's bytes, not the text's


async def test_replacing_content_versions_the_source_and_the_same_content_is_a_no_op(stub, team, engine) -> None:
    source = await add_text(stub, team, ROADMAP)
    replace = sources_pb2.ReplaceSourceContentRequest(
        project_id=team.project_id,
        source_id=source.id,
        content=sources_pb2.SourceContent(text=ROADMAP + "\nA third finding: search is slow.\n"),
    )
    changed = await stub.ReplaceSourceContent(replace, metadata=team.pm)
    assert changed.changed and changed.source.version == 2
    assert changed.source.title == source.title and changed.source.content_hash != source.content_hash
    again = await stub.ReplaceSourceContent(replace, metadata=team.pm)
    assert not again.changed and again.source.version == 2

    stored = await stub.GetSource(ref(team, source.id), metadata=team.pm)
    assert stored.content.endswith("A third finding: search is slow.") and stored.version == 2
    [updated] = await outbox(engine, "planning.source.updated.v1", team.project_id)
    event = payload_of(updated, events_pb2.SourceChanged)
    assert (event.version, event.text_complete, event.content_hash) == (2, True, changed.source.content_hash)
    assert event.text == stored.content
    assert '"version":{"from":1,"to":2}' in updated.changes_json.decode()

    # Content another source of the project holds cannot be taken over.
    other = await add_text(stub, team, "Another note entirely.")
    taken = sources_pb2.ReplaceSourceContentRequest(
        project_id=team.project_id, source_id=other.id, content=sources_pb2.SourceContent(text=stored.content)
    )
    problem = await refused(
        stub.ReplaceSourceContent, taken, team.pm, grpc.StatusCode.ALREADY_EXISTS, "source-content-exists"
    )
    assert problem["existing_source_id"] == source.id
    assert (await stub.GetSource(ref(team, other.id), metadata=team.pm)).content == "Another note entirely."


async def test_text_too_large_for_an_event_is_read_by_a_service(stub, team, engine, principals) -> None:
    paragraph = "Customers need offline mode because trains have no signal. " * 20 + "\n\n"
    text = paragraph * (INLINE_TEXT_BYTES // len(paragraph) + 5)
    source = await add_text(stub, team, text)
    [added] = await outbox(engine, "planning.source.added.v1", team.project_id)
    event = payload_of(added, events_pb2.SourceChanged)
    assert (event.text, event.text_complete) == ("", False)
    assert event.size_bytes == len(text.encode())

    ledger = principals.metadata(Principal(subject="ledger", kind="service"))
    read = await stub.GetSource(ref(team, source.id), metadata=ledger)
    assert read.content == normalise_text(text) and read.content_hash == event.content_hash
    # The gateway's own principal is a service too, but reads only on a person's behalf.
    gateway = principals.metadata(Principal(subject="gateway", kind="service"))
    await refused(stub.GetSource, ref(team, source.id), gateway, grpc.StatusCode.PERMISSION_DENIED, "service-required")
    await refused(
        stub.GetSource, ref(team, source.id), principals.metadata(), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated"
    )


async def test_metadata_only_when_content_is_not_asked_for(stub, team) -> None:
    source = await add_text(stub, team, ROADMAP)
    meta = await stub.GetSource(
        sources_pb2.GetSourceRequest(project_id=team.project_id, source_id=source.id, include_content=False),
        metadata=team.pm,
    )
    assert (meta.content, meta.content_included, meta.content_hash) == ("", False, source.content_hash)


async def test_sources_list_newest_first_page_by_page_filtered_and_searched(stub, team) -> None:
    titles = ["Interview Ana", "Interview Bo", "Support tickets", "Sales call notes", "Interview 100%_done"]
    for i, title in enumerate(titles):
        await add_text(stub, team, f"Notes number {i}: {title}", title=title)
    await stub.CreateSource(file_request(team, b'{"a": 1}', "data.json"), metadata=team.pm)

    async def walk(**filters) -> list[str]:
        seen, cursor = [], ""
        while True:
            page = await stub.ListSources(
                sources_pb2.ListSourcesRequest(
                    project_id=team.project_id, page={"limit": 2, "cursor": cursor}, **filters
                ),
                metadata=team.as_role("stakeholder"),
            )
            assert len(page.items) <= 2
            assert all(not s.content_included for s in page.items)
            seen += [s.title for s in page.items]
            cursor = page.page.next_cursor
            if not cursor:
                return seen

    assert await walk(type="text") == list(reversed(titles))
    assert len(await walk()) == 6
    assert await walk(query="interview") == ["Interview 100%_done", "Interview Bo", "Interview Ana"]
    assert await walk(query="INTERVIEW ana") == ["Interview Ana"]
    assert await walk(query="100%_") == ["Interview 100%_done"]  # LIKE wildcards are literal
    assert await walk(type="json") == ["data"]
    bad = sources_pb2.ListSourcesRequest(project_id=team.project_id, type="spreadsheet")
    await refused(stub.ListSources, bad, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "validation-failed")
    for cursor in ("not-a-cursor", encode_cursor({"t": "2026-01-01T00:00:00", "id": str(uuid7())}), encode_cursor([1])):
        garbage = sources_pb2.ListSourcesRequest(project_id=team.project_id, page={"cursor": cursor})
        await refused(stub.ListSources, garbage, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "invalid-cursor")


async def test_deleting_a_source_keeps_its_insights_without_it(stub, insights_stub, team, engine) -> None:
    source = await add_text(stub, team, ROADMAP)
    insight = await insights_stub.CreateInsight(
        sources_pb2.CreateInsightRequest(
            project_id=team.project_id,
            type="pain_point",
            title="Exports time out",
            impact="high",
            confidence=0.8,
            source_id=source.id,
        ),
        metadata=team.pm,
    )
    assert insight.source_id == source.id
    gone = await stub.DeleteSource(
        sources_pb2.SourceRef(project_id=team.project_id, source_id=source.id), metadata=team.pm
    )
    assert (gone.source_id, gone.detached_insights) == (source.id, 1)
    await refused(stub.GetSource, ref(team, source.id), team.pm, grpc.StatusCode.NOT_FOUND, "source-not-found")
    kept = await insights_stub.GetInsight(
        sources_pb2.InsightRef(project_id=team.project_id, insight_id=insight.id), metadata=team.pm
    )
    assert (kept.source_id, kept.title) == ("", "Exports time out")

    [deleted] = await outbox(engine, "planning.source.deleted.v1", team.project_id)
    event = payload_of(deleted, events_pb2.SourceChanged)
    assert (event.source_id, event.text, event.text_complete) == (source.id, "", False)
    updates = await outbox(engine, "planning.insight.updated.v1", team.project_id)
    assert [payload_of(e, events_pb2.InsightChanged).insight_id for e in updates] == [insight.id]
    # Deleting again: there is nothing to delete.
    await refused(
        stub.DeleteSource,
        sources_pb2.SourceRef(project_id=team.project_id, source_id=source.id),
        team.pm,
        grpc.StatusCode.NOT_FOUND,
        "source-not-found",
    )


@pytest.mark.parametrize("role", ["member", "stakeholder", "viewer"])
async def test_only_those_who_manage_sources_write_them(stub, team, engine, role) -> None:
    source = await add_text(stub, team, f"Written by a product manager for {role}.")
    person = team.as_role(role)
    attempts = [
        (stub.CreateSource, text_request(team, "Someone else's notes.")),
        (
            stub.ReplaceSourceContent,
            sources_pb2.ReplaceSourceContentRequest(
                project_id=team.project_id, source_id=source.id, content=sources_pb2.SourceContent(text="Changed.")
            ),
        ),
        (stub.DeleteSource, sources_pb2.SourceRef(project_id=team.project_id, source_id=source.id)),
    ]
    for call, request in attempts:
        await refused(call, request, person, grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    assert (await stub.GetSource(ref(team, source.id), metadata=person)).version == 1  # but they read
    assert await count_rows(engine, Source, team.project_id) == 1


async def test_a_member_of_another_project_finds_nothing(stub, principals) -> None:
    a, b = new_team(principals), new_team(principals)
    source = await add_text(stub, a, "Project A's private notes.")
    outsider = b.as_role("owner")
    await refused(stub.GetSource, ref(a, source.id), outsider, grpc.StatusCode.NOT_FOUND, "project-not-found")
    await refused(
        stub.ListSources,
        sources_pb2.ListSourcesRequest(project_id=a.project_id),
        outsider,
        grpc.StatusCode.NOT_FOUND,
        "project-not-found",
    )
    await refused(
        stub.CreateSource, text_request(a, "Planted."), outsider, grpc.StatusCode.NOT_FOUND, "project-not-found"
    )
    # Naming A's source from inside B does not reach it either.
    await refused(stub.GetSource, ref(b, source.id), outsider, grpc.StatusCode.NOT_FOUND, "source-not-found")
    await refused(
        stub.DeleteSource,
        sources_pb2.SourceRef(project_id=b.project_id, source_id=source.id),
        outsider,
        grpc.StatusCode.NOT_FOUND,
        "source-not-found",
    )
    await refused(stub.GetSource, ref(b, "not-an-id"), outsider, grpc.StatusCode.NOT_FOUND, "source-not-found")


@pytest.mark.parametrize(
    ("content", "slug"),
    [
        (sources_pb2.SourceContent(text=""), "empty-source"),
        (sources_pb2.SourceContent(text=" \n\t \n"), "empty-source"),
        (sources_pb2.SourceContent(text="ok\x00\x01\x02\x03\x04\x05\x06"), "binary-content"),
        (sources_pb2.SourceContent(), "source-content-missing"),
        (sources_pb2.SourceContent(file=b"", filename="empty.txt"), "empty-source"),
        (sources_pb2.SourceContent(file=bytes(range(256)) * 8, filename="notes.txt"), "binary-content"),
        (
            sources_pb2.SourceContent(file=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, filename="shot.png"),
            "unsupported-content-type",
        ),
        (sources_pb2.SourceContent(file=b'{"issues": [1, 2', filename="export.json"), "malformed-json"),
        (
            sources_pb2.SourceContent(file=b'Issue key,Summary\nAIR-1,"Unclosed\n', filename="export.csv"),
            "malformed-csv",
        ),
        (sources_pb2.SourceContent(file=b"a,b\n1,2,3\n", filename="rows.csv"), "malformed-csv"),
        (sources_pb2.SourceContent(file=b"%PDF-1.7 not really", filename="spec.pdf"), "unreadable-document"),
    ],
)
async def test_content_that_is_no_source_is_refused_and_nothing_is_written(stub, team, engine, content, slug) -> None:
    request = sources_pb2.CreateSourceRequest(project_id=team.project_id, content=content)
    await refused(stub.CreateSource, request, team.pm, grpc.StatusCode.INVALID_ARGUMENT, slug)
    assert await count_rows(engine, Source, team.project_id) == 0
    assert await project_events(engine, team.project_id) == []


async def test_content_past_the_upload_limit_is_refused(stub, team, engine, settings) -> None:
    limit = settings.max_upload_bytes
    too_big = file_request(team, b"a" * (limit + 1), "huge.txt")
    problem = await refused(stub.CreateSource, too_big, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "source-too-large")
    assert problem["max_bytes"] == limit
    source = await add_text(stub, team, "Small enough.")
    replace = sources_pb2.ReplaceSourceContentRequest(
        project_id=team.project_id, source_id=source.id, content=sources_pb2.SourceContent(text="b" * (limit + 1))
    )
    await refused(stub.ReplaceSourceContent, replace, team.pm, grpc.StatusCode.INVALID_ARGUMENT, "source-too-large")
    assert (await stub.GetSource(ref(team, source.id), metadata=team.pm)).content == "Small enough."
    assert await project_events(engine, team.project_id) == ["planning.source.added.v1"]
