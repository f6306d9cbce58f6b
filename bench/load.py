"""Load: N applications through the whole system, every service its own process, counted at
every stage at the end — every count must match.

    .venv/bin/python -m bench.load --applications 10000        (make bench)

Starts ``onedoor up`` on free loopback ports (its own nats-server, SQLite files in a temporary
directory unless --database-url is given), with departments deciding by themselves at once.
Each application asks for three kinds of help in three departments. Prints the figures and
exits non-zero if any count is off.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from contracts import subjects
from services.launcher.demo import sample_application
from services.launcher.natsserver import free_port, port_is_free
from services.launcher.topology import topology

ITEMS = ["dibao", "education_aid", "medical_aid"]  # three departments
DEPARTMENTS = ("civil_affairs", "education", "medical")


@dataclass
class Report:
    applications: int
    submit_seconds: float = 0.0
    complete_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)

    @property
    def mismatches(self) -> list[str]:
        return [f"{k}: expected {v}, counted {self.counts.get(k)}"
                for k, v in self.expected.items() if self.counts.get(k) != v]

    def print(self) -> None:
        n = self.applications
        print(f"\napplications: {n} (each with {len(ITEMS)} items in {len(DEPARTMENTS)} departments)")
        print(f"submitted in {self.submit_seconds:.1f}s: {n / self.submit_seconds:.0f} applications/s")
        print(f"all completed {self.complete_seconds:.1f}s after the first submission: "
              f"{n / self.complete_seconds:.0f} applications/s end to end")
        print(f"\n{'stage':<44}{'expected':>10}{'counted':>10}")
        for key, value in self.expected.items():
            mark = "" if self.counts.get(key) == value else "   <-- MISMATCH"
            print(f"{key:<44}{value:>10}{self.counts.get(key, '-')!s:>10}{mark}")
        print("\nevery count matches" if not self.mismatches else
              f"\n{len(self.mismatches)} count(s) do not match")


async def submit(intake: str, n: int, concurrency: int, rng: random.Random) -> list[str]:
    """Post ``n`` applications, ``concurrency`` at a time, each retried under its own key."""
    bodies = [sample_application(rng, ITEMS) for _ in range(n)]
    ids: list[str] = []
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency)

    async with httpx.AsyncClient(base_url=intake, timeout=60, limits=limits) as http:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                key = {"Idempotency-Key": uuid.uuid4().hex}
                while True:
                    try:
                        r = await http.post("/api/v1/applications", json=body, headers=key)
                        if r.status_code == 201:
                            ids.append(r.json()["id"])
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


async def wait_completed(intake: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=intake, timeout=30) as http:
        while time.monotonic() < deadline:
            page = (await http.get("/api/v1/applications",
                                   params={"status": "completed", "limit": 1})).json()
            if page["total"] >= n:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"not every application completed within {timeout}s")


async def wait_quiet(base_port: int, nats_url: str, timeout: float) -> None:
    """Until nothing moves: every consumer has delivered and been acknowledged everything,
    and no service has an event left to publish (seen twice in a row)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    deadline, quiet = time.monotonic() + timeout, 0
    async with httpx.AsyncClient(timeout=30) as http:
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("the system did not settle")
            consumers = await js.consumers_info(subjects.STREAM)
            busy = any(c.num_pending or c.num_ack_pending for c in consumers)
            for spec in topology(base_port):
                stats = (await http.get(f"http://127.0.0.1:{spec.port}/api/v1/ops/stats")).json()
                busy = busy or stats["outbox_unpublished"] > 0
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.5)
    await nc.close()


async def count_stages(base_port: int, nats_url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for spec in topology(base_port):
            stats = (await http.get(f"http://127.0.0.1:{spec.port}/api/v1/ops/stats")).json()
            for table, rows in stats["rows"].items():
                if table not in ("outbox", "processed_messages", "dead_letters"):
                    counts[f"{spec.name}: {table}"] = rows
            counts[f"{spec.name}: events not yet published"] = stats["outbox_unpublished"]
            counts[f"{spec.name}: open dead letters"] = stats["dead_letters_open"]
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().stream_info(subjects.STREAM, subjects_filter=">")
    await nc.close()
    per_event: Counter[str] = Counter()
    for subject, number in (info.state.subjects or {}).items():
        parts = subject.split(".")
        per_event[f"stream: {parts[1]}.{parts[2]}"] += number
    counts.update(per_event)
    return counts


def expected_counts(n: int) -> dict[str, int]:
    tasks, notices = len(DEPARTMENTS) * n, 2 * len(DEPARTMENTS) * n + 2 * n
    expected = {
        "intake: applications": n, "intake: application_items": tasks,
        "intake: notifications": notices, "routing: handoffs": tasks,
        "notify: cases": n, "notify: decisions": tasks, "notify: notices": notices,
        "stream: application.submitted": n, "stream: application.routed": n,
        "stream: task.assigned": tasks, "stream: task.accepted": tasks,
        "stream: task.decided": tasks, "stream: application.completed": n,
        "stream: notification.sent": notices,
    }
    for code in DEPARTMENTS:
        expected[f"dept-{code}: tasks"] = n
    for spec in topology(0):
        expected[f"{spec.name}: events not yet published"] = 0
        expected[f"{spec.name}: open dead letters"] = 0
    return expected


def run(n: int, data_dir: Path, *, concurrency: int = 32, database_url: str | None = None,
        timeout: float = 1800, seed: int = 1, env: dict[str, str] | None = None) -> Report:
    """Start the system, push ``n`` applications through it, count, stop; returns the figures."""
    base, nats_port = _port_block(9), free_port()
    args = [sys.executable, "-m", "services.launcher", "up", "--data-dir", str(data_dir),
            "--http-port", str(base), "--nats-port", str(nats_port), "--auto-decide-after", "0"]
    if database_url:
        args += ["--database-url", database_url]
    log = (data_dir / "onedoor-up.log")
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        up = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        try:
            _wait_ready([s.port for s in topology(base)], up, log)
            report = Report(n)
            started = time.monotonic()
            asyncio.run(submit(f"http://127.0.0.1:{base}", n, concurrency, random.Random(seed)))
            report.submit_seconds = time.monotonic() - started
            asyncio.run(wait_completed(f"http://127.0.0.1:{base}", n, timeout))
            report.complete_seconds = time.monotonic() - started
            asyncio.run(wait_quiet(base, f"nats://127.0.0.1:{nats_port}", timeout))
            report.counts = asyncio.run(count_stages(base, f"nats://127.0.0.1:{nats_port}"))
            report.expected = expected_counts(n)
            return report
        finally:
            up.send_signal(2)
            up.wait(60)


def _port_block(size: int) -> int:
    for _ in range(200):
        base = free_port()
        if base + size < 65535 and all(port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free ports")


def _wait_ready(ports: list[int], up: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            if up.poll() is not None:
                raise RuntimeError(f"onedoor up exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"port {port} not ready")
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite files")
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary directory")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="onedoor-bench-"))
    print(f"data and logs: {data_dir}")
    report = run(args.applications, data_dir, concurrency=args.concurrency,
                 database_url=args.database_url)
    report.print()
    sys.exit(1 if report.mismatches else 0)


if __name__ == "__main__":
    main()
