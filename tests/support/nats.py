"""A real nats-server with JetStream on a free loopback port, for one test or module."""

import subprocess
from pathlib import Path

from services.launcher import natsserver


class NatsServer:
    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or natsserver.free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            natsserver.command(self.port, self.store_dir),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
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
