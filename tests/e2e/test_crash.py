"""kill -9 every kind of service at random moments while applications flow: at the end every
application reached its final state exactly once — no task, decision or notice missing or twice."""

import asyncio
import collections
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from contracts import subjects
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.system import ProcessSystem, Submitter
from tests.support.waiting import eventually

ITEMS = [["dibao", "education_aid", "medical_aid"], ["temporary_aid", "housing_aid"],
         ["tekun", "disabled_rehab"]]
VICTIMS = ["routing", "dept-civil_affairs", "notify", "intake", "dept-education"]


@pytest.fixture
def system(backend: Backend, nats_server: NatsServer, tmp_path: Path) -> Iterator[ProcessSystem]:
    running = ProcessSystem(backend, nats_server.url, tmp_path,
                            departments=("civil_affairs", "education", "medical", "housing",
                                         "federations")).start()
    yield running
    running.stop()


class Chaos(threading.Thread):
    """Kills a service with SIGKILL, restarts it, and again, until every kind was hit."""

    def __init__(self, system: ProcessSystem, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.system, self.rng, self.kills = system, rng, []

    def run(self) -> None:
        victims = VICTIMS + self.rng.sample(VICTIMS, 2)  # each kind once, two of them twice
        for name in victims:
            time.sleep(self.rng.uniform(0.3, 1.5))
            self.system.kill(name)
            self.kills.append(name)
            time.sleep(self.rng.uniform(0.0, 1.0))  # down for a while: its work piles up
            self.system.start(name)


def expected_tasks(items: list[str]) -> int:
    departments = {"dibao": "ca", "temporary_aid": "ca", "tekun": "ca", "education_aid": "edu",
                   "medical_aid": "med", "housing_aid": "hou", "disabled_rehab": "fed"}
    return len({departments[i] for i in items})


def assert_notices_once(data_dir: Path, tasks: int, count: int) -> None:
    """Every notice sent exactly once: two per task (applicant, window), two at completion."""
    notices = [json.loads(line)["id"] for path in ("sms-sent.jsonl", "window-inbox.jsonl")
               for line in (data_dir / path).read_text(encoding="utf-8").splitlines()]
    assert len(notices) == len(set(notices)) == 2 * tasks + 2 * count


def expected_events(apps: list[dict], tasks: int) -> dict[str, int]:
    """The events on the stream when ``apps`` (their combined views) are all completed."""
    count = len(apps)
    expected = {
        "application.submitted": count, "application.routed": count,
        "task.assigned": tasks, "task.accepted": tasks, "task.decided": tasks,
        "application.completed": count, "notification.sent": 2 * tasks + 2 * count,
    }
    # Each approval of 低保/特困 confirms the household's status (免申即享 follows it).
    confirmed = sum(any(i["item"] in ("dibao", "tekun") and i["decision"]["outcome"] ==
                        "approved" for i in app["items"]) for app in apps)
    if confirmed:
        expected["household.status_confirmed"] = confirmed
    return expected


async def stream_counts(nats_url: str) -> collections.Counter:
    """How many messages of each event the stream holds (the stream de-duplicates by id)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    info = await js.stream_info(subjects.STREAM)
    sub = await js.subscribe("onedoor.>", ordered_consumer=True)
    counts: collections.Counter = collections.Counter()
    for _ in range(info.state.messages):
        msg = await sub.next_msg(timeout=10)
        counts[json.loads(msg.data)["type"]] += 1
    await nc.close()
    return counts


def test_kill_9_anything_anytime_and_every_application_ends_exactly_once(
    system: ProcessSystem, rng: random.Random
) -> None:
    count = 90
    submitter = Submitter(system.intake, count, rng, ITEMS, pause=0.04, auth=system.auth)
    chaos = Chaos(system, rng)
    submitter.start()
    chaos.start()
    chaos.join(180)
    submitter.join(180)
    assert len(submitter.ids) == count and not chaos.is_alive()
    assert set(VICTIMS) <= set(chaos.kills)

    per_app = {ITEMS[n % len(ITEMS)][0]: ITEMS[n % len(ITEMS)] for n in range(len(ITEMS))}
    tasks = sum(expected_tasks(ITEMS[n % len(ITEMS)]) for n in range(count))
    with httpx.Client(timeout=10, auth=system.auth) as http:
        def every_one_completed() -> list[dict]:
            apps = http.get(f"{system.intake}/api/v1/applications", params={"limit": 200}).json()
            assert apps["total"] == count  # a retried POST never made a second application
            done = [a for a in apps["items"] if a["status"] == "completed"]
            assert len(done) == count, f"{len(done)} of {count} completed"
            return apps["items"]

        try:
            apps = eventually(every_one_completed, timeout=120, interval=1)
        except AssertionError:
            print(system.logs())
            raise
        assert {a["id"] for a in apps} == set(submitter.ids)
        for app in apps:
            assert [i["item"] for i in app["items"]] == per_app[app["items"][0]["item"]]
            assert all(i["status"] == "decided" and i["decision"] for i in app["items"])

        for name in ("dept-civil_affairs", "dept-education", "dept-medical", "dept-housing",
                     "dept-federations"):
            page = http.get(f"{system.url(name)}/api/v1/tasks", params={"limit": 1}).json()
            decided = http.get(f"{system.url(name)}/api/v1/tasks",
                               params={"status": "decided", "limit": 1}).json()
            assert page["total"] == decided["total"] > 0, name
        assert_notices_once(system.data_dir, tasks, count)
        expected = expected_events(apps, tasks)

        def stream_holds_each_event_once() -> bool:
            # The last notices' events may still be on their way out of notify's outbox.
            assert asyncio.run(stream_counts(system.env["ONEDOOR_NATS_URL"])) == expected
            return True

        eventually(stream_holds_each_event_once, timeout=30, interval=1)
        dead = subprocess.run(
            [sys.executable, "-m", "services.launcher", "dead-letters", "--http-port",
             str(system.base), "--token", system.ops_token()], capture_output=True, text=True,
            timeout=60)
        assert "0 dead letter(s)" in dead.stdout, dead.stdout + dead.stderr
