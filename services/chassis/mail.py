"""Outgoing email: SMTP in deployments, a file mailbox in development.

``AIRA_SMTP_URL`` (``smtp://user:pass@host:587?starttls=1`` or ``smtps://…``) selects SMTP;
without it, messages are written as ``.eml`` files under ``$AIRA_HOME/mailbox`` and
``aira mail`` shows them. Services never send mail inside a transaction: they enqueue a job in
the same transaction as the change, and the job sends (see identity's ``emails.py``).
"""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


def compose(mail: Mail, sender: str) -> EmailMessage:
    """A plain-text RFC 5322 message."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    message.set_content(mail.text)
    return message


class SmtpMailer:
    """Sends through an SMTP server, in a worker thread (smtplib blocks)."""

    def __init__(self, url: str, sender: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("AIRA_SMTP_URL must start with smtp:// or smtps://")
        query = parse_qs(parts.query)
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout = timeout

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self._implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with client:
            if self._starttls:
                client.starttls(context=context)
            if self._username:
                client.login(self._username, self._password or "")
            client.send_message(message)

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send, compose(mail, self._sender))


class FileMailbox:
    """Writes each message to ``<folder>/<time>-<n>.eml``, for development and demos."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self._sender = sender

    async def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        message = compose(mail, self._sender)
        message["Date"] = formatdate(localtime=True)
        name = f"{time.time_ns()}.eml"
        await asyncio.to_thread((self.folder / name).write_bytes, message.as_bytes())

    def messages(self) -> list[Path]:
        """Stored messages, oldest first."""
        return sorted(self.folder.glob("*.eml")) if self.folder.exists() else []


def create_mailer(smtp_url: str | None, sender: str, mailbox: Path) -> Mailer:
    return SmtpMailer(smtp_url, sender) if smtp_url else FileMailbox(mailbox, sender)


def sender_address(name: str, address: str) -> str:
    return formataddr((name, address))
