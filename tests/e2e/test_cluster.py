"""A three-node NATS cluster (JetStream replicas 3) loses a node mid-flow: nothing is lost,
nothing doubled, and the flow goes on without anyone doing anything. The cluster is closed as
`onedoor up --cluster` closes it: a user per process with its permissions, authenticated
routes, encryption at rest; the admin declares the stream and durables before the services
start, each of which connects as its own user."""

import asyncio
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import pytest

from contracts import subjects
from services.common.natsauth import connect_options
from services.common.settings import Settings
from services.launcher import natsconfig, natsserver
from services.launcher.natsdeclare import declare
from services.launcher.natsperms import ADMIN, bus_users
from services.launcher.topology import topology
from tests.support.backends import Backend
from tests.support.system import ProcessSystem, Submitter
from tests.support.waiting import eventually

ITEMS = [["dibao", "education_aid", "medical_aid"]]


@dataclass
class RunningNode:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[RunningNode]]:
    nats_dir = tmp_path / "nats"
    nodes = natsserver.cluster_nodes(natsserver.free_port(), nats_dir, 3)
    users = bus_users(Settings(stream_replicas=3), topology(0))
    configs = natsconfig.configure(nats_dir, nodes, users)
    running = []
    for node, config in zip(nodes, configs, strict=True):
        log = tmp_path / f"{node.name}.log"
        running.append(RunningNode(node.url, subprocess.Popen(
            node.command(config), stdout=log.open("wb"), stderr=subprocess.STDOUT), log))
    for node in nodes:
        natsserver.wait_until_listening(node.port)
    asyncio.run(declare([n.url for n in nodes], natsconfig.credentials_of(nats_dir, ADMIN), users,
                        replicas=3))
    yield running
    for node in running:
        node.kill()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_losing_one_of_three_nodes_mid_flow(backend: Backend, cluster: list[RunningNode],
                                            tmp_path: Path,
                                            rng: random.Random) -> None:
    urls = ",".join(p.url for p in cluster)
    system = ProcessSystem(backend, urls, tmp_path, departments=("civil_affairs", "education",
                                                                 "medical"))
    nats_dir = tmp_path / "nats"
    for name, process in system.processes.items():
        process.env["ONEDOOR_STREAM_REPLICAS"] = "3"
        process.env["ONEDOOR_NATS_CREDENTIALS"] = str(natsconfig.credentials_of(nats_dir, name))
    system.start()
    try:
        submitter = Submitter(system.intake, 60, rng, ITEMS, pause=0.05, auth=system.auth)
        submitter.start()
        time.sleep(1.5)
        cluster[0].kill()  # the first server of every service's list: they all move over
        submitter.join(120)
        with httpx.Client(timeout=10, auth=system.auth) as http:
            def all_completed() -> bool:
                page = http.get(f"{system.intake}/api/v1/applications",
                                params={"status": "completed", "limit": 100}).json()
                assert {a["id"] for a in page["items"]} == set(submitter.ids)
                return True

            eventually(all_completed, timeout=120, interval=0.5)

        async def stored() -> dict:
            nc = await nats.connect(cluster[1].url, **connect_options(
                natsconfig.credentials_of(nats_dir, ADMIN)))
            info = await nc.jetstream().stream_info(subjects.STREAM, subjects_filter=">")
            await nc.close()
            assert info.config.num_replicas == 3
            return info.state.subjects

        per_subject = asyncio.run(stored())
        n = len(submitter.ids)
        assert per_subject["onedoor.application.submitted"] == n
        assert per_subject["onedoor.application.completed"] == n
        for department in ("civil_affairs", "education", "medical"):
            assert per_subject[f"onedoor.task.decided.{department}"] == n
        refused = [line for node in cluster for line in node.log.read_text().splitlines()
                   if "Violation" in line]
        assert not refused, refused
    except AssertionError:
        print(system.logs())
        raise
    finally:
        system.stop()
