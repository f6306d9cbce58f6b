"""``onedoor up`` restarts a child that dies, logs it, and still stops everything on Ctrl-C."""

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import start_system, survivors
from tests.support.backends import Backend
from tests.support.processes import wait_ready
from tests.support.waiting import eventually


def pid_of(argument: str) -> int:
    """The process whose command line has ``argument`` (a port only one child uses)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"services.launcher" in cmdline and argument.encode() in cmdline:
                return int(entry.name)
    raise LookupError(argument)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_child_that_dies_is_restarted(backend: Backend, tmp_path: Path) -> None:
    system = start_system(backend, tmp_path)
    try:
        notify_port = system.http_port + 7
        victim = pid_of(str(notify_port))
        os.kill(victim, signal.SIGKILL)
        eventually(lambda: "notify exited with code -9; restart 1" in system.process.log(),
                   timeout=20)
        wait_ready(f"http://127.0.0.1:{notify_port}", timeout=60)
        assert pid_of(str(notify_port)) != victim
        assert httpx.get(f"http://127.0.0.1:{notify_port}/health").json()["service"] == "notify"
    finally:
        assert system.stop() is not None
    assert not survivors(system.ports())
