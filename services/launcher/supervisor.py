"""Runs child processes, prefixes their output, restarts the ones that die, stops them all.

A child that exits with ``CONFIG_ERROR`` (a wrong region, setting or port: it would fail the
same way again) is not restarted: the supervisor records its last line as ``failure`` and
stops, so that ``up`` ends with that line instead of a restart loop.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass, field

from services.launcher.preflight import CONFIG_ERROR

log = logging.getLogger("onedoor")

MAX_BACKOFF = 30.0
STOP_GRACE = 10.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    last_line: str = ""  # its last line of output (what a failing start says)
    pump: asyncio.Task[None] | None = None


class Supervisor:
    def __init__(self, width: int = 22) -> None:
        self.children: list[Child] = []
        self.stopping = asyncio.Event()
        # (child, its last line) when a child stopped everything with a configuration error
        self.failure: tuple[str, str] | None = None
        self.width = width
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, argv, {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.children.append(child)
        return child

    async def start(self, child: Child) -> None:
        """Start a child now and keep it running (restarting it with back-off) until stop."""
        await self._spawn(child)
        self._tasks.append(asyncio.create_task(self._watch(child), name=f"watch-{child.name}"))

    async def _spawn(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_exec(
            *child.argv, env=child.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        child.pump = asyncio.create_task(self._pump(child, child.process))
        self._tasks.append(child.pump)

    async def _pump(self, child: Child, process: asyncio.subprocess.Process) -> None:
        assert process.stdout
        prefix = f"{child.name:>{self.width}} | "
        async for line in process.stdout:
            text = line.decode(errors="replace")
            if text.strip():
                child.last_line = text.strip()
            sys.stdout.write(prefix + text)
            sys.stdout.flush()

    async def _watch(self, child: Child) -> None:
        backoff = 1.0
        while True:
            assert child.process
            started = asyncio.get_running_loop().time()
            code = await child.process.wait()
            if self.stopping.is_set():
                return
            if code == CONFIG_ERROR:
                await self._configuration_error(child)
                return
            if asyncio.get_running_loop().time() - started > 60:
                backoff = 1.0  # it ran a good while: this is a new failure, not a crash loop
            child.restarts += 1
            log.warning("%s exited with code %s; restart %d in %.0fs", child.name, code,
                        child.restarts, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), backoff)
                return
            backoff = min(backoff * 2, MAX_BACKOFF)
            await self._spawn(child)

    async def _configuration_error(self, child: Child) -> None:
        """Stop everything: restarting would only print the same error again."""
        if child.pump:  # its last lines may still be in the pipe
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(child.pump), 5)
        if self.failure is None:
            self.failure = (child.name, child.last_line or f"exited with code {CONFIG_ERROR}")
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)

    async def stop(self, last: tuple[str, ...] = ()) -> None:
        """Stop every child (those named in ``last`` after the others), politely then firmly."""
        self.stopping.set()
        first = [c for c in self.children if c.name not in last]
        await self._stop_all(first)
        await self._stop_all([c for c in self.children if c.name in last])
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _stop_all(self, children: list[Child]) -> None:
        running = [c.process for c in children if c.process and c.process.returncode is None]
        for p in running:
            with contextlib.suppress(ProcessLookupError):
                p.terminate()
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), STOP_GRACE)
        except TimeoutError:
            for p in running:
                if p.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        p.kill()
            await asyncio.gather(*(p.wait() for p in running))
