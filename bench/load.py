"""Load: N applications through the whole system, every service its own process, counted at
every stage at the end — every count must match.

    .venv/bin/python -m bench.load --applications 10000

(``onedoor bench``, ``make bench``, runs it on SQLite and on PostgreSQL, with the ceiling and
the system at rest: bench/suite.py.)

Starts ``onedoor up`` on free loopback ports (its own nats-server, SQLite files in a temporary
directory unless --database-url is given), with departments deciding by themselves at once.
Each application asks for three kinds of help in three departments. Prints what it is doing
as it goes, then the figures (throughput, each POST's latency, every hop's hand-off latency
from the span files, CPU and memory per process); exits non-zero if any count is off. Its
temporary directory is removed at the end unless --keep is given (or the run failed: its logs
are kept then).
"""

import argparse
import asyncio
import itertools
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import nats

from bench.at_rest import cpu_of, find_processes, memory_of, peak_rss_mb, rss_mb
from bench.figures import handoffs
from bench.history import multiply
from bench.progress import Progress
from bench.report import ITEMS, Report, expected_counts
from bench.stages import count_stages, wait_quiet
from bench.system import System, running
from contracts import subjects
from services.common.natsauth import connect_options
from services.launcher.demo import sample_application
from services.launcher.natsconfig import admin_credentials


async def submit(intake: str, n: int, concurrency: int, rng: random.Random,
                 progress: Progress, headers: dict[str, str] | None = None,
                 latencies: list[tuple[float, float]] | None = None,
                 rate: float | None = None) -> list[str]:
    """Post ``n`` applications, ``concurrency`` at a time, each retried under its own key, as
    the window account of ``headers`` (it receives them); each accepted POST's (seconds since
    the first, milliseconds it took) goes into ``latencies``. With ``rate``, the k-th is sent
    no sooner than k/rate seconds after the start (open loop, while fewer than ``concurrency``
    are in flight); without, each as soon as a slot is free."""
    bodies = [sample_application(rng, ITEMS) for _ in range(n)]
    for body in bodies:
        body.pop("received_by")
    ids: list[str] = []
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency)
    latencies = latencies if latencies is not None else []
    started, slots = time.perf_counter(), itertools.count()

    async with httpx.AsyncClient(base_url=intake, timeout=60, limits=limits,
                                 headers=headers) as http:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                if rate:
                    await asyncio.sleep(started + next(slots) / rate - time.perf_counter())
                key = {"Idempotency-Key": uuid.uuid4().hex}
                while True:
                    try:
                        sent = time.perf_counter()
                        r = await http.post("/api/v1/applications", json=body, headers=key)
                        if r.status_code == 201:
                            done = time.perf_counter()
                            latencies.append((done - started, (done - sent) * 1000))
                            ids.append(r.json()["id"])
                            progress.counted("submitted", len(ids), n)
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


async def wait_completed(nats_url: str, credentials: Path | None, n: int, timeout: float,
                         progress: Progress, samples: list[tuple[float, int]] | None = None,
                         started: float | None = None, already: int = 0) -> None:
    """Until ``n`` applications more than ``already`` are completed (their completion event
    is on the stream: counted there, so that the count costs intake nothing, whatever the
    history); (seconds since ``started``, completed so far) go into ``samples`` twice a
    second."""
    samples = samples if samples is not None else []
    started = time.monotonic() if started is None else started
    deadline = time.monotonic() + timeout
    nc = await nats.connect(nats_url, **connect_options(credentials))
    try:
        while time.monotonic() < deadline:
            done = await completed_on_stream(nc) - already
            samples.append((time.monotonic() - started, done))
            progress.counted("completed", min(done, n), n)
            if done >= n:
                return
            await asyncio.sleep(0.5)
    finally:
        await nc.close()
    raise TimeoutError(f"not every application completed within {timeout}s")


async def completed_on_stream(nc: nats.NATS) -> int:
    info = await nc.jetstream().stream_info(subjects.STREAM,
                                            subjects_filter=subjects.APPLICATION_COMPLETED)
    return sum((info.state.subjects or {}).values())


def run(n: int, data_dir: Path, *, concurrency: int = 32, database_url: str | None = None,
        timeout: float = 1800, seed: int = 1, env: dict[str, str] | None = None,
        progress: Progress | None = None, rate: float | None = None,
        history: int = 0) -> Report:
    """Start the system, push ``n`` applications through it, count, stop; returns the figures,
    with each POST's latency, the completed count over time, each process's CPU and memory
    during the load, and every hop's hand-off latency from the span files. With ``history``,
    the databases first hold about that many past applications (bench/history.py)."""
    progress = progress or Progress()
    progress.restart_counts()
    credentials = admin_credentials(data_dir)
    with running(data_dir, database_url=database_url, env=env, progress=progress) as system:
        window, ops = system.credentials()
        processes = find_processes(system.http_port, system.nats_port)
        baseline: dict[str, int] = {}
        if history:
            baseline = _make_history(system, n, history, seed + 1, concurrency, timeout,
                                     window, ops, progress, (env or {}).get(
                                         "ONEDOOR_DATABASE_SCHEMA_PREFIX", ""))
        pace = f", {rate:g}/s at most" if rate else ""
        progress.say(f"every service is ready; submitting {n} application(s), "
                     f"{concurrency} at a time{pace}")
        report = Report(n, database="postgresql" if database_url else "sqlite",
                        history=baseline.get("intake: applications", 0), baseline=baseline)
        cpu_before = cpu_of(processes)
        report.started_epoch = time.time()
        asyncio.run(_drive(system, n, concurrency, seed, timeout, progress, window,
                           report, rate, already=baseline.get(COMPLETED, 0)))
        progress.say("every application completed; waiting until nothing moves")
        asyncio.run(wait_quiet(system.http_port, system.nats_url, timeout, credentials, ops))
        cpu_after = cpu_of(processes)
        report.cpu_seconds = {name: cpu_after[name] - cpu_before[name]
                              for name in processes if name in cpu_before and name in cpu_after}
        report.rss_mb = memory_of(processes, rss_mb)
        report.peak_rss_mb = memory_of(processes, peak_rss_mb)
        progress.say("counting every stage")
        report.counts = asyncio.run(count_stages(system.http_port, system.nats_url,
                                                 credentials, ops))
        report.expected = {k: baseline.get(k, 0) + v for k, v in expected_counts(n).items()}
    # After the stop: every process has written out its last spans (the measured load's).
    since = int(report.started_epoch * 1e9)
    report.handoffs = [h for h in handoffs(data_dir / "traces") if h[0] >= since]
    return report


COMPLETED = "stream: application.completed"


def _make_history(system: System, n: int, history: int, seed: int, concurrency: int,
                  timeout: float, window: dict[str, str], ops: dict[str, str],
                  progress: Progress, schema_prefix: str) -> dict[str, int]:
    """``n`` applications through the system, then their rows copied until the databases
    hold about ``history``; returns what every stage counts then (the measured load's
    baseline)."""
    progress.say(f"history: {n} application(s) through the system, then copied to {history:,}")
    report = Report(n)
    asyncio.run(_drive(system, n, concurrency, seed, timeout, progress, window, report, None))
    asyncio.run(wait_quiet(system.http_port, system.nats_url, timeout,
                           admin_credentials(system.data_dir), ops))
    multiply(system.data_dir, system.database_url, schema_prefix, max(1, -(-history // n)),
             progress)
    progress.restart_counts()
    return asyncio.run(count_stages(system.http_port, system.nats_url,
                                    admin_credentials(system.data_dir), ops))


async def _drive(system: System, n: int, concurrency: int, seed: int, timeout: float,
                 progress: Progress, window: dict[str, str], report: Report,
                 rate: float | None, already: int = 0) -> None:
    """Submit, counting the completed ones meanwhile (the rate over time from the start)."""
    started = time.monotonic()
    completing = asyncio.create_task(wait_completed(
        system.nats_url, admin_credentials(system.data_dir), n, timeout, progress,
        report.completed, started, already))
    try:
        await submit(system.intake, n, concurrency, random.Random(seed), progress, window,
                     report.post_ms, rate)
        report.submit_seconds = time.monotonic() - started
        await completing
    finally:
        completing.cancel()
    report.complete_seconds = time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=10_000,
                        help="how many (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight at once (default: %(default)s)")
    parser.add_argument("--rate", type=float,
                        help="applications per second to submit, at most (default: as fast "
                             "as they are taken)")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite files")
    parser.add_argument("--history", type=int, default=0,
                        help="past applications the databases hold first (default: none)")
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
        report = run(args.applications, data_dir, concurrency=args.concurrency, rate=args.rate,
                     database_url=args.database_url, history=args.history)
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
