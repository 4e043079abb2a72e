"""A real SMTP server for the tests (aiosmtpd), collecting what the services send."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.harness import free_port


class SmtpSink:
    """Receives mail over SMTP and keeps every message."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.url = ""

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str, about: str = "") -> list[EmailMessage]:
        with self._lock:
            return [m for m in self._messages if m["To"] == address and about.lower() in m["Subject"].lower()]

    async def wait_for(self, address: str, about: str = "", *, count: int = 1, timeout: float = 15.0) -> EmailMessage:
        """The ``count``-th message to ``address`` whose subject mentions ``about`` (waits for the job
        queue, which may deliver concurrent messages in any order)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            received = self.to(address, about)
            if len(received) >= count:
                return received[count - 1]
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no message #{count} to {address}")
            await asyncio.sleep(0.1)


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def token_in(message: EmailMessage) -> str:
    """The ``token=`` value of the link in a message."""
    found = re.search(r"token=([A-Za-z0-9_\-%]+)", body(message))
    assert found, body(message)
    return found.group(1)


def code_in(message: EmailMessage) -> str:
    found = re.search(r"\b(\d{6})\b", body(message))
    assert found, body(message)
    return found.group(1)


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.url = f"smtp://127.0.0.1:{port}"
    try:
        yield sink
    finally:
        controller.stop()
