"""``onedoor up --replicas`` on PostgreSQL: two copies of intake and of a department share
their consumers, schema and address; kill -9 a copy of each, in turn, while applications
flow, and every application still ends exactly once — no task, decision or notice missing or
twice (the crash test's counts)."""

import asyncio
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.accounts.domain import Role
from services.common.settings import Settings
from services.launcher import replicas
from services.launcher.topology import SIZE, topology
from tests.e2e.test_crash import (
    ITEMS,
    assert_notices_once,
    expected_events,
    expected_tasks,
    stream_counts,
)
from tests.support.auth import ProcessAuth, SyncStaff
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.processes import Process, free_port_block, wait_ready
from tests.support.system import Submitter
from tests.support.waiting import eventually

COPIES = {"intake": 2, "dept-civil_affairs": 2}


class Replicated:
    """``onedoor up --replicas intake=2,civil_affairs=2`` on the test's NATS."""

    def __init__(self, backend: Backend, nats_url: str, log_dir: Path) -> None:
        self.base = free_port_block(SIZE + sum(COPIES.values()))
        self.processes = replicas.expand(topology(self.base), COPIES)
        self.data_dir, self.nats_url = backend.data_dir, nats_url
        args = ["up", "--data-dir", str(backend.data_dir), "--http-port", str(self.base),
                "--nats-url", nats_url, "--database-url", str(backend.database_url),
                "--auto-decide-after", "0", "--replicas", "intake=2,civil_affairs=2"]
        self.up = Process("onedoor-up", args, backend.env(), log_dir)
        self.staff = SyncStaff(Settings(**backend.settings_kwargs()))
        self.auth = ProcessAuth(self.staff, self.base)

    @property
    def intake(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def start(self) -> "Replicated":
        self.up.start()
        try:
            self.wait_ready()
        except BaseException:
            print(self.up.log()[-8000:])
            self.up.stop()
            raise
        return self

    def wait_ready(self) -> None:
        """Every process on its own address, and every service on its shared one."""
        for url in replicas.readiness_urls(self.processes):
            wait_ready(url, timeout=120, process=self.up)
        for spec in topology(self.base):
            wait_ready(f"http://127.0.0.1:{spec.port}", timeout=30, process=self.up)

    def restarted(self, label: str, pid: int) -> bool:
        try:
            return self.copy(label) != pid
        except LookupError:  # not started again yet
            return False

    def copy(self, label: str) -> int:
        """The pid of one copy (``intake.2``), found by its own port on its command line."""
        port = next(p.own_port for p in self.processes if p.label == label)
        wanted = [b"--instance-port", str(port).encode()]
        for entry in Path("/proc").iterdir():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() \
                    else []
            except OSError:
                continue
            if b"services.launcher" in args and any(args[i:i + 2] == wanted
                                                    for i in range(len(args))):
                return int(entry.name)
        raise LookupError(f"no process for {label}")


class Chaos(threading.Thread):
    """kill -9 each copy of intake and of civil affairs once, one at a time, while the
    other copy serves; the supervisor of ``up`` starts the killed one again."""

    def __init__(self, system: Replicated, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.system, self.rng, self.kills = system, rng, []

    def run(self) -> None:
        for label in self.rng.sample(["intake.1", "intake.2", "dept-civil_affairs.1",
                                      "dept-civil_affairs.2"], 4):
            time.sleep(self.rng.uniform(0.5, 1.5))
            pid = self.system.copy(label)
            subprocess.run(["kill", "-9", str(pid)], check=True)
            self.kills.append(label)
            # Back before the next kill: a service always has a copy alive.
            eventually(lambda pid=pid, label=label: self.system.restarted(label, pid),
                       timeout=60, interval=0.2)
            self.system.wait_ready()


@pytest.fixture
def system(backend: Backend, nats_server: NatsServer, tmp_path: Path) -> Iterator[Replicated]:
    if backend.kind != "postgres":
        pytest.skip("several copies of a service are for PostgreSQL")
    running = Replicated(backend, nats_server.url, tmp_path).start()
    yield running
    running.up.stop(timeout=60)


@pytest.mark.postgres
def test_copies_of_intake_and_a_department_killed_mid_run_and_every_application_ends_once(
    system: Replicated, rng: random.Random
) -> None:
    count = 60
    submitter = Submitter(system.intake, count, rng, ITEMS, pause=0.05, auth=system.auth)
    chaos = Chaos(system, rng)
    submitter.start()
    chaos.start()
    chaos.join(300)
    submitter.join(300)
    assert len(submitter.ids) == count and not chaos.is_alive()
    assert sorted(chaos.kills) == ["dept-civil_affairs.1", "dept-civil_affairs.2", "intake.1",
                                   "intake.2"]

    tasks = sum(expected_tasks(ITEMS[n % len(ITEMS)]) for n in range(count))
    with httpx.Client(timeout=10, auth=system.auth) as http:
        def every_one_completed() -> list[dict]:
            apps = http.get(f"{system.intake}/api/v1/applications", params={"limit": 200}).json()
            assert apps["total"] == count  # a retried POST never made a second application
            done = [a for a in apps["items"] if a["status"] == "completed"]
            assert len(done) == count, f"{len(done)} of {count} completed"
            return apps["items"]

        try:
            apps = eventually(every_one_completed, timeout=180, interval=1)
        except AssertionError:
            print(system.up.log()[-20000:])
            raise
        assert {a["id"] for a in apps} == set(submitter.ids)
        assert all(i["status"] == "decided" and i["decision"] for a in apps for i in a["items"])
        for code in ("civil_affairs", "education", "medical", "housing", "federations"):
            port = next(s.port for s in topology(system.base) if s.department == code)
            url = f"http://127.0.0.1:{port}/api/v1/tasks"
            every = http.get(url, params={"limit": 1}).json()["total"]
            decided = http.get(url, params={"status": "decided", "limit": 1}).json()["total"]
            assert every == decided > 0, code

    assert_notices_once(system.data_dir, tasks, count)
    expected = expected_events(apps, tasks)

    def stream_holds_each_event_once() -> bool:
        assert asyncio.run(stream_counts(system.nats_url)) == expected
        return True

    eventually(stream_holds_each_event_once, timeout=30, interval=1)
    dead = subprocess.run(
        [sys.executable, "-m", "services.launcher", "dead-letters", "--http-port",
         str(system.base), "--token", system.staff.token("ops-test", Role.ops)],
        capture_output=True, text=True, timeout=60)
    assert "0 dead letter(s)" in dead.stdout, dead.stdout + dead.stderr
