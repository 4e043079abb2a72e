"""Reporting refused credentials to identity's security log, without slowing the refusal down.

Reports are sent in the background, at most a few per second: a flood of forged tokens must not
turn into a flood of writes.
"""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
from google.protobuf.struct_pb2 import Struct

from aira.identity.v1 import accounts_pb2
from gateway.auth import Principals
from gateway.clients import ServiceClients

log = logging.getLogger(__name__)

MAX_PER_SECOND = 5


class SecurityReports:
    def __init__(self, clients: ServiceClients, principals: Principals) -> None:
        self._clients = clients
        self._principals = principals
        self._pending: set[asyncio.Task] = set()
        self._window = 0
        self._sent_in_window = 0

    def report(self, event_type: str, claimed_user_id: str, details: dict) -> None:
        """Queue a report (dropped past the per-second budget)."""
        now = int(time.monotonic())
        if now != self._window:
            self._window, self._sent_in_window = now, 0
        if self._sent_in_window >= MAX_PER_SECOND:
            return
        self._sent_in_window += 1
        task = asyncio.get_running_loop().create_task(self._send(event_type, claimed_user_id, details))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, event_type: str, claimed_user_id: str, details: dict) -> None:
        payload = Struct()
        payload.update(details)
        try:
            await self._clients.accounts.RecordSecurityEvent(
                accounts_pb2.SecurityEvent(event_type=event_type, claimed_user_id=claimed_user_id, details=payload),
                metadata=self._principals.gateway(),
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("could not report %s: %s", event_type, exc.code().name)

    async def close(self) -> None:
        await asyncio.gather(*self._pending, return_exceptions=True)
