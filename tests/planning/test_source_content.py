"""Reading planning sources: real PDF, DOCX, JSON and CSV bytes in, normalised text or typed errors out."""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

from services.chassis.errors import InvalidArgument
from services.planning.source_content import (
    MAX_TITLE_CHARS,
    SourceContent,
    SourceRecord,
    SourceTooLarge,
    normalise_text,
    read_text_source,
    read_upload,
)

LIMIT = 1024 * 1024


def upload(data: bytes, filename: str, declared_type: str | None = None, **kwargs: object) -> SourceContent:
    return read_upload(data, filename=filename, declared_type=declared_type, max_bytes=LIMIT, **kwargs)


def refusal(slug: str, *args: object, **kwargs: object) -> InvalidArgument:
    """The error reading raises, after checking its slug."""
    reader = read_upload if isinstance(args[0], bytes) else read_text_source
    if reader is read_upload:
        kwargs = {"declared_type": None, "max_bytes": LIMIT, **kwargs}
    with pytest.raises(InvalidArgument) as caught:
        reader(*args, **kwargs)
    assert caught.value.slug == slug, caught.value.detail
    return caught.value


def minimal_pdf(*pages: str) -> bytes:
    """A valid PDF, one Helvetica text line per page, with a cross-reference table of true offsets."""
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % page for page in page_ids), len(pages)),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for page_id, text in zip(page_ids, pages, strict=True):
        stream = b"BT /F1 18 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1") if text else b""
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (page_id + 1)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offsets[number] for number in sorted(objects))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted_pdf(user_password: str, owner_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(minimal_pdf("Confidential roadmap"))))
    writer.encrypt(user_password, owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def word_document(tmp_path: Path) -> bytes:
    document = docx.Document()
    document.add_heading("Checkout redesign", level=1)
    document.add_paragraph("We want fewer abandoned carts.")
    document.add_heading("Goals", level=2)
    document.add_paragraph("One-page checkout", style="List Bullet")
    document.add_paragraph("Saved cards", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, (metric, target) in zip(
        table.rows, [("Metric", "Target"), ("Conversion", "+5%"), ("A|B", "done")], strict=True
    ):
        row.cells[0].text = metric
        row.cells[1].text = target
    document.add_paragraph("Owner: Ana")
    path = tmp_path / "spec.docx"
    document.save(path)
    return path.read_bytes()


JIRA_EXPORT = {
    "expand": "names,schema",
    "startAt": 0,
    "maxResults": 50,
    "total": 2,
    "issues": [
        {
            "id": "10001",
            "key": "SHOP-12",
            "fields": {
                "summary": "One-page checkout",
                "description": "Merge the address and payment steps.\r\nKeep guest checkout.",
                "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                "issuetype": {"name": "Story", "subtask": False},
                "priority": {"name": "High"},
                "labels": ["checkout", "q3"],
                "assignee": {"displayName": "Ana Silva"},
            },
        },
        {
            "id": "10002",
            "key": "SHOP-13",
            "fields": {
                "summary": "Card form rejects Amex",
                "description": {
                    "type": "doc",
                    "version": 1,
                    "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "Amex numbers have 15 digits."}]},
                        {"type": "paragraph", "content": [{"type": "text", "text": "Seen on mobile."}]},
                    ],
                },
                "status": {"name": "To Do"},
                "issuetype": {"name": "Bug"},
                "priority": {"name": "Highest"},
                "labels": [],
            },
        },
    ],
}

GITHUB_EXPORT = [
    {
        "number": 101,
        "title": "Dark mode",
        "body": "Users ask for a dark theme.",
        "state": "open",
        "labels": [{"id": 1, "name": "enhancement", "color": "a2eeef"}],
    },
    {"number": 102, "title": "Fix login redirect", "body": None, "state": "closed", "labels": [], "pull_request": {}},
]

JIRA_CSV = (
    "Summary,Issue key,Issue id,Issue Type,Status,Priority,Labels,Labels,Description\r\n"
    'One-page checkout,SHOP-12,10001,Story,In Progress,High,checkout,q3,"Merge the steps.\r\nKeep guests."\r\n'
    'Card form rejects Amex,SHOP-13,10002,Bug,To Do,Highest,,,"Amex numbers have 15 digits, not 16."\r\n'
)


# --- pasted text ------------------------------------------------------------------------------------


def test_pasted_text_is_normalised_and_described() -> None:
    source = read_text_source("  Café notes  \r\n\r\nShip it by Friday.\t \n\n\n", title=None)

    assert source.source_type == "text"
    assert source.format is None
    assert source.content_type == "text/plain"
    assert source.text == "  Café notes\n\nShip it by Friday."
    assert source.title == "Café notes"
    assert source.content_hash == hashlib.sha256(source.text.encode()).hexdigest()
    assert source.stats.characters == len(source.text)
    assert (source.stats.words, source.stats.lines) == (6, 3)
    assert source.stats.pages is None and source.records == ()


def test_pasted_markdown_takes_its_title_from_the_first_heading_unless_one_is_given() -> None:
    text = "Intro line\n\n## Goals\nFewer carts abandoned."

    assert read_text_source(text).title == "Goals"
    assert read_text_source(text).source_type == "markdown"
    assert read_text_source(text, title="  Q3   plan ").title == "Q3 plan"
    assert len(read_text_source("x" * 500).title) == MAX_TITLE_CHARS


@pytest.mark.parametrize("text", ["", "   \n\t\r\n  "])
def test_empty_text_is_refused(text: str) -> None:
    refusal("empty-source", text)


@pytest.mark.parametrize(
    "text",
    [
        "looks like text\x00but is not",
        "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13)) * 4 + "abc",
        "\ufffd\ufffd\ufffd\ufffdPNG\ufffd\ufffd",
        "lone surrogate \udc80",
    ],
)
def test_binary_pasted_as_text_is_refused(text: str) -> None:
    refusal("binary-content", text)


def test_text_over_the_character_limit_is_too_large() -> None:
    with pytest.raises(SourceTooLarge) as caught:
        read_text_source("a" * 101, max_chars=100)
    assert caught.value.slug == "source-too-large"
    assert caught.value.extra == {"characters": 101, "max_chars": 100}


def test_a_stray_control_character_is_dropped_not_refused() -> None:
    assert read_text_source("status: \x1b[32mgreen\x1b[0m and more words to read").text == (
        "status: [32mgreen[0m and more words to read"
    )


# --- hashing ---------------------------------------------------------------------------------------


def test_line_endings_encoding_and_extension_do_not_change_the_hash() -> None:
    text = "# Roadmap\n\nQ3: checkout\nQ4: café loyalty\n"
    variants = [
        upload(text.encode(), "roadmap.md"),
        upload(text.encode(), "roadmap.txt", "text/plain"),
        upload(text.replace("\n", "\r\n").encode(), "roadmap-windows.md"),
        upload(codecs.BOM_UTF8 + text.encode(), "bom.md"),
        upload(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf16.txt"),
        upload(text.encode("cp1252"), "legacy.txt"),
    ]
    pasted = read_text_source(text.replace("\n", "\r"))

    assert {source.content_hash for source in variants} == {pasted.content_hash}
    assert {source.text for source in variants} == {"# Roadmap\n\nQ3: checkout\nQ4: café loyalty"}


def test_nfc_is_what_is_hashed() -> None:
    composed, decomposed = "Caf\u00e9 plan", "Cafe\u0301 plan"

    assert read_text_source(composed).content_hash == read_text_source(decomposed).content_hash
    assert normalise_text(decomposed) == composed


# --- uploads: text and detection ---------------------------------------------------------------------


def test_markdown_upload_keeps_its_markdown() -> None:
    source = upload(b"# Launch plan\n\n- beta in May   \n- GA in June\n", "plan.md", "text/markdown")

    assert (source.source_type, source.content_type) == ("markdown", "text/markdown")
    assert source.text == "# Launch plan\n\n- beta in May\n- GA in June"
    assert source.title == "Launch plan"
    assert source.size_bytes == 45


def test_plain_text_upload_is_titled_by_its_file_name() -> None:
    source = upload(b"beta in May\nGA in June\n", "C:\\Users\\ana\\Launch notes.txt")

    assert source.source_type == "text"
    assert source.title == "Launch notes"


def test_utf16_text_with_a_bom_is_decoded() -> None:
    data = codecs.BOM_UTF16_BE + "Überblick: 日本語のメモ".encode("utf-16-be")

    assert upload(data, "notes.txt").text == "Überblick: 日本語のメモ"


def test_a_png_named_markdown_is_unsupported() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"

    error = refusal("unsupported-content-type", png, filename="notes.md", declared_type="text/markdown")
    assert "PNG image" in error.detail


def test_an_executable_and_a_zip_that_is_not_docx_are_unsupported() -> None:
    refusal("unsupported-content-type", b"\x7fELF\x02\x01\x01" + bytes(64), filename="tool.txt")
    refusal("unsupported-content-type", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56), filename="setup.txt")
    refusal("unsupported-content-type", zip_bytes({"readme.txt": b"hello"}), filename="notes.docx")
    error = refusal("unsupported-content-type", zip_bytes({"xl/workbook.xml": b"<x/>"}), filename="plan.xlsx")
    assert "CSV" in error.detail


def test_unknown_binary_is_refused_as_binary() -> None:
    noise = bytes((i * 37 + 11) % 256 for i in range(2048))

    refusal("binary-content", noise, filename="notes.txt")
    refusal("binary-content", b"text with a \x00 inside", filename="notes.md")
    refusal("binary-content", "no BOM".encode("utf-16-le"), filename="notes.txt")


def test_undecodable_bytes_claiming_to_be_a_document_are_unreadable() -> None:
    noise = bytes((i * 37 + 11) % 256 for i in range(2048))

    refusal("unreadable-document", noise, filename="spec.pdf")
    refusal("unreadable-document", noise, filename="blob", declared_type="application/pdf")


def test_text_content_wins_over_a_document_extension() -> None:
    source = upload(b"Just plain notes, saved with the wrong name.", "notes.pdf", "application/pdf")

    assert (source.source_type, source.content_type) == ("text", "text/plain")


def test_oversized_upload_is_refused_before_anything_is_read() -> None:
    with pytest.raises(SourceTooLarge) as caught:
        read_upload(b"\x89PNG" + bytes(100), filename="big.png", declared_type="image/png", max_bytes=64)

    assert caught.value.slug == "source-too-large"
    assert caught.value.extra == {"size_bytes": 104, "max_bytes": 64}


def test_empty_and_blank_uploads_are_refused() -> None:
    refusal("empty-source", b"", filename="empty.md")
    refusal("empty-source", b" \r\n\t\n", filename="blank.txt")


# --- PDF ---------------------------------------------------------------------------------------------


def test_pdf_text_is_extracted_page_by_page() -> None:
    data = minimal_pdf("Checkout redesign brief", "Goal: fewer abandoned carts")
    assert len(pypdf.PdfReader(io.BytesIO(data), strict=True).pages) == 2  # the fixture is a valid PDF

    source = upload(data, "brief.pdf", "application/octet-stream")

    assert (source.source_type, source.content_type) == ("pdf", "application/pdf")
    assert source.text == "Checkout redesign brief\n\nGoal: fewer abandoned carts"
    assert source.stats.pages == 2
    assert source.title == "brief"


def test_pdf_named_as_text_is_read_as_pdf() -> None:
    assert upload(minimal_pdf("Hello roadmap"), "notes.txt", "text/plain").source_type == "pdf"


def test_pdf_locked_by_a_password_is_unreadable() -> None:
    error = refusal("unreadable-document", encrypted_pdf("secret", "owner"), filename="locked.pdf")

    assert "password" in error.detail


def test_pdf_encrypted_without_a_user_password_is_read() -> None:
    assert upload(encrypted_pdf("", "owner"), "restricted.pdf").text == "Confidential roadmap"


def test_corrupt_pdf_is_unreadable() -> None:
    refusal("unreadable-document", b"%PDF-1.7\n" + bytes(range(256)) * 4, filename="broken.pdf")
    refusal("unreadable-document", minimal_pdf("Truncated brief")[:120], filename="truncated.pdf")


def test_pdf_without_text_may_be_a_scan() -> None:
    error = refusal("empty-source", minimal_pdf(""), filename="scan.pdf")

    assert "scan" in error.detail


# --- DOCX --------------------------------------------------------------------------------------------


def test_docx_becomes_markdown(tmp_path: Path) -> None:
    source = upload(word_document(tmp_path), "spec.docx", "application/octet-stream")

    assert source.source_type == "docx"
    assert source.content_type.endswith("wordprocessingml.document")
    assert source.title == "Checkout redesign"
    assert source.text == (
        "# Checkout redesign\n\n"
        "We want fewer abandoned carts.\n\n"
        "## Goals\n\n"
        "- One-page checkout\n\n"
        "- Saved cards\n\n"
        "| Metric | Target |\n"
        "| --- | --- |\n"
        "| Conversion | +5% |\n"
        "| A\\|B | done |\n\n"
        "Owner: Ana"
    )


def test_docx_named_as_pdf_is_read_as_docx(tmp_path: Path) -> None:
    assert upload(word_document(tmp_path), "spec.pdf", "application/pdf").source_type == "docx"


def test_corrupt_docx_is_unreadable(tmp_path: Path) -> None:
    intact = word_document(tmp_path)

    refusal("unreadable-document", intact[: len(intact) // 2], filename="half.docx")
    refusal("unreadable-document", zip_bytes({"word/document.xml": b"<not xml"}), filename="fake.docx")


def test_empty_docx_is_an_empty_source(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    docx.Document().save(path)

    refusal("empty-source", path.read_bytes(), filename="empty.docx")


# --- JSON --------------------------------------------------------------------------------------------


def test_jira_json_export_is_read_issue_by_issue() -> None:
    source = upload(json.dumps(JIRA_EXPORT, indent=2).encode(), "jira.json", "application/json")

    assert (source.source_type, source.format, source.content_type) == ("json", "jira_export", "application/json")
    assert source.records == (
        SourceRecord("SHOP-12", "One-page checkout", "In Progress", "Story", "High", ("checkout", "q3")),
        SourceRecord("SHOP-13", "Card form rejects Amex", "To Do", "Bug", "Highest"),
    )
    assert source.stats.records == 2
    assert source.title == "jira"
    assert source.text == (
        "## SHOP-12: One-page checkout\n"
        "Type: Story\nStatus: In Progress\nPriority: High\nLabels: checkout, q3\n\n"
        "Merge the address and payment steps.\nKeep guest checkout.\n\n"
        "## SHOP-13: Card form rejects Amex\n"
        "Type: Bug\nStatus: To Do\nPriority: Highest\n\n"
        "Amex numbers have 15 digits.\nSeen on mobile."
    )


def test_pasted_jira_json_is_recognised_and_titled_as_an_export() -> None:
    source = read_text_source(json.dumps(JIRA_EXPORT))

    assert source.format == "jira_export"
    assert source.title == "Jira export (2 issues)"


def test_github_issues_export_is_read_issue_by_issue() -> None:
    source = upload(json.dumps(GITHUB_EXPORT).encode(), "issues.txt")

    assert (source.source_type, source.format) == ("json", "github_issues_export")
    assert source.records == (
        SourceRecord("#101", "Dark mode", "open", "issue", labels=("enhancement",)),
        SourceRecord("#102", "Fix login redirect", "closed", "pull_request"),
    )
    assert "## #101: Dark mode\nType: issue\nStatus: open\nLabels: enhancement\n\nUsers ask" in source.text


def test_linear_graphql_export_is_read_issue_by_issue() -> None:
    export = {
        "data": {
            "issues": {
                "nodes": [
                    {
                        "identifier": "ENG-7",
                        "title": "Sync calendars",
                        "description": "Two-way sync with **Google**.",
                        "state": {"name": "Backlog"},
                        "priority": 2,
                        "labels": {"nodes": [{"name": "integrations"}]},
                    }
                ]
            }
        }
    }

    source = upload(json.dumps(export).encode(), "linear.json")

    assert source.format == "linear_export"
    assert source.records == (SourceRecord("ENG-7", "Sync calendars", "Backlog", None, "High", ("integrations",)),)


def test_generic_json_is_rendered_as_indented_key_paths() -> None:
    document = {"product": "Aira", "goals": ["retention", {"metric": "NPS", "target": 40}], "beta": True, "x": None}

    source = upload(json.dumps(document).encode(), "config.json")

    assert (source.source_type, source.format) == ("json", None)
    assert source.text == (
        "product: Aira\ngoals:\n  [0]: retention\n  [1]:\n    metric: NPS\n    target: 40\nbeta: true\nx: null"
    )


def test_malformed_json_says_where() -> None:
    error = refusal("malformed-json", b'{\n  "issues": [\n    {"key": "A-1",}\n  ]\n}', filename="export.json")

    assert error.extra == {"line": 3, "column": 19}
    assert "line 3, column 19" in error.detail


def test_broken_json_not_claimed_as_json_is_just_text() -> None:
    assert upload(b"[draft] ideas for Q3 {maybe}", "ideas.txt").source_type == "text"


# --- CSV ---------------------------------------------------------------------------------------------


def test_jira_csv_export_is_read_issue_by_issue() -> None:
    source = upload(JIRA_CSV.encode(), "jira.csv", "text/csv")

    assert (source.source_type, source.format, source.content_type) == ("csv", "jira_export", "text/csv")
    assert source.records == (
        SourceRecord("SHOP-12", "One-page checkout", "In Progress", "Story", "High", ("checkout", "q3")),
        SourceRecord("SHOP-13", "Card form rejects Amex", "To Do", "Bug", "Highest"),
    )
    assert source.text.startswith(
        "## SHOP-12: One-page checkout\nType: Story\nStatus: In Progress\nPriority: High\nLabels: checkout, q3\n\n"
        "Merge the steps.\nKeep guests.\n\n## SHOP-13"
    )


def test_jira_csv_saved_as_text_is_still_recognised() -> None:
    assert upload(JIRA_CSV.encode(), "export.txt").format == "jira_export"


def test_generic_csv_is_rendered_as_records() -> None:
    data = b"feature;owner;status\nSSO;Ana;done\n\nAudit log;;planned\n"

    source = upload(data, "features.csv")

    assert (source.source_type, source.format) == ("csv", None)
    assert source.stats.records == 2
    assert source.text == (
        "Record 1\nfeature: SSO\nowner: Ana\nstatus: done\n\nRecord 2\nfeature: Audit log\nstatus: planned"
    )


def test_ragged_csv_says_which_row() -> None:
    data = b"feature,owner,status\nSSO,Ana,done\nAudit log,Ben\n"

    error = refusal("malformed-csv", data, filename="features.csv")

    assert error.extra == {"row": 3}
    assert "row 3" in error.detail


def test_csv_with_broken_quoting_says_which_row() -> None:
    data = b'feature,owner\nSSO,Ana\n"Audit" log,Ben\n'

    assert refusal("malformed-csv", data, filename="features.csv").extra == {"row": 3}


def test_csv_without_a_header_is_malformed() -> None:
    assert refusal("malformed-csv", b"1,2,3\n4,5,6\n", filename="numbers.csv").extra == {"row": 1}


def test_csv_with_only_a_header_is_empty() -> None:
    refusal("empty-source", b"feature,owner\n", filename="features.csv")
