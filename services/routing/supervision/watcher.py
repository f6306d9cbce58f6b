"""The supervision process: a loop in routing's lifespan that scans the open stages every
``interval`` seconds (and once at start, catching up on what passed while it was down).
Time is the runtime's clock, so tests move a MovableClock instead of waiting days."""

import asyncio
import contextlib
import logging

from services.common.policy import Policy
from services.common.runtime import Runtime
from services.routing.supervision import handlers

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0  # seconds; the shortest limit (30 minutes at the window) warns in time


class Watcher:
    def __init__(self, runtime: Runtime, policy: Policy, interval: float = DEFAULT_INTERVAL) -> None:
        self.runtime, self.policy, self.interval = runtime, policy, interval
        self.scans = 0
        self._task: asyncio.Task[None] | None = None

    async def scan_once(self) -> int:
        """One scan in its own transaction: how many alerts it raised."""
        async with self.runtime.uow.begin() as tx:
            raised = await handlers.scan(tx, policy=self.policy)
        self.scans += 1
        return raised

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="supervision-watcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                raised = await self.scan_once()
                if raised:
                    log.info("supervision: %d alert(s) raised", raised)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a while: the next scan catches up
                log.exception("supervision scan failed; trying again in %.0fs", self.interval)
            await asyncio.sleep(self.interval)
