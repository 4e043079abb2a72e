"""Identifiers: time-ordered UUIDv7 (RFC 9562), so primary keys sort by creation time.

Within one process the ids are strictly increasing, even inside one millisecond (RFC 9562
§6.2 method 2: a random start, incremented), so events raised in order keep their order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_MASK = (0xFFF << 64) | 0x3FFF_FFFF_FFFF_FFFF  # rand_a and rand_b
_lock = threading.Lock()
_last = 0


def _compose(millis: int, random_bits: int) -> int:
    rand_a = (random_bits >> 62) & 0xFFF
    rand_b = random_bits & 0x3FFF_FFFF_FFFF_FFFF
    return ((millis & 0xFFFF_FFFF_FFFF) << 80) | _VERSION_AND_VARIANT | (rand_a << 64) | rand_b


def uuid7() -> uuid.UUID:
    """A new UUIDv7, greater than every one this process made before."""
    global _last
    candidate = _compose(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10), "big"))
    with _lock:
        if candidate <= _last:
            # Same millisecond (or the clock stepped back): count up inside the random bits.
            millis = _last >> 80
            random_bits = (((_last >> 64) & 0xFFF) << 62 | (_last & 0x3FFF_FFFF_FFFF_FFFF)) + 1
            if random_bits >> 74:  # counter overflow: borrow the next millisecond
                millis, random_bits = millis + 1, 0
            candidate = _compose(millis, random_bits)
        _last = candidate
    return uuid.UUID(int=candidate)
