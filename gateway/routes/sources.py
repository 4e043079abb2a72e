"""A project's sources (planning): paste text or upload a file, list, read, replace, delete.

Uploads are larger than any other request, so these routes alone get a body limit of their own
(``AIRA_MAX_UPLOAD_BYTES`` plus room for the multipart envelope, see :func:`body_limits`); every
other route keeps ``AIRA_MAX_BODY_BYTES``. The gateway does not read files: it checks the size and
hands the bytes to planning, whose gRPC messages are sized to carry one upload.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import grpc
import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from aira.common.v1 import types_pb2
from aira.planning.v1 import sources_pb2
from gateway.deps import CallerDep, IdempotencyDep, State, project_id_of, project_metadata
from gateway.middleware import LargerBodies
from gateway.problems import ApiProblem
from gateway.schemas import StrictBody, from_proto
from gateway.settings import GatewaySettings

router = APIRouter(prefix="/v1/projects", tags=["sources"])

SourceType = Literal["text", "markdown", "pdf", "docx", "json", "csv", "repository_analysis"]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50)")]
Cursor = Annotated[str, Query(max_length=512, description="From the previous page's next_cursor")]
# Room for the multipart boundaries, part headers and the title around an upload of the full size.
MULTIPART_ALLOWANCE = 64 * 1024
# Reading a large PDF or DOCX takes a while; uploads get this long rather than the usual deadline.
READ_SECONDS = 30.0
CONTENT_PATHS = re.compile(r"^/v1/projects/[^/]+/sources(?:/upload|/[^/]+/content)?/?$")


def body_limits(settings: GatewaySettings) -> LargerBodies:
    """The body limit of the routes that take a source's content (text or file)."""
    return LargerBodies(
        methods=frozenset({"POST", "PUT"}),
        path=CONTENT_PATHS,
        max_bytes=settings.max_upload_bytes + MULTIPART_ALLOWANCE,
        slug="source-too-large",
        detail=f"sources are limited to {settings.max_upload_bytes} bytes",
    )


class SourceTextIn(StrictBody):
    title: str = Field(default="", max_length=300, description="Defaults to the text's first line")
    text: str = Field(description="Plain text or Markdown")


class ContentTextIn(StrictBody):
    text: str


class SourceOut(BaseModel):
    id: str
    project_id: str
    type: SourceType
    format: str = Field(description="A recognised export (e.g. jira_export); empty for plain documents")
    title: str
    content_type: str
    content_hash: str = Field(description="sha256 of the normalised text; the same content is the same source")
    filename: str | None = None
    size_bytes: int
    version: int
    stats: dict[str, Any] = Field(
        default_factory=dict,
        description="What reading found: characters, words, lines; pages (PDF); records (CSV, exports)",
    )
    analyzed: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    last_analyzed_at: datetime | None = None
    content: str | None = Field(default=None, description="The normalised text, when asked for")


class SourceWriteOut(SourceOut):
    already_existed: bool = Field(
        default=False, description="The project already held this content: this is that source, unchanged (200)"
    )
    changed: bool = Field(default=True, description="False when replacing content with the same content")


class SourcePage(BaseModel):
    items: list[SourceOut]
    next_cursor: str | None


def source_out(message: sources_pb2.Source) -> dict[str, Any]:
    body = from_proto(message)
    body["filename"] = body.get("filename") or None
    # Struct numbers are doubles; counts read better as integers.
    body["stats"] = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in body["stats"].items()}
    if not body.pop("content_included", False):
        body["content"] = None
    return body


def _created(response: Response, project_id: str, reply: sources_pb2.CreateSourceReply) -> dict[str, Any]:
    """201 for a new source; 200 and ``already_existed`` for content the project already held."""
    response.status_code = 201 if reply.created else 200
    response.headers["Location"] = f"/v1/projects/{project_id}/sources/{reply.source.id}"
    return source_out(reply.source) | {"already_existed": not reply.created}


async def _file_bytes(gateway: State, upload: StarletteUploadFile) -> bytes:
    """The uploaded file's bytes, or 413 past the upload limit."""
    limit = gateway.settings.max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiProblem(413, "source-too-large", f"sources are limited to {limit} bytes")
    return data


T = TypeVar("T")


async def _writing(call: Awaitable[T]) -> T:
    """A call that writes content: planning's ``source-too-large`` (text past the limit once read)
    is 413, like the gateway's own refusal."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        attached: dict[str, Any] = {}
        for key, value in exc.trailing_metadata() or ():
            if key == "aira-problem":
                attached = orjson.loads(value)
        if attached.get("type") != "source-too-large":
            raise
        extra = {k: v for k, v in attached.items() if k not in ("type", "title", "detail")}
        raise ApiProblem(413, "source-too-large", exc.details() or "the source is too large", **extra) from exc


def _file_content(upload: StarletteUploadFile, data: bytes) -> sources_pb2.SourceContent:
    return sources_pb2.SourceContent(
        file=data, filename=upload.filename or "", declared_content_type=upload.content_type or ""
    )


_FILE_PART = {"type": "string", "format": "binary", "description": "The file"}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": _FILE_PART,
                        "title": {"type": "string", "maxLength": 300, "description": "Defaults to the file's name"},
                    },
                }
            }
        },
    }
}
_CONTENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
            },
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": _FILE_PART}}
            },
        },
    }
}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _invalid(field: str, message: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": kind, "input": None}])


async def _uploaded(request: Request, gateway: State) -> tuple[sources_pb2.SourceContent, str]:
    """The file (and title) of a multipart upload; 415 for another kind of body.

    Read here rather than declared as parameters, so a caller is refused before the body is read.
    """
    if _media_type(request) != "multipart/form-data":
        raise ApiProblem(415, "unsupported-media-type", "upload the file as multipart/form-data, in a part named file")
    async with request.form(max_files=1, max_fields=1) as form:
        upload, title = form.get("file"), form.get("title", "")
        if not isinstance(upload, StarletteUploadFile):
            raise _invalid("file", "Field required", "missing")
        if not isinstance(title, str) or len(title) > 300:
            raise _invalid("title", "String should have at most 300 characters", "string_too_long")
        return _file_content(upload, await _file_bytes(gateway, upload)), title


@router.post(
    "/{project_id}/sources",
    status_code=201,
    response_model=SourceWriteOut,
    response_model_exclude={"changed"},
    summary="Add a source from text (200 with already_existed when the project holds this text already)",
)
async def create_text_source(
    project_id: str,
    body: SourceTextIn,
    who: CallerDep,
    gateway: State,
    idempotency: IdempotencyDep,
    response: Response,
):
    project_id = project_id_of(project_id)
    metadata = await project_metadata(gateway, who, project_id) + idempotency
    reply = await _writing(
        gateway.clients.sources.CreateSource(
            sources_pb2.CreateSourceRequest(
                project_id=project_id, title=body.title, content=sources_pb2.SourceContent(text=body.text)
            ),
            metadata=metadata,
        )
    )
    return _created(response, project_id, reply)


@router.post(
    "/{project_id}/sources/upload",
    status_code=201,
    response_model=SourceWriteOut,
    response_model_exclude={"changed"},
    summary="Add a source from a file: md, txt, pdf, docx, json or csv (type detected from the content)",
    openapi_extra=_UPLOAD_BODY,
)
async def upload_source(
    project_id: str, request: Request, who: CallerDep, gateway: State, idempotency: IdempotencyDep, response: Response
):
    project_id = project_id_of(project_id)
    metadata = await project_metadata(gateway, who, project_id) + idempotency  # before reading the body
    content, title = await _uploaded(request, gateway)
    reply = await _writing(
        gateway.clients.sources.CreateSource(
            sources_pb2.CreateSourceRequest(project_id=project_id, title=title, content=content),
            metadata=metadata,
            timeout=max(gateway.settings.grpc_deadline_seconds, READ_SECONDS),
        )
    )
    return _created(response, project_id, reply)


@router.get("/{project_id}/sources", response_model=SourcePage, summary="The project's sources, newest first")
async def list_sources(
    project_id: str,
    who: CallerDep,
    gateway: State,
    limit: Limit = 50,
    cursor: Cursor = "",
    type: SourceType | None = None,
    q: Annotated[str, Query(max_length=200, description="Words the title contains")] = "",
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sources.ListSources(
        sources_pb2.ListSourcesRequest(
            project_id=project_id, page=types_pb2.PageRequest(limit=limit, cursor=cursor), type=type or "", query=q
        ),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return {"items": [source_out(s) for s in reply.items], "next_cursor": reply.page.next_cursor or None}


@router.get("/{project_id}/sources/{source_id}", response_model=SourceOut, summary="One source, with its text")
async def get_source(
    project_id: str,
    source_id: str,
    who: CallerDep,
    gateway: State,
    include_content: Annotated[bool, Query(description="false for metadata only")] = True,
):
    project_id = project_id_of(project_id)
    reply = await gateway.clients.sources.GetSource(
        sources_pb2.GetSourceRequest(project_id=project_id, source_id=source_id, include_content=include_content),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return source_out(reply)


async def _content_of(request: Request, gateway: State) -> sources_pb2.SourceContent:
    """New content from a JSON ``{text}`` body or a multipart ``file``; 415 for anything else."""
    if _media_type(request) == "application/json":
        try:
            body = ContentTextIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
        return sources_pb2.SourceContent(text=body.text)
    if _media_type(request) == "multipart/form-data":
        return (await _uploaded(request, gateway))[0]
    raise ApiProblem(
        415, "unsupported-media-type", "send application/json with {text}, or multipart/form-data with a file"
    )


@router.put(
    "/{project_id}/sources/{source_id}/content",
    response_model=SourceWriteOut,
    response_model_exclude={"already_existed"},
    summary="Replace a source's content, as JSON {text} or a multipart file (version + 1; same content: no-op)",
    openapi_extra=_CONTENT_BODY,
)
async def replace_content(project_id: str, source_id: str, request: Request, who: CallerDep, gateway: State):
    project_id = project_id_of(project_id)
    metadata = await project_metadata(gateway, who, project_id)
    content = await _content_of(request, gateway)
    reply = await _writing(
        gateway.clients.sources.ReplaceSourceContent(
            sources_pb2.ReplaceSourceContentRequest(project_id=project_id, source_id=source_id, content=content),
            metadata=metadata,
            timeout=max(gateway.settings.grpc_deadline_seconds, READ_SECONDS),
        )
    )
    return source_out(reply.source) | {"changed": reply.changed}


@router.delete(
    "/{project_id}/sources/{source_id}",
    status_code=204,
    summary="Delete a source; insights drawn from it stay, without their source",
)
async def delete_source(project_id: str, source_id: str, who: CallerDep, gateway: State) -> Response:
    project_id = project_id_of(project_id)
    await gateway.clients.sources.DeleteSource(
        sources_pb2.SourceRef(project_id=project_id, source_id=source_id),
        metadata=await project_metadata(gateway, who, project_id),
    )
    return Response(status_code=204)
