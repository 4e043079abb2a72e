"""Server-Sent Events relayed from a gRPC server stream: the one place that frames, heartbeats,
resumes after ``Last-Event-ID`` and cancels the call when the client leaves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import grpc
import orjson
from fastapi import Header
from fastapi.responses import StreamingResponse

from gateway.problems import ApiProblem

log = logging.getLogger(__name__)

SSE_MEDIA_TYPE = "text/event-stream"
# The largest sequence each contract carries: audit events are int64, run progress steps int32.
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1

LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)]


def responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of an SSE route: a 200 of ``text/event-stream``."""
    return {200: {"content": {SSE_MEDIA_TYPE: {}}, "description": description}}


def frame(sequence: int, event: str, data: Any) -> bytes:
    """One SSE message: ``sequence`` as its id, ``event`` as its name, ``data`` as JSON."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (sequence, event.encode(), orjson.dumps(data))


def resume_after(last_event_id: str | None, after: int, *, most: int = INT64_MAX) -> int:
    """Where a stream starts: after ``Last-Event-ID`` when the client sent one, else ``after``;
    422 for an id that is not a sequence number up to ``most``."""
    if last_event_id is None or not last_event_id.strip():
        return after
    value = last_event_id.strip()
    if not value.isdigit() or int(value) > most:
        raise ApiProblem(422, "invalid-last-event-id", "Last-Event-ID must be a sequence number this stream sent")
    return int(value)


async def relay(
    call: grpc.aio.UnaryStreamCall, encode: Callable[[Any], bytes], *, heartbeat: float
) -> StreamingResponse:
    """The SSE response for ``call``. A refusal (404, 403, …) arrives before any byte and is raised
    here, so the problem handler answers it as a normal error response."""
    try:
        # The service sends headers once it accepted the stream; a refusal arrives instead.
        await call.initial_metadata()
        if call.done():
            await call.read()
    except BaseException:
        call.cancel()
        raise
    return StreamingResponse(
        _frames(call, encode, heartbeat),
        media_type=SSE_MEDIA_TYPE,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _retrieve(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()


async def _frames(
    call: grpc.aio.UnaryStreamCall, encode: Callable[[Any], bytes], heartbeat: float
) -> AsyncIterator[bytes]:
    """Each message as a frame, a comment as heartbeat while none comes; the client going away
    cancels the call."""
    reading: asyncio.Future | None = None
    try:
        while True:
            if reading is None:
                reading = asyncio.ensure_future(call.read())
                reading.add_done_callback(_retrieve)
            done, _ = await asyncio.wait({reading}, timeout=heartbeat)
            if not done:
                yield b": heartbeat\n\n"
                continue
            try:
                message = reading.result()
            except grpc.aio.AioRpcError as exc:
                # The stream's time is up or the service is going away: the client reconnects
                # with Last-Event-ID and loses nothing.
                if exc.code() not in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
                    log.warning("event stream ended: %s %s", exc.code().name, exc.details())
                return
            reading = None
            if message is grpc.aio.EOF:
                return
            yield encode(message)
    finally:
        call.cancel()
        if reading is not None:
            reading.cancel()
