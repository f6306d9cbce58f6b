"""Sends queued notices after their transaction commits (an outbox for the outside world)."""

import asyncio
import contextlib
import logging

from services.common.uow import UnitOfWork
from services.notify import handlers
from services.notify.adapters import Channels

log = logging.getLogger(__name__)


# Every commit that queues notices wakes the dispatcher; the poll only tries a failed send
# again (and nothing runs at rest in between: issue 11).
POLL_SECONDS = 10.0


class Dispatcher:
    def __init__(self, uow: UnitOfWork, channels: Channels,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.uow = uow
        self.channels = channels
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notice-dispatcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                while True:
                    async with self.uow.begin() as tx:
                        sent = await handlers.deliver_pending(tx, self.channels)
                    if not sent:
                        break
            except Exception:
                log.exception("sending notices failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
