from __future__ import annotations

import time

from services.chassis.ids import uuid7


def test_uuid7_is_version_7_and_strictly_increasing() -> None:
    ids = [uuid7() for _ in range(20_000)]
    assert all(i.version == 7 and i.variant == "specified in RFC 4122" for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_uuid7_carries_the_time() -> None:
    before = time.time_ns() // 1_000_000
    millis = uuid7().int >> 80
    assert before <= millis <= time.time_ns() // 1_000_000 + 1
