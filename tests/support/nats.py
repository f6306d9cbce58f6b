"""A real nats-server with JetStream on a free loopback port, for one test or module: open
(anonymous clients, as the integration tests use it), or closed with the configuration
`onedoor up` writes (``ClosedBus``: users, permissions, encryption at rest)."""

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from services.common.natsauth import connect_options
from services.common.settings import Settings
from services.launcher import natsconfig, natsserver
from services.launcher.natsdeclare import declare
from services.launcher.natsperms import ADMIN, BusUser, bus_users
from services.launcher.topology import topology


class NatsServer:
    def __init__(self, store_dir: Path, port: int | None = None, config: Path | None = None,
                 log: Path | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or natsserver.free_port()
        self.config = config  # None: an open server
        self.log = log  # where the server's own log goes (None: nowhere)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        node = natsserver.Node("nats", self.port, self.store_dir)
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(node.command(self.config), stdout=out,
                                        stderr=subprocess.STDOUT)
        natsserver.wait_until_listening(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ClosedBus:
    """One nats-server configured as `onedoor up` configures it, its stream, bucket and
    durables declared by the admin; ``connect(user)`` as any process's user."""

    def __init__(self, nats_dir: Path, settings: Settings | None = None) -> None:
        self.nats_dir = nats_dir
        self.users: list[BusUser] = bus_users(settings or Settings(), topology(8000))
        self.server = NatsServer(nats_dir, log=nats_dir.parent / "nats-server.log")

    def start(self) -> "ClosedBus":
        node = natsserver.Node("nats", self.server.port, self.nats_dir)
        self.server.config = natsconfig.configure(self.nats_dir, [node], self.users)[0]
        self.server.start()
        asyncio.run(declare([self.url], self.credentials(ADMIN), self.users))
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def credentials(self, user: str) -> Path:
        return natsconfig.credentials_of(self.nats_dir, user)

    def settings(self, user: str, **kwargs: Any) -> Settings:
        """A service's settings on this bus as ``user`` (``dept-education``, ``intake``…)."""
        return Settings(nats_url=self.url, nats_credentials=self.credentials(user), **kwargs)

    async def connect(self, user: str | None, errors: list[Exception] | None = None,
                      **kwargs: Any) -> Client:
        """A client as ``user`` (None: anonymous); ``errors`` collects what the server
        refuses it (permissions violations)."""
        async def collect(exc: Exception) -> None:
            if errors is not None:
                errors.append(exc)

        options = connect_options(self.credentials(user)) if user else {}
        return await nats.connect(self.url, error_cb=collect, allow_reconnect=False,
                                  max_reconnect_attempts=0, **options | kwargs)

    def violations(self) -> list[str]:
        """The server's log lines of refused publishes and subscriptions."""
        log = self.server.log
        text = log.read_text(errors="replace") if log and log.exists() else ""
        return [line for line in text.splitlines() if "Violation" in line]
