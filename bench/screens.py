"""Screens with history: how long the people's busiest pages take with N applications in
intake's database (issue 10: "well under a second with 10,000").

    .venv/bin/python -m bench.screens --applications 10000

Starts a nats-server (loopback, a free port) and intake in this process (SQLite in a temporary
directory unless --database-url is given), registers N applications straight through intake's
handler in batches of 200 (what POST /api/v1/applications does, without HTTP), signs a window
clerk in through the sign-in page, then asks each page --repeat times and prints the median,
p95 and slowest time per page. Prints figures; asserts nothing about them.
"""

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.progress import Progress
from bench.report import ITEMS
from services.accounts import handlers as accounts
from services.accounts.domain import Role
from services.common import logs
from services.common.policy import load_policy
from services.common.settings import Settings
from services.intake import handlers
from services.intake.app import create_app
from services.intake.schemas import ApplicationCreate
from services.launcher.demo import sample_application
from services.launcher.natsserver import command, free_port, wait_until_listening

CLERK, PASSWORD, TOWNSHIP = "bench-window", "bench-screens-password", "基准镇"
BATCH = 200


async def load(app: Any, n: int, rng: random.Random, progress: Progress) -> list[str]:
    """``n`` applications registered by the clerk; their receipt numbers."""
    runtime, policy = app.state.runtime, load_policy(app.state.runtime.settings.region)
    receipts: list[str] = []
    while len(receipts) < n:
        async with runtime.uow.begin() as tx:
            for _ in range(min(BATCH, n - len(receipts))):
                body = sample_application(rng, ITEMS)
                body.pop("received_by")
                created, _ = await handlers.submit_application(
                    tx, ApplicationCreate.model_validate(body), idempotency_key=None,
                    policy=policy, received_by=CLERK, township=TOWNSHIP)
                receipts.append(created.receipt_no)
        progress.counted("registered", len(receipts), n)
    return receipts


async def timed(client: httpx.AsyncClient, url: str, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = await client.get(url)
        seconds.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise SystemExit(f"{url}: HTTP {answer.status_code}")
    return seconds


async def run(n: int, repeat: int, data_dir: Path, database_url: str | None) -> None:
    port = free_port()
    nats = subprocess.Popen(command(port, data_dir / "nats"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port)
        settings = Settings(nats_url=f"nats://127.0.0.1:{port}", data_dir=data_dir,
                            database_url=database_url, cookie_secure=False)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await accounts.add_account(app.state.authenticator.store, accounts.NewAccount(
                CLERK, "基准测试", Role.window, None, TOWNSHIP), departments=[],
                password=PASSWORD)
            print(f"registering {n} applications (batches of {BATCH})...", flush=True)
            started = time.perf_counter()
            receipts = await load(app, n, random.Random(7), Progress())
            print(f"  {n} in {time.perf_counter() - started:.1f} s", flush=True)
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as web:
                signed = await web.post("/ui/login", data={"username": CLERK,
                                                            "password": PASSWORD})
                if signed.status_code != 303:
                    raise SystemExit(f"sign-in: HTTP {signed.status_code}")
                middle = receipts[len(receipts) // 2]
                pages = {"worklist (newest 20)": "/ui/window",
                         "worklist, page 100": "/ui/window?offset=2000",
                         "search by receipt number": f"/ui/window?q={middle}",
                         "application page": f"/ui/applications/{middle}",
                         "receipt": f"/ui/applications/{middle}/receipt",
                         "intake form": "/ui/window/new"}
                print(f"\n{'page':<28}{'median':>10}{'p95':>10}{'slowest':>10}   ({repeat} each)")
                for name, url in pages.items():
                    seconds = sorted(await timed(web, url, repeat))
                    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
                    print(f"{name:<28}{statistics.median(seconds) * 1000:>8.1f}ms"
                          f"{p95 * 1000:>8.1f}ms{seconds[-1] * 1000:>8.1f}ms", flush=True)
    finally:
        nats.terminate()
        nats.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screens", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    logs.configure("bench-screens", "WARNING", json=False)  # the figures, not the services' lines
    with tempfile.TemporaryDirectory(prefix="onedoor-screens-") as tmp:
        asyncio.run(run(args.applications, args.repeat, Path(tmp), args.database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
