"""nats-server restarts mid-flow: services reconnect, consumers resume, nothing is lost."""

import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.system import ProcessSystem, Submitter
from tests.support.waiting import eventually

ITEMS = [["dibao", "education_aid", "medical_aid"], ["temporary_aid", "housing_aid"]]


@pytest.fixture
def system(backend: Backend, nats_server: NatsServer, tmp_path: Path) -> Iterator[ProcessSystem]:
    running = ProcessSystem(backend, nats_server.url, tmp_path).start()
    yield running
    running.stop()


def all_completed(http: httpx.Client, intake: str, ids: list[str]) -> bool:
    page = http.get(f"{intake}/api/v1/applications", params={"limit": 200}).json()
    done = {a["id"] for a in page["items"] if a["status"] == "completed"}
    missing = set(ids) - done
    assert not missing, f"{len(missing)} of {len(ids)} not completed"
    return True


def test_flow_resumes_after_nats_restarts(system: ProcessSystem, nats_server: NatsServer,
                                          rng: random.Random) -> None:
    submitter = Submitter(system.intake, 60, rng, ITEMS, pause=0.05, auth=system.auth)
    submitter.start()
    time.sleep(1.0)
    nats_server.stop()
    time.sleep(2.0)
    nats_server.start()
    submitter.join(120)
    with httpx.Client(timeout=10, auth=system.auth) as http:
        try:
            eventually(lambda: all_completed(http, system.intake, submitter.ids), timeout=90)
        except AssertionError:
            print(system.logs())
            raise
