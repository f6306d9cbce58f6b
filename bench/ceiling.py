"""The ceiling: how many messages per second one acknowledged JetStream hop carries here —
no OneDoor code, only nats-py and a nats-server started as ``onedoor up`` starts it
(loopback, a free port, JetStream with file storage).

    .venv/bin/python -m bench.ceiling --messages 20000

A publisher sends M messages to a stream, each acknowledged by the server (pipelined, at most
``window`` awaiting their acknowledgement), while a durable pull consumer fetches them in
batches and acknowledges each; the rate is M over the time from the first publish to the last
acknowledgement. Prints figures; asserts nothing about them.
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType

from services.launcher.natsserver import command, free_port, wait_until_listening

STREAM, SUBJECT, DURABLE = "CEILING", "ceiling.hop", "ceiling"


@dataclass(frozen=True)
class Ceiling:
    messages: int
    seconds: float  # first publish to last acknowledgement
    publish_seconds: float  # first publish to the server's last publish acknowledgement

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def publish_per_s(self) -> float:
        return self.messages / self.publish_seconds if self.publish_seconds else 0.0


async def measure(url: str, messages: int, *, payload: int = 512, batch: int = 256,
                  window: int = 512) -> Ceiling:
    """One hop, ``messages`` times, on the JetStream at ``url``."""
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=window)
    await js.add_stream(name=STREAM, subjects=[SUBJECT], storage=StorageType.FILE)
    pull = await js.pull_subscribe(SUBJECT, durable=DURABLE, stream=STREAM,
                                   config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT,
                                                         max_ack_pending=-1))
    body = b"x" * payload

    async def publish() -> float:
        acks = [await js.publish_async(SUBJECT, body) for _ in range(messages)]
        await asyncio.gather(*acks)  # raises if the server refused one
        return time.perf_counter() - started

    async def consume() -> None:
        done = 0
        while done < messages:
            try:
                got = await pull.fetch(min(batch, messages - done), timeout=5)
            except nats.errors.TimeoutError:
                continue
            for msg in got:
                await msg.ack()
            done += len(got)
        await nc.flush()  # every acknowledgement has reached the server

    started = time.perf_counter()
    publish_seconds, _ = await asyncio.gather(publish(), consume())
    seconds = time.perf_counter() - started
    # The server takes in the last acknowledgements a moment after the flush: checked, not timed.
    for _ in range(100):
        floor = (await js.consumer_info(STREAM, DURABLE)).ack_floor.stream_seq
        if floor >= messages:
            break
        await asyncio.sleep(0.05)
    await js.delete_stream(STREAM)
    await nc.close()
    if floor != messages:
        raise RuntimeError(f"ceiling: {floor} of {messages} acknowledged")
    return Ceiling(messages, seconds, publish_seconds)


def run(messages: int, store_dir: Path | None = None) -> Ceiling:
    """Start a nats-server of its own, measure, stop it."""
    with tempfile.TemporaryDirectory(prefix="onedoor-ceiling-") as tmp:
        port = free_port()
        server = subprocess.Popen(command(port, store_dir or Path(tmp) / "nats"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_listening(port)
            return asyncio.run(measure(f"nats://127.0.0.1:{port}", messages))
        finally:
            server.terminate()
            server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args(argv)
    found = run(args.messages)
    print(f"{found.messages} messages, one acknowledged hop: {found.msgs_per_s:,.0f} messages/s "
          f"(published at {found.publish_per_s:,.0f}/s, {found.seconds:.2f}s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
