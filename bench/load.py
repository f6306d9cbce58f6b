"""Load: N applications through the whole system, every service its own process, counted at
every stage at the end — every count must match.

    .venv/bin/python -m bench.load --applications 10000        (make bench)

Starts ``onedoor up`` on free loopback ports (its own nats-server, SQLite files in a temporary
directory unless --database-url is given), with departments deciding by themselves at once.
Each application asks for three kinds of help in three departments. Prints what it is doing
as it goes, then the figures; exits non-zero if any count is off. Its temporary directory is
removed at the end unless --keep is given (or the run failed: its logs are kept then).
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import nats

from bench.progress import Progress
from bench.report import ITEMS, Report, expected_counts
from contracts import subjects
from services.common.natsauth import connect_options
from services.launcher.demo import sample_application
from services.launcher.natsconfig import admin_credentials
from services.launcher.natsserver import free_port, port_is_free
from services.launcher.topology import topology


async def submit(intake: str, n: int, concurrency: int, rng: random.Random,
                 progress: Progress, headers: dict[str, str] | None = None) -> list[str]:
    """Post ``n`` applications, ``concurrency`` at a time, each retried under its own key, as
    the window account of ``headers`` (it receives them)."""
    bodies = [sample_application(rng, ITEMS) for _ in range(n)]
    for body in bodies:
        body.pop("received_by")
    ids: list[str] = []
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency)

    async with httpx.AsyncClient(base_url=intake, timeout=60, limits=limits,
                                 headers=headers) as http:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                key = {"Idempotency-Key": uuid.uuid4().hex}
                while True:
                    try:
                        r = await http.post("/api/v1/applications", json=body, headers=key)
                        if r.status_code == 201:
                            ids.append(r.json()["id"])
                            progress.counted("submitted", len(ids), n)
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


async def wait_completed(intake: str, n: int, timeout: float, progress: Progress,
                         headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=intake, timeout=30, headers=headers) as http:
        while time.monotonic() < deadline:
            page = (await http.get("/api/v1/applications",
                                   params={"status": "completed", "limit": 1})).json()
            progress.counted("completed", min(page["total"], n), n)
            if page["total"] >= n:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"not every application completed within {timeout}s")


async def wait_quiet(base_port: int, nats_url: str, timeout: float,
                     credentials: Path | None = None,
                     headers: dict[str, str] | None = None) -> None:
    """Until nothing moves: every consumer has delivered and been acknowledged everything,
    and no service has an event left to publish (seen twice in a row). ``credentials``: the
    admin's, on the closed bus `onedoor up` starts."""
    nc = await nats.connect(nats_url, **connect_options(credentials))
    js = nc.jetstream()
    deadline, quiet = time.monotonic() + timeout, 0
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
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


async def count_stages(base_port: int, nats_url: str,
                       credentials: Path | None = None,
                       headers: dict[str, str] | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        for spec in topology(base_port):
            stats = (await http.get(f"http://127.0.0.1:{spec.port}/api/v1/ops/stats")).json()
            for table, rows in stats["rows"].items():
                if table not in ("outbox", "processed_messages", "dead_letters"):
                    counts[f"{spec.name}: {table}"] = rows
            counts[f"{spec.name}: events not yet published"] = stats["outbox_unpublished"]
            counts[f"{spec.name}: open dead letters"] = stats["dead_letters_open"]
    nc = await nats.connect(nats_url, **connect_options(credentials))
    info = await nc.jetstream().stream_info(subjects.STREAM, subjects_filter=">")
    await nc.close()
    per_event: Counter[str] = Counter()
    for subject, number in (info.state.subjects or {}).items():
        parts = subject.split(".")
        per_event[f"stream: {parts[1]}.{parts[2]}"] += number
    counts.update(per_event)
    return counts


def run(n: int, data_dir: Path, *, concurrency: int = 32, database_url: str | None = None,
        timeout: float = 1800, seed: int = 1, env: dict[str, str] | None = None,
        progress: Progress | None = None) -> Report:
    """Start the system, push ``n`` applications through it, count, stop; returns the figures."""
    progress = progress or Progress()
    base, nats_port = _port_block(9), free_port()
    args = [sys.executable, "-m", "services.launcher", "up", "--data-dir", str(data_dir),
            "--http-port", str(base), "--nats-port", str(nats_port), "--auto-decide-after", "0"]
    if database_url:
        args += ["--database-url", database_url]
    log = (data_dir / "onedoor-up.log")
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        progress.say(f"starting the system (onedoor up; its log: {log})")
        up = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        try:
            _wait_ready([s.port for s in topology(base)], up, log)
            window, ops = _credentials(data_dir, database_url, env)
            progress.say(f"every service is ready; submitting {n} application(s), "
                         f"{concurrency} at a time")
            report = Report(n)
            started = time.monotonic()
            asyncio.run(submit(f"http://127.0.0.1:{base}", n, concurrency, random.Random(seed),
                               progress, window))
            report.submit_seconds = time.monotonic() - started
            asyncio.run(wait_completed(f"http://127.0.0.1:{base}", n, timeout, progress, window))
            report.complete_seconds = time.monotonic() - started
            progress.say("every application completed; waiting until nothing moves")
            asyncio.run(wait_quiet(base, f"nats://127.0.0.1:{nats_port}", timeout,
                                   admin_credentials(data_dir), ops))
            progress.say("counting every stage")
            report.counts = asyncio.run(count_stages(base, f"nats://127.0.0.1:{nats_port}",
                                                     admin_credentials(data_dir), ops))
            report.expected = expected_counts(n)
            return report
        finally:
            progress.say("stopping the system")
            up.send_signal(2)
            up.wait(60)


def _credentials(data_dir: Path, database_url: str | None,
                 env: dict[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """Bearer headers of a window account made for the run (``onedoor staff add``) and of the
    ops token ``up`` left in the data directory."""
    args = [sys.executable, "-m", "services.launcher", "staff", "add", "--name", "bench",
            "--role", "window", "--username", f"bench-{uuid.uuid4().hex[:8]}", "--json",
            "--data-dir", str(data_dir)] + (["--database-url", database_url] if database_url else [])
    made = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, **(env or {})})
    window = json.loads(made.stdout)["token"]
    ops = (data_dir / "ops-token").read_text().strip()
    return {"Authorization": f"Bearer {window}"}, {"Authorization": f"Bearer {ops}"}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=10_000,
                        help="how many (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight at once (default: %(default)s)")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite files")
    parser.add_argument("--data-dir", type=Path,
                        help="where the databases and logs go, kept (default: a temporary "
                             "directory, removed at the end)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (it is kept anyway when the run fails)")
    args = parser.parse_args(argv)
    temporary = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="onedoor-bench-"))
    print(f"data and logs: {data_dir}", flush=True)
    ok = False
    try:
        report = run(args.applications, data_dir, concurrency=args.concurrency,
                     database_url=args.database_url)
        report.print()
        ok = not report.mismatches
    finally:
        if temporary and ok and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            print(f"removed {data_dir} (--keep keeps it)")
        else:
            print(f"data and logs kept in {data_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
