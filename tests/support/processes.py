"""Services under test as real processes (``onedoor run`` / ``onedoor up``)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


class Process:
    """One child process with its output in a log file (shown when a test fails)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Process":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.launcher", *self.args], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_ready(url: str, timeout: float = 60, process: Process | None = None) -> None:
    """Wait until ``url``/ready answers 200 (NATS connected, database reachable)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process and process.process and process.process.poll() is not None:
            raise RuntimeError(f"{process.name} exited early:\n{process.log()[-3000:]}")
        try:
            response = _loopback().get(f"{url}/ready", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")



_CLIENT: list[httpx.Client] = []


def _loopback() -> httpx.Client:
    """One plain-HTTP client for every readiness poll of the session: ``httpx.get`` builds a
    client (and loads the CA bundle) per call, ~1.7 s of CPU per system started, taken from
    the very processes being waited for on this 2-core machine."""
    if not _CLIENT:
        _CLIENT.append(httpx.Client(trust_env=False))
    return _CLIENT[0]


def free_port_block(size: int) -> int:
    """The first port of ``size`` consecutive free loopback ports."""
    from services.launcher.natsserver import free_port

    return free_port(size)
