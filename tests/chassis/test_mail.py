"""Mail delivery: SMTP to a real server, or the development mailbox that ``aira mail`` reads."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from services.chassis.mail import FileMailbox, Mail, SmtpMailer, create_mailer
from tests.mail import body


async def test_smtp_delivers_plain_text(smtp) -> None:
    mailer = create_mailer(smtp.url, "Aira <no-reply@aira.test>", mailbox=None)  # type: ignore[arg-type]
    assert isinstance(mailer, SmtpMailer)
    await mailer.send(Mail(to="ada@example.com", subject="Hello Ada", text="Line one\nLine two\n"))
    message = await smtp.wait_for("ada@example.com", "hello ada")
    assert message["From"] == "Aira <no-reply@aira.test>"
    assert body(message).replace("\r\n", "\n") == "Line one\nLine two\n"  # SMTP lines end in CRLF


def test_the_development_mailbox_and_aira_mail(tmp_path) -> None:
    mailbox = FileMailbox(tmp_path / "mailbox", "Aira <no-reply@aira.local>")
    asyncio.run(mailbox.send(Mail(to="ada@example.com", subject="First", text="one")))
    asyncio.run(mailbox.send(Mail(to="grace@example.com", subject="Second", text="two\nwith a code 123456")))
    env = {"AIRA_HOME": str(tmp_path), "PATH": ""}
    run = [sys.executable, "-m", "services.chassis.cli", "mail"]
    listing = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert [line.split()[-1] for line in listing] == ["Second", "First"]
    shown = subprocess.run([*run, "1"], env=env, capture_output=True, text=True, check=True).stdout
    assert "Subject: Second" in shown and "with a code 123456" in shown
    only_ada = subprocess.run([*run, "--to", "ada@"], env=env, capture_output=True, text=True, check=True).stdout
    assert "First" in only_ada and "Second" not in only_ada
