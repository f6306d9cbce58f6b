"""A service whose database is away for a while stops acknowledging, recovers, loses nothing."""

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.backends import PG_URL, Backend
from tests.support.nats import NatsServer
from tests.support.system import ProcessSystem, Submitter
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import eventually

OUTAGE_SECONDS = 6


@contextlib.contextmanager
def routing_database_away(system: ProcessSystem, proxy: TcpProxy | None) -> Iterator[None]:
    if proxy is not None:  # PostgreSQL: the connection goes down, reconnecting fails
        proxy.cut()
        yield
        proxy.start()
        return
    # SQLite: another process holds the file's write lock; every write waits, then fails.
    lock = sqlite3.connect(system.data_dir / "routing.db", timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    yield
    lock.execute("ROLLBACK")
    lock.close()


@pytest.fixture
def proxy(backend: Backend) -> Iterator[TcpProxy | None]:
    if backend.kind != "postgres":
        yield None
        return
    running = TcpProxy(5432).start()
    yield running
    running.stop()


def test_routing_rides_out_a_database_outage(backend: Backend, nats_server: NatsServer,
                                             proxy: TcpProxy | None, tmp_path: Path,
                                             rng: random.Random) -> None:
    system = ProcessSystem(backend, nats_server.url, tmp_path, departments=("civil_affairs",))
    if proxy is not None:  # only routing goes through the proxy
        routing = system.processes["routing"]
        routing.env["ONEDOOR_DATABASE_URL"] = PG_URL.replace(":5432/", f":{proxy.port}/")
    system.start()
    try:
        before = Submitter(system.intake, 10, rng, [["dibao"]], auth=system.auth)
        before.run()
        with routing_database_away(system, proxy):
            during = Submitter(system.intake, 10, rng, [["temporary_aid"]], auth=system.auth)
            during.run()  # intake still takes them: only routing's database is away
            time.sleep(OUTAGE_SECONDS)
            with httpx.Client(timeout=10, auth=system.auth) as http:
                page = http.get(f"{system.intake}/api/v1/applications",
                                params={"status": "received"}).json()
            assert page["total"] >= 1  # held up at routing, not lost
        ids = before.ids + during.ids
        with httpx.Client(timeout=10, auth=system.auth) as http:
            def all_completed() -> bool:
                page = http.get(f"{system.intake}/api/v1/applications",
                                params={"status": "completed", "limit": 100}).json()
                assert {a["id"] for a in page["items"]} == set(ids)
                return True

            eventually(all_completed, timeout=90, interval=0.5)
            letters = http.get(f"{system.url('routing')}/api/v1/ops/dead-letters").json()
            assert letters == []
    except AssertionError:
        print(system.logs())
        raise
    finally:
        system.stop()
