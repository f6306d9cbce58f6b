"""uvicorn for a service process, quiet at rest (issue 11: CPU at rest)."""

import asyncio
import contextlib
import socket
from types import FrameType
from typing import Any

import uvicorn

TICK_SECONDS = 1.0  # uvicorn's own: 0.1


class QuietServer(uvicorn.Server):
    """uvicorn's server, whose main loop wakes once a second (the Date header's resolution)
    instead of ten times, and at once when told to stop."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0  # on_tick refreshes the Date header when counter % 10 == 0: every tick
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._wake is not None:
            # From a signal handler: through the loop's self-pipe, never Event.set directly.
            self._loop.call_soon_threadsafe(self._wake.set)


def serve(app: Any, host: str, port: int, sockets: list[socket.socket] | None = None) -> None:
    """Run ``app`` until SIGINT or SIGTERM, as ``uvicorn.run`` would (on ``sockets`` when
    given: a copy's, shared with the service's other copies)."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, log_level="warning",
                            access_log=False)
    QuietServer(config).run(sockets=sockets)

