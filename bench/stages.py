"""The end of a load: wait until nothing moves, then count what every stage holds."""

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import nats

from contracts import subjects
from services.common.natsauth import connect_options
from services.launcher.topology import topology


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
