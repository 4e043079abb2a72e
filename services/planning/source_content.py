"""Reading planning sources: pasted text or an uploaded file, turned into one normalised text document.

A source is raw material a team gives Aira (notes, specs, issue exports). This module decides what an
upload really is from its bytes (magic numbers, a parse), never from its name or declared type alone,
extracts its text (PDF via pypdf, DOCX via python-docx, JSON and CSV rendered as readable text, issue
exports from Jira, GitHub and Linear recognised record by record) and normalises it so the knowledge
ledger can ingest and deduplicate it. Anything it cannot read becomes a typed ``InvalidArgument`` with
a stable slug, or ``SourceTooLarge`` (slug ``source-too-large``, which the gateway should answer with 413).

Pure: bytes or a string in, a ``SourceContent`` or an error out. No database, network, clock or files.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePosixPath
from typing import Any, Literal

import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph

from services.chassis.errors import InvalidArgument

SourceType = Literal["text", "markdown", "pdf", "docx", "json", "csv"]
SourceFormat = Literal["jira_export", "github_issues_export", "linear_export"]

MAX_SOURCE_CHARS = 10_000_000  # about the default upload limit (10 MiB) of plain text
MAX_TITLE_CHARS = 200
# A DOCX is a ZIP: a small upload may expand to gigabytes, so its declared unpacked size is capped.
MAX_DOCX_EXPANDED_BYTES = 256 * 1024 * 1024
# Generic JSON has no shape to follow; past this many rendered lines the rest is left out.
MAX_JSON_LINES = 5_000
_MAX_JSON_DEPTH = 20

CONTENT_TYPES: dict[SourceType, str] = {
    "text": "text/plain",
    "markdown": "text/markdown",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "csv": "text/csv",
}
_FORMAT_LABELS: dict[SourceFormat, str] = {
    "jira_export": "Jira export",
    "github_issues_export": "GitHub issues export",
    "linear_export": "Linear export",
}
# What a file's name or declared media type claims it is. Claims only break ties the content leaves
# open (is a broken "{" a malformed JSON file or prose?); they never overrule what the bytes show.
_KIND_BY_EXTENSION = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
}
_KIND_BY_MEDIA_TYPE = {
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
    "application/pdf": "pdf",
    CONTENT_TYPES["docx"]: "docx",
    "application/json": "json",
    "text/json": "json",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/vnd.ms-excel": "csv",  # what Windows browsers declare for a .csv
}
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x7fELF", "an executable"),
    (b"\xcf\xfa\xed\xfe", "an executable"),
    (b"\xce\xfa\xed\xfe", "an executable"),
    (b"\xfe\xed\xfa\xcf", "an executable"),
    (b"\xfe\xed\xfa\xce", "an executable"),
    (b"\xca\xfe\xba\xbe", "an executable"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (.doc, .xls, .ppt); save it as .docx or .csv"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_OTHER_OFFICE_PARTS = {"xl/workbook.xml": "an Excel workbook; export it as CSV", "ppt/presentation.xml": "a slide deck"}

# Control characters a text file has no business holding (tab, newlines, form feed excepted), and the
# replacement character left behind by a lossy decode: past 10% of the text, it is binary.
_SUSPECT = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_SUSPECT_SHARE = 0.10
# Dropped by normalisation: stray C0/C1 controls that survive the binary check (tab and newline stay).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_JSON_START = re.compile(r"\s*[\[{]")
_NUMBER = re.compile(r"[-+]?\d[\d.,]*")
_CSV_DELIMITERS = ",;\t|"
_CSV_SNIFF_CHARS = 64 * 1024
_LINEAR_PRIORITIES = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


class SourceTooLarge(InvalidArgument):
    """A source over its size limit; the gateway should answer 413 for the slug ``source-too-large``."""

    slug = "source-too-large"
    title = "The source is too large"


@dataclass(frozen=True)
class SourceRecord:
    """One issue of an export (Jira, GitHub, Linear), as later domains need it."""

    key: str
    title: str
    status: str | None = None
    issue_type: str | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceStats:
    """Counts over the normalised text, plus pages (PDF) and records (CSV and issue exports)."""

    characters: int
    words: int
    lines: int
    pages: int | None = None
    records: int | None = None


@dataclass(frozen=True)
class SourceContent:
    """A source read and normalised: what the knowledge ledger ingests."""

    source_type: SourceType
    format: SourceFormat | None  # the issue export recognised, None for anything else
    content_type: str  # the MIME type of what was read (decided by content, not by the declared type)
    title: str
    text: str  # normalise_text() of what was extracted
    content_hash: str  # sha256 hex of ``text`` as UTF-8: the same normalised text is the same source
    size_bytes: int  # of the upload, or of the pasted text as UTF-8
    stats: SourceStats
    records: tuple[SourceRecord, ...] = ()  # issue exports only


@dataclass(frozen=True)
class _Reading:
    """What one reader extracted, before normalisation."""

    source_type: SourceType
    text: str
    format: SourceFormat | None = None
    records: tuple[SourceRecord, ...] = ()
    record_count: int | None = None
    pages: int | None = None
    default_title: str | None = None


_Issue = tuple[SourceRecord, str]


def read_text_source(text: str, *, title: str | None = None, max_chars: int = MAX_SOURCE_CHARS) -> SourceContent:
    """Reads pasted text; pasted JSON or a pasted Jira CSV is recognised as an upload's would be."""
    name = "the text"
    _ensure_within_chars(len(text), max_chars, name)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: the text was decoded from something binary
        raise _binary(name) from exc
    if not _looks_like_text(text):
        raise _binary(name)
    reading = _read_decoded(text, name, frozenset())
    return _finish(reading, name, title=title, filename=None, size_bytes=len(encoded), max_chars=max_chars)


def read_upload(
    data: bytes,
    *,
    filename: str,
    declared_type: str | None,
    max_bytes: int,
    title: str | None = None,
    max_chars: int = MAX_SOURCE_CHARS,
) -> SourceContent:
    """Reads an uploaded file, deciding its type from its content; the size limit is checked first."""
    name = _display_name(filename)
    if len(data) > max_bytes:
        raise SourceTooLarge(
            f"{name} is {len(data)} bytes; the limit is {max_bytes}", size_bytes=len(data), max_bytes=max_bytes
        )
    if not data:
        raise InvalidArgument(f"{name} is empty", slug="empty-source")
    reading = _read_bytes(data, name, _claimed_kinds(filename, declared_type))
    return _finish(reading, name, title=title, filename=filename, size_bytes=len(data), max_chars=max_chars)


def normalise_text(text: str) -> str:
    """The canonical text of a source, which is exactly what ``content_hash`` hashes (as UTF-8).

    Unicode NFC; a leading byte order mark dropped; every line break ``str.splitlines`` knows (CRLF, CR,
    LF, U+2028 …) made LF; control characters other than tab dropped; trailing whitespace stripped from
    every line; blank lines at the start and end removed, and no final newline. Indentation, tabs and
    inner blank lines stay, so Markdown keeps its meaning.
    """
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    lines = (_CONTROL.sub("", line).rstrip() for line in text.splitlines())
    return "\n".join(lines).strip("\n")


def _finish(
    reading: _Reading, name: str, *, title: str | None, filename: str | None, size_bytes: int, max_chars: int
) -> SourceContent:
    """Normalises what a reader extracted and describes it."""
    text = normalise_text(reading.text)
    if not text:
        raise InvalidArgument(f"{name} contains no text", slug="empty-source")
    _ensure_within_chars(len(text), max_chars, name)
    return SourceContent(
        source_type=reading.source_type,
        format=reading.format,
        content_type=CONTENT_TYPES[reading.source_type],
        title=_title(title, text, filename, reading),
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        size_bytes=size_bytes,
        stats=SourceStats(
            characters=len(text),
            words=len(text.split()),
            lines=text.count("\n") + 1,
            pages=reading.pages,
            records=reading.record_count,
        ),
        records=reading.records,
    )


def _read_bytes(data: bytes, name: str, claims: frozenset[str]) -> _Reading:
    """Picks the reader by what the bytes are."""
    if data.startswith(b"%PDF-"):
        return _read_pdf(data, name)
    if data.startswith(_ZIP_SIGNATURES):
        return _read_zip(data, name)
    kind = _binary_kind(data)
    if kind:
        raise InvalidArgument(f"{name} is {kind}, which is not supported", slug="unsupported-content-type")
    text = _decode(data)
    if text is None:
        if claims & {"pdf", "docx"}:
            raise InvalidArgument(f"{name} is named as a document but cannot be read", slug="unreadable-document")
        raise _binary(name)
    return _read_decoded(text, name, claims)


def _read_decoded(text: str, name: str, claims: frozenset[str]) -> _Reading:
    """Reads decoded text: JSON when it parses, CSV when claimed or a Jira CSV, else Markdown or plain text."""
    if "json" in claims or _JSON_START.match(text):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:  # ValueError covers JSONDecodeError and huge integers
            if "json" in claims:
                raise _malformed_json(name, exc) from exc
        else:
            return _read_json(document)
    if "csv" in claims or _has_jira_csv_header(text):
        return _read_csv(text, name)
    source_type: SourceType = "markdown" if "markdown" in claims or _HEADING.search(text) else "text"
    return _Reading(source_type, text)


def _decode(data: bytes) -> str | None:
    """UTF-8 (BOM optional), UTF-16 with a BOM, else cp1252 if it decodes cleanly; None if not text."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text if _looks_like_text(text) else None
    return None


def _looks_like_text(text: str) -> bool:
    """No NUL and few control or replacement characters."""
    return "\x00" not in text and len(_SUSPECT.findall(text)) <= len(text) * _SUSPECT_SHARE


def _binary_kind(data: bytes) -> str | None:
    """What a known unsupported binary format is, by its signature."""
    for signature, kind in _UNSUPPORTED_SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        return "a Windows executable"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "a video or HEIC image"
    return None


# --- PDF and DOCX ---------------------------------------------------------------------------------


def _read_pdf(data: bytes, name: str) -> _Reading:
    """The text of every page; a PDF locked by a password or holding no text is refused."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # Many PDFs are encrypted only to restrict printing or editing, with an empty user password.
        locked = reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf reports a damaged file through many unrelated exception types
        raise InvalidArgument(f"{name} is not a readable PDF", slug="unreadable-document") from exc
    if locked:
        raise InvalidArgument(
            f"{name} is protected by a password; remove it and upload the file again", slug="unreadable-document"
        )
    text = "\n\n".join(page.strip() for page in pages)
    if not text.strip():
        raise InvalidArgument(
            f"{name} has no extractable text; it may be a scanned document, which needs OCR first",
            slug="empty-source",
        )
    return _Reading("pdf", text, pages=len(pages))


def _read_zip(data: bytes, name: str) -> _Reading:
    """A ZIP is accepted only as a Word document (it must hold ``word/document.xml``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = set(archive.namelist())
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise InvalidArgument(f"{name} is a damaged archive or document", slug="unreadable-document") from exc
    if "word/document.xml" not in parts:
        kind = next((kind for part, kind in _OTHER_OFFICE_PARTS.items() if part in parts), "a ZIP archive")
        raise InvalidArgument(f"{name} is {kind}, which is not supported", slug="unsupported-content-type")
    if expanded > MAX_DOCX_EXPANDED_BYTES:
        raise SourceTooLarge(
            f"{name} unpacks to {expanded} bytes; the limit is {MAX_DOCX_EXPANDED_BYTES}",
            size_bytes=expanded,
            max_bytes=MAX_DOCX_EXPANDED_BYTES,
        )
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block(item) for item in document.iter_inner_content()]
    except Exception as exc:  # python-docx reports a broken package through many unrelated exception types
        raise InvalidArgument(f"{name} is not a readable Word document", slug="unreadable-document") from exc
    return _Reading("docx", "\n\n".join(block for block in blocks if block))


def _docx_block(item: Paragraph | Table) -> str:
    """A paragraph as Markdown (headings ``#``, list items ``-``) or a table as a Markdown table."""
    if isinstance(item, Table):
        return _markdown_table([[" ".join(cell.text.split()) for cell in row.cells] for row in item.rows])
    text = item.text.strip()
    if not text:
        return ""
    style = (item.style.name or "") if item.style is not None else ""
    if style == "Title":
        return f"# {text}"
    if style.startswith("Heading ") and style[8:].isdigit():
        return f"{'#' * min(int(style[8:]), 6)} {text}"
    if style.startswith("List"):
        return f"- {text}"
    return text


def _markdown_table(rows: list[list[str]]) -> str:
    """Rows as a Markdown table, the first row its header."""
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    padded = [[cell.replace("|", "\\|") for cell in row] + [""] * (width - len(row)) for row in rows]
    lines = [padded[0], ["---"] * width, *padded[1:]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


# --- JSON -----------------------------------------------------------------------------------------


def _malformed_json(name: str, exc: ValueError | RecursionError) -> InvalidArgument:
    """The error for JSON that does not parse, saying where when the parser knows."""
    if isinstance(exc, json.JSONDecodeError):
        return InvalidArgument(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            slug="malformed-json",
            line=exc.lineno,
            column=exc.colno,
        )
    reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return InvalidArgument(f"{name} is not valid JSON: {reason}", slug="malformed-json")


def _read_json(document: Any) -> _Reading:
    """A recognised issue export record by record, any other JSON as indented key paths."""
    exports = (
        ("jira_export", _jira_issues),
        ("github_issues_export", _github_issues),
        ("linear_export", _linear_issues),
    )
    for export_format, issues_of in exports:
        issues = issues_of(document)
        if issues is not None:
            return _export_reading("json", export_format, issues)
    return _Reading("json", _render_json(document))


def _jira_issues(document: Any) -> list[_Issue] | None:
    """Issues of a Jira export: ``{"issues": [{"key", "fields": {...}}]}`` (or the bare list)."""
    issues = document.get("issues") if isinstance(document, dict) else document
    if not _objects_with(issues, "key", "fields"):
        return None
    found = []
    for issue in issues:
        fields = issue["fields"] if isinstance(issue["fields"], dict) else {}
        record = SourceRecord(
            key=_text(issue["key"]),
            title=_text(fields.get("summary")),
            status=_name(fields.get("status")),
            issue_type=_name(fields.get("issuetype")),
            priority=_name(fields.get("priority")),
            labels=_labels(fields.get("labels")),
        )
        found.append((record, _adf_text(fields.get("description"))))
    return found


def _github_issues(document: Any) -> list[_Issue] | None:
    """Issues of a GitHub export: a list of ``{"number", "title", "state", "body", "labels"}``."""
    if not _objects_with(document, "number", "title", "state"):
        return None
    return [
        (
            SourceRecord(
                key=f"#{issue['number']}",
                title=_text(issue["title"]),
                status=_name(issue["state"]),
                issue_type="pull_request" if "pull_request" in issue else "issue",
                labels=_labels(issue.get("labels")),
            ),
            _text(issue.get("body")),
        )
        for issue in document
    ]


def _linear_issues(document: Any) -> list[_Issue] | None:
    """Issues of a Linear export: ``{"identifier", "title", ...}`` bare, under ``issues`` or GraphQL's nodes."""
    issues = document
    if isinstance(issues, dict):
        if isinstance(issues.get("data"), dict):
            issues = issues["data"]
        issues = issues.get("issues")
        if isinstance(issues, dict):
            issues = issues.get("nodes")
    if not _objects_with(issues, "identifier", "title"):
        return None
    return [
        (
            SourceRecord(
                key=_text(issue["identifier"]),
                title=_text(issue["title"]),
                status=_name(issue.get("state") or issue.get("status")),
                priority=_name(issue.get("priorityLabel")) or _LINEAR_PRIORITIES.get(issue.get("priority")),
                labels=_labels(issue.get("labels")),
            ),
            _text(issue.get("description")),
        )
        for issue in issues
    ]


def _objects_with(items: Any, *keys: str) -> bool:
    """Whether ``items`` is a non-empty list of objects that all hold ``keys``."""
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(item, dict) and all(key in item for key in keys) for item in items)
    )


def _text(value: Any) -> str:
    """A JSON value as text (null as empty)."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _name(value: Any) -> str | None:
    """A named thing (``{"name": ...}``, ``{"displayName": ...}`` or a bare string), or None."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("displayName")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _labels(value: Any) -> tuple[str, ...]:
    """Label names from a list of strings or objects, or Linear's ``{"nodes": [...]}``."""
    if isinstance(value, dict):
        value = value.get("nodes")
    if not isinstance(value, list):
        return ()
    return tuple(name for name in (_name(label) for label in value) if name)


def _adf_text(node: Any, depth: int = 0) -> str:
    """Plain text of a Jira description: a string, or Atlassian Document Format (Jira Cloud API v3)."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict) or depth > 50:
        return ""
    kind = node.get("type")
    if kind == "text":
        return _text(node.get("text"))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "inlineCard"):
        attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
        return _text(attrs.get("text") or attrs.get("url"))
    children = node.get("content") if isinstance(node.get("content"), list) else []
    inner = "".join(_adf_text(child, depth + 1) for child in children)
    if kind == "listItem":
        return f"- {inner}"
    return f"{inner}\n" if kind in ("paragraph", "heading", "codeBlock", "blockquote") else inner


def _export_reading(source_type: SourceType, export_format: SourceFormat, issues: list[_Issue]) -> _Reading:
    """An issue export rendered as one Markdown block per issue."""
    return _Reading(
        source_type,
        "\n\n".join(_issue_block(record, body) for record, body in issues),
        format=export_format,
        records=tuple(record for record, _ in issues),
        record_count=len(issues),
        default_title=f"{_FORMAT_LABELS[export_format]} ({len(issues)} issues)",
    )


def _issue_block(record: SourceRecord, body: str) -> str:
    """One issue: a heading with its key and title, its facts one a line, then its description."""
    facts = (
        ("Type", record.issue_type),
        ("Status", record.status),
        ("Priority", record.priority),
        ("Labels", ", ".join(record.labels)),
    )
    lines = [f"## {record.key}: {record.title}" if record.title else f"## {record.key}"]
    lines += [f"{label}: {value}" for label, value in facts if value]
    if body.strip():
        lines += ["", body.strip()]
    return "\n".join(lines)


def _render_json(document: Any) -> str:
    """Any JSON as indented key paths, cut after ``MAX_JSON_LINES`` lines."""
    if not isinstance(document, dict | list):
        return _json_scalar(document)
    lines = list(islice(_json_lines(document, 0), MAX_JSON_LINES + 1))
    if len(lines) > MAX_JSON_LINES:
        lines[-1] = f"… the rest is left out (over {MAX_JSON_LINES} lines)"
    return "\n".join(lines)


def _json_lines(container: dict[str, Any] | list[Any], depth: int) -> Iterator[str]:
    """One line per key (``name: value``) or list index (``[0]: value``), nested values indented."""
    pad = "  " * depth
    entries = container.items() if isinstance(container, dict) else ((f"[{i}]", v) for i, v in enumerate(container))
    for label, value in entries:
        if not isinstance(value, dict | list) or not value:
            scalar = _json_scalar(value).replace("\n", "\n" + pad + "  ")
            yield f"{pad}{label}: {scalar}"
        elif depth >= _MAX_JSON_DEPTH:
            yield f"{pad}{label}: …"
        else:
            yield f"{pad}{label}:"
            yield from _json_lines(value, depth + 1)


def _json_scalar(value: Any) -> str:
    """A JSON scalar as people write it: strings bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# --- CSV ------------------------------------------------------------------------------------------


def _has_jira_csv_header(text: str) -> bool:
    """Whether the first line is a Jira CSV header (``Issue key`` and ``Summary`` among its columns)."""
    first_line = text[:4096].split("\n", 1)[0]
    columns = {cell.strip().strip('"').strip().lower() for cell in re.split(r"[,;\t|]", first_line)}
    return {"issue key", "summary"} <= columns


def _read_csv(text: str, name: str) -> _Reading:
    """A Jira CSV as issues, any other CSV as one block of ``column: value`` lines per row."""
    header, rows = _parse_csv(text, name)
    if not rows:
        raise InvalidArgument(f"{name} has a header but no rows", slug="empty-source")
    columns = [cell.strip() or f"Column {i}" for i, cell in enumerate(header, start=1)]
    lowered = [column.lower() for column in columns]
    if {"issue key", "summary"} <= set(lowered):
        return _export_reading("csv", "jira_export", [_jira_csv_issue(lowered, row) for row in rows])
    blocks = []
    for number, row in enumerate(rows, start=1):
        fields = _grouped(columns, row)
        blocks.append("\n".join([f"Record {number}", *(f"{c}: {', '.join(v)}" for c, v in fields.items())]))
    return _Reading("csv", "\n\n".join(blocks), record_count=len(rows))


def _jira_csv_issue(columns: list[str], row: list[str]) -> _Issue:
    """One row of a Jira CSV export; Jira repeats a column (``Labels``) once per value."""
    fields = _grouped(columns, row)

    def first(column: str) -> str | None:
        return fields[column][0] if column in fields else None

    record = SourceRecord(
        key=first("issue key") or "",
        title=first("summary") or "",
        status=first("status"),
        issue_type=first("issue type"),
        priority=first("priority"),
        labels=tuple(fields.get("labels", ())),
    )
    return record, first("description") or ""


def _grouped(columns: list[str], row: list[str]) -> dict[str, list[str]]:
    """The row's non-blank values by column, a repeated column's values together."""
    grouped: dict[str, list[str]] = {}
    for column, cell in zip(columns, row, strict=True):
        if cell.strip():
            grouped.setdefault(column, []).append(cell.strip())
    return grouped


def _parse_csv(text: str, name: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows, every row as wide as the header; blank rows are skipped.

    Rows are numbered as a spreadsheet shows them: the header is row 1 and blank rows count.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                if all(_NUMBER.fullmatch(cell.strip()) for cell in row if cell.strip()):
                    raise _malformed_csv(name, number, "the first row holds numbers, not column names")
                header = row
            elif len(row) != len(header):
                raise _malformed_csv(name, number, f"it has {len(row)} fields but the header has {len(header)}")
            else:
                rows.append(row)
    except csv.Error as exc:
        raise _malformed_csv(name, number + 1, str(exc)) from exc
    if header is None:
        raise InvalidArgument(f"{name} contains no text", slug="empty-source")
    return header, rows


def _csv_delimiter(text: str) -> str:
    """The sniffed delimiter, if the header line holds it; else the candidate the header line holds most.

    Only the delimiter is sniffed: the sniffer's guesses at quoting are unreliable on small samples,
    and every tool that exports issues quotes the standard way.
    """
    header_line = text[:_CSV_SNIFF_CHARS].split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(text[:_CSV_SNIFF_CHARS], delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    if delimiter not in header_line:
        delimiter = max(_CSV_DELIMITERS, key=header_line.count)
    return delimiter


def _malformed_csv(name: str, row: int, reason: str) -> InvalidArgument:
    """The error for CSV that does not parse, saying which row."""
    return InvalidArgument(f"{name} is not valid CSV: row {row}: {reason}", slug="malformed-csv", row=row)


# --- names, titles and limits ---------------------------------------------------------------------


def _claimed_kinds(filename: str, declared_type: str | None) -> frozenset[str]:
    """What the file's extension and declared media type say it is."""
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    media_type = (declared_type or "").split(";", 1)[0].strip().lower()
    claims = (_KIND_BY_EXTENSION.get(extension), _KIND_BY_MEDIA_TYPE.get(media_type))
    return frozenset(kind for kind in claims if kind)


def _display_name(filename: str) -> str:
    """The file's own name (browsers may send a full path), safe to put in a message."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = " ".join(base.split())
    return _clip(base, MAX_TITLE_CHARS) if base else "the upload"


def _title(given: str | None, text: str, filename: str | None, reading: _Reading) -> str:
    """The given title; else the first Markdown heading, the file name, the export's name or the first line."""
    heading = _HEADING.search(text) if reading.source_type in ("text", "markdown", "docx", "pdf") else None
    stem = PurePosixPath(filename.replace("\\", "/")).stem if filename else None
    for candidate in (given, heading and heading.group(1), stem, reading.default_title):
        cleaned = " ".join((candidate or "").split())
        if cleaned:
            return _clip(cleaned, MAX_TITLE_CHARS)
    # Normalised text that is not empty starts with a line that is not blank.
    return _clip(" ".join(text.split("\n", 1)[0].split()), MAX_TITLE_CHARS)


def _clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _ensure_within_chars(length: int, max_chars: int, name: str) -> None:
    """Refuses text over the character limit."""
    if length > max_chars:
        raise SourceTooLarge(
            f"{name} holds {length} characters of text; the limit is {max_chars}",
            characters=length,
            max_chars=max_chars,
        )


def _binary(name: str) -> InvalidArgument:
    """The error for content that is not text."""
    return InvalidArgument(f"{name} is binary data, not text", slug="binary-content")
