"""The system as separately started processes (``onedoor run``), for tests that kill them."""

import random
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx

from contracts import Department
from services.accounts.domain import Role
from services.common.settings import Settings
from services.launcher.topology import ProcessSpec, topology
from tests.support.auth import ProcessAuth, SyncStaff
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.processes import Process, free_port_block, wait_ready


class ProcessSystem:
    """intake, routing, notify and the departments, each a process that can be killed."""

    def __init__(self, backend: Backend, nats_url: str, log_dir: Path,
                 departments: tuple[str, ...] = tuple(d.value for d in Department),
                 auto_decide_after: float | None = 0.0) -> None:
        self.base = free_port_block(10)
        self.env = backend.env() | {"ONEDOOR_NATS_URL": nats_url}
        if auto_decide_after is not None:
            self.env["ONEDOOR_AUTO_DECIDE_AFTER"] = str(auto_decide_after)
        self.data_dir = backend.data_dir
        self.specs = {s.name: s for s in topology(self.base)
                      if s.department is None or s.department in departments}
        self.processes = {name: Process(name, spec.run_args(), self.env, log_dir)
                          for name, spec in self.specs.items()}
        # Accounts in the system's own store; ``auth`` signs requests as the port's usual caller.
        self.staff = SyncStaff(Settings(**backend.settings_kwargs()))
        self.auth = ProcessAuth(self.staff, self.base)

    def ops_token(self) -> str:
        return self.staff.token("ops-test", Role.ops)

    @property
    def intake(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.specs[name].port}"

    def start(self, *names: str) -> "ProcessSystem":
        for name in names or tuple(self.processes):
            self.processes[name].start()
        try:
            for name in names or tuple(self.processes):
                wait_ready(self.url(name), timeout=90, process=self.processes[name])
        except BaseException:
            print(self.logs())
            self.stop()  # a failed start leaves nothing running behind it
            raise
        return self

    def kill(self, name: str) -> None:
        """kill -9: no shutdown code runs, as in a power cut or an OOM kill."""
        self.processes[name].stop(signal.SIGKILL)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name)

    def stop(self) -> None:
        for p in self.processes.values():
            p.stop()

    def logs(self) -> str:
        return "\n".join(f"==== {n}\n{p.log()[-4000:]}" for n, p in self.processes.items())

    def spec(self, name: str) -> ProcessSpec:
        return self.specs[name]


class Submitter(threading.Thread):
    """Posts applications like a busy window: each with an Idempotency-Key, retried until
    intake answers (intake may be down or killed mid-request meanwhile)."""

    def __init__(self, intake: str, count: int, rng: random.Random, items: list[list[str]],
                 pause: float = 0.0, auth: httpx.Auth | None = None) -> None:
        super().__init__(daemon=True)
        self.intake, self.count, self.rng, self.items, self.pause = intake, count, rng, items, pause
        self.auth = auth  # the system's (a window account signs the applications)
        self.ids: list[str] = []
        self.retries = 0

    def run(self) -> None:
        with httpx.Client(timeout=10, auth=self.auth) as http:
            for n in range(self.count):
                body = application(self.rng, self.items[n % len(self.items)])
                key = {"Idempotency-Key": uuid.uuid4().hex}
                while True:
                    try:
                        response = http.post(f"{self.intake}/api/v1/applications", json=body,
                                             headers=key)
                        if response.status_code == 201:
                            self.ids.append(response.json()["id"])
                            break
                    except httpx.HTTPError:
                        pass
                    self.retries += 1
                    time.sleep(0.2)
                if self.pause:
                    time.sleep(self.pause)
