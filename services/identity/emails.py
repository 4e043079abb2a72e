"""Mail identity sends: what each message says, and delivery through the job queue.

A message is enqueued as a ``send_email`` job in the same transaction as the change that calls
for it (no mail for a rolled-back sign-up, no lost mail after a committed one). The job payload
holds links and codes, so it is sealed with AES-GCM; the job runner opens it and sends it.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import orjson

from services.chassis.jobs import Job, enqueue
from services.chassis.mail import Mail, Mailer
from services.chassis.secretbox import SecretBox
from services.chassis.uow import UnitOfWork

SEND_EMAIL = "send_email"


class Emails:
    def __init__(self, box: SecretBox, mailer: Mailer, public_url: str) -> None:
        self._box = box
        self._mailer = mailer
        self._public_url = public_url.rstrip("/")

    def link(self, path: str, token: str) -> str:
        """A link into the web app carrying ``token``."""
        return f"{self._public_url}{path}?token={quote(token)}"

    async def enqueue(self, uow: UnitOfWork, mail: Mail) -> None:
        """Send ``mail`` once ``uow`` commits."""
        key_id, sealed = self._box.seal(orjson.dumps({"to": mail.to, "subject": mail.subject, "text": mail.text}))
        await enqueue(
            uow.session,
            uow.infra,
            SEND_EMAIL,
            {"key_id": key_id, "sealed": base64.b64encode(sealed).decode()},
            max_attempts=8,
        )

    async def send(self, uow: UnitOfWork, job: Job) -> None:
        """Job handler: open the sealed message and hand it to the mailer."""
        fields = orjson.loads(self._box.open(job.payload["key_id"], base64.b64decode(job.payload["sealed"])))
        await self._mailer.send(Mail(**fields))

    # --- the messages -------------------------------------------------------------------

    def verification(self, to: str, name: str, token: str) -> Mail:
        return Mail(
            to=to,
            subject="Confirm your email for Aira",
            text=(
                f"Hello {name},\n\nConfirm this address by opening:\n\n{self.link('/verify-email', token)}\n\n"
                "The link works for 24 hours. If you did not sign up for Aira, ignore this message.\n"
            ),
        )

    def magic_link(self, to: str, token: str) -> Mail:
        return Mail(
            to=to,
            subject="Your Aira sign-in link",
            text=(
                f"Sign in to Aira by opening:\n\n{self.link('/magic-link', token)}\n\n"
                "The link works once, for 15 minutes. If you did not ask for it, ignore this message.\n"
            ),
        )

    def password_reset(self, to: str, code: str) -> Mail:
        return Mail(
            to=to,
            subject=f"{code} is your Aira password reset code",
            text=(
                f"Your code to reset your Aira password is:\n\n    {code}\n\n"
                "It works for 10 minutes. If you did not ask for it, your password is unchanged.\n"
            ),
        )

    def invitation(self, to: str, inviter: str, project: str, role: str, token: str) -> Mail:
        return Mail(
            to=to,
            subject=f"{inviter} invited you to {project} on Aira",
            text=(
                f"{inviter} invited you to join the project {project!r} as {role.replace('_', ' ')}.\n\n"
                f"Accept or decline here:\n\n{self.link('/invitations', token)}\n\nThe invitation works for 7 days.\n"
            ),
        )
