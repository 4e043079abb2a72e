"""A small process supervisor: start children, restart the ones that die, stop all in order.

Children run in their own sessions (a terminal's Ctrl-C reaches only the supervisor, which then
stops them in order) and are asked by Linux to die if the supervisor itself is killed, so no
orphan survives either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.chassis.runtime.processes import die_with_parent

log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 20.0
STABLE_AFTER_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None
    run_as: dict = field(default_factory=dict)  # subprocess user/group arguments
    stop_signal: int = signal.SIGTERM


@dataclass
class _Child:
    spec: ProcessSpec
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0
    watcher: asyncio.Task | None = None
    stopping: bool = False
    exited: asyncio.Event = field(default_factory=asyncio.Event)


class Supervisor:
    """Keeps a set of named processes running until told to stop."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._children: dict[str, _Child] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def log_file(self, name: str) -> Path:
        return self._log_dir / f"{name}.log"

    def pids(self) -> dict[str, int]:
        """Process id of each running child."""
        return {
            name: child.process.pid
            for name, child in self._children.items()
            if child.process is not None and child.process.returncode is None
        }

    async def _spawn(self, child: _Child) -> None:
        with open(self.log_file(child.spec.name), "ab") as out:  # noqa: ASYNC230 - a local file, opened once per start
            child.process = await asyncio.create_subprocess_exec(
                *child.spec.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=child.spec.env,
                **child.spec.run_as,
                preexec_fn=die_with_parent(),
                start_new_session=True,
            )
        child.started_at = time.monotonic()
        child.exited.clear()

    async def start(self, spec: ProcessSpec) -> None:
        """Start ``spec`` and keep it running."""
        child = _Child(spec)
        self._children[spec.name] = child
        await self._spawn(child)
        child.watcher = asyncio.create_task(self._watch(child), name=f"watch-{spec.name}")

    async def _watch(self, child: _Child) -> None:
        backoff = 1.0
        while True:
            assert child.process is not None
            code = await child.process.wait()
            child.exited.set()
            if child.stopping:
                return
            ran_for = time.monotonic() - child.started_at
            if ran_for > STABLE_AFTER_SECONDS:
                backoff = 1.0
            log.warning(
                "%s exited with %s after %.1fs; restarting in %.0fs (log: %s)",
                child.spec.name,
                code,
                ran_for,
                backoff,
                self.log_file(child.spec.name),
            )
            await asyncio.sleep(backoff)
            if child.stopping:
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            child.restarts += 1
            await self._spawn(child)

    async def stop(self, names: Sequence[str]) -> None:
        """Stop the named children together: their stop signal, then SIGKILL after a timeout."""
        children = [self._children[n] for n in names if n in self._children]
        for child in children:
            child.stopping = True
            if child.process is not None and child.process.returncode is None:
                try:
                    os.kill(child.process.pid, child.spec.stop_signal)
                except ProcessLookupError:
                    pass
        for child in children:
            if child.process is None:
                continue
            try:
                await asyncio.wait_for(child.process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("%s did not stop in time; killing it", child.spec.name)
                child.process.kill()
                await child.process.wait()
            if child.watcher is not None:
                child.watcher.cancel()
                await asyncio.gather(child.watcher, return_exceptions=True)

    async def stop_all(self, order: Sequence[Sequence[str]]) -> None:
        """Stop children group by group in ``order``, then any left over."""
        for group in order:
            await self.stop(group)
        await self.stop([n for n, c in self._children.items() if not c.stopping])
