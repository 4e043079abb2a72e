"""Log lines are JSON objects carrying the service, request id and trace id."""

from __future__ import annotations

import json
import logging

from services.chassis import context
from services.chassis.log import JsonFormatter


def test_a_log_line_carries_the_call_context_and_extras() -> None:
    record = logging.LogRecord("aira.test", logging.WARNING, __file__, 1, "paid %s", ("twice",), None)
    record.event_id = "e-1"
    tokens = (context.request_id.set("req-9"), context.trace_id.set("ab" * 16))
    try:
        line = JsonFormatter("identity").format(record)
    finally:
        context.request_id.reset(tokens[0])
        context.trace_id.reset(tokens[1])
    entry = json.loads(line)
    assert entry | {"ts": None} == {
        "ts": None,
        "level": "warning",
        "service": "identity",
        "logger": "aira.test",
        "msg": "paid twice",
        "request_id": "req-9",
        "trace_id": "ab" * 16,
        "event_id": "e-1",
    }
