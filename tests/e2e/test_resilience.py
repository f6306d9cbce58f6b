"""Delivery guarantees with real processes: a department that starts late gets its tasks."""

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.accounts.domain import Role
from services.common.settings import Settings
from tests.support.auth import ProcessAuth, SyncStaff
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.processes import Process, free_port_block, wait_ready
from tests.support.waiting import eventually


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for p in reversed(started):
        p.stop()


def _run(processes: list[Process], name: str, args: list[str], env: dict[str, str],
         log_dir: Path, port: int) -> Process:
    p = Process(name, ["run", *args, "--http-port", str(port)], env, log_dir).start()
    processes.append(p)
    wait_ready(f"http://127.0.0.1:{port}", timeout=60, process=p)
    return p


def test_a_department_that_is_down_gets_its_task_when_it_starts(
    backend: Backend, nats_server: NatsServer, processes: list[Process], tmp_path: Path,
    rng: random.Random,
) -> None:
    env = backend.env() | {"ONEDOOR_NATS_URL": nats_server.url}
    base = free_port_block(4)
    for n, service in enumerate(["intake", "routing", "notify"]):
        _run(processes, service, [service], env, tmp_path, base + n)
    intake = f"http://127.0.0.1:{base}"
    auth = ProcessAuth(SyncStaff(Settings(**backend.settings_kwargs())), roles={
        base: (Role.window, None), base + 3: (Role.department, "education")})

    with httpx.Client(timeout=10, auth=auth) as http:
        app = http.post(f"{intake}/api/v1/applications",
                        json=application(rng, ["education_aid"])).json()

        def handed_over() -> bool:
            view = http.get(f"{intake}/api/v1/applications/{app['id']}").json()
            assert view["items"][0]["status"] == "assigned"
            return True

        eventually(handed_over, timeout=30)  # published while education is not running

        _run(processes, "education", ["department", "education"], env, tmp_path, base + 3)
        education = f"http://127.0.0.1:{base + 3}"

        def received() -> dict:
            tasks = http.get(f"{education}/api/v1/tasks").json()["items"]
            assert [t["application_id"] for t in tasks] == [app["id"]]
            return tasks[0]

        task = eventually(received, timeout=30)
        http.post(f"{education}/api/v1/tasks/{task['id']}/accept", json={"by": "jy-01"})
        http.post(f"{education}/api/v1/tasks/{task['id']}/decision",
                  json={"outcome": "approved", "amount": "600", "decided_by": "jy-01"})

        def completed() -> bool:
            view = http.get(f"{intake}/api/v1/applications/{app['id']}").json()
            assert view["status"] == "completed" and view["outcome"] == "approved"
            return True

        eventually(completed, timeout=30)
