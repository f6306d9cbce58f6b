"""The whole system for a bench: ``onedoor up`` on free loopback ports, as separate processes,
its log in the data directory, stopped at the end."""

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.progress import Progress
from services.launcher.natsserver import free_port, port_is_free
from services.launcher.topology import SIZE, topology


@dataclass
class System:
    """A running ``onedoor up`` (its process, its ports, where its data is)."""

    up: subprocess.Popen
    data_dir: Path
    http_port: int
    nats_port: int
    database_url: str | None
    env: dict[str, str]

    @property
    def intake(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """Bearer headers of a window account made for the run (``onedoor staff add``) and
        of the ops token ``up`` left in the data directory."""
        args = [sys.executable, "-m", "services.launcher", "staff", "add", "--name", "bench",
                "--role", "window", "--username", f"bench-{uuid.uuid4().hex[:8]}", "--json",
                "--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        made = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120,
                              env={**os.environ, **self.env})
        window = json.loads(made.stdout)["token"]
        ops = (self.data_dir / "ops-token").read_text().strip()
        return {"Authorization": f"Bearer {window}"}, {"Authorization": f"Bearer {ops}"}


@contextlib.contextmanager
def running(data_dir: Path, *, database_url: str | None = None,
            env: dict[str, str] | None = None, auto_decide: bool = True,
            progress: Progress | None = None) -> Iterator[System]:
    """``onedoor up`` until the block ends, every service ready; with ``auto_decide`` the
    departments decide each task at once by themselves (what the load needs; not at rest:
    that is a loop of its own)."""
    progress = progress or Progress()
    base, nats_port = port_block(SIZE), free_port()
    args = [sys.executable, "-m", "services.launcher", "up", "--data-dir", str(data_dir),
            "--http-port", str(base), "--nats-port", str(nats_port)]
    if auto_decide:
        args += ["--auto-decide-after", "0"]
    if database_url:
        args += ["--database-url", database_url]
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "onedoor-up.log"
    with log.open("wb") as out:
        progress.say(f"starting the system (onedoor up; its log: {log})")
        up = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        try:
            wait_ready([s.port for s in topology(base)], up, log)
            yield System(up, data_dir, base, nats_port, database_url, dict(env or {}))
        finally:
            progress.say("stopping the system")
            up.send_signal(2)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait(10)


def port_block(size: int) -> int:
    for _ in range(200):
        base = free_port()
        if base + size < 65535 and all(port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free ports")


def wait_ready(ports: list[int], up: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    # One client for every poll (a client per request loads the CA bundle each time: CPU
    # taken from the services starting on the same cores).
    with httpx.Client(trust_env=False, timeout=2) as http:
        for port in ports:
            while True:
                if up.poll() is not None:
                    raise RuntimeError(f"onedoor up exited:\n{log.read_text()[-3000:]}")
                try:
                    if http.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"port {port} not ready")
                time.sleep(0.3)
