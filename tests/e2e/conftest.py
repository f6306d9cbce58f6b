"""The whole system as processes: ``onedoor up`` with its own nats-server, on free ports."""

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contracts import Department
from services.common.settings import Settings
from services.launcher.natsserver import free_port
from services.launcher.topology import topology
from tests.support.auth import ProcessAuth, SyncStaff
from tests.support.backends import Backend
from tests.support.processes import Process, free_port_block, wait_ready


@dataclass
class System:
    process: Process
    http_port: int
    nats_port: int
    data_dir: Path
    backend: Backend

    @property
    def intake(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def department(self, code: str) -> str:
        return f"http://127.0.0.1:{self.http_port + 1 + list(Department).index(Department(code))}"

    @property
    def auth(self) -> ProcessAuth:
        """Signs requests as each port's usual caller (accounts made in the system's store)."""
        if not hasattr(self, "_auth"):
            staff = SyncStaff(Settings(**self.backend.settings_kwargs()))
            self._auth = ProcessAuth(staff, self.http_port)
        return self._auth

    def ports(self) -> list[int]:
        return [s.port for s in topology(self.http_port)] + [self.nats_port]

    def stop(self) -> int | None:
        return self.process.stop(signal.SIGINT, timeout=30)


def start_system(backend: Backend, log_dir: Path, *extra: str) -> System:
    http_port, nats_port = free_port_block(10), free_port()
    args = ["up", "--data-dir", str(backend.data_dir), "--http-port", str(http_port),
            "--nats-port", str(nats_port), *extra]
    if backend.database_url:
        args += ["--database-url", backend.database_url]
    process = Process("onedoor-up", args, backend.env(), log_dir).start()
    system = System(process, http_port, nats_port, backend.data_dir, backend)
    try:
        for spec in topology(http_port):
            wait_ready(f"http://127.0.0.1:{spec.port}", timeout=90, process=process)
    except BaseException:
        print(process.log()[-5000:])
        system.stop()  # never leave a half-started system running behind a failed test
        raise
    return system


@pytest.fixture
def system(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    running = start_system(backend, tmp_path)
    yield running
    code = running.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(running.process.log()[-20000:])
    assert code is not None
    assert not survivors(running.ports()), "a child outlived Ctrl-C"


def survivors(ports: list[int]) -> list[str]:
    """Processes still running with one of ``ports`` on their command line (our children:
    services get --http-port, nats-server -p). Asking the ports instead would race with other
    programs that take a port as soon as it is free."""
    wanted = {str(p).encode() for p in ports}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        is_ours = any(b"services.launcher" in a or a.endswith(b"nats-server") for a in args)
        if is_ours and wanted & set(args):
            found.append(b" ".join(args).decode(errors="replace"))
    return found


@pytest.fixture
def http(system: System) -> Iterator[httpx.Client]:
    """A client signed in as each service's usual caller (``System.auth``)."""
    with httpx.Client(timeout=10, auth=system.auth) as client:
        yield client


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
