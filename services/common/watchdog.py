"""Keeps consumers honest: restarts a stalled pull subscription, records what the server gave up.

Pull subscriptions have been seen to stop fetching after a server restart (nats.py#504) while
messages wait: a consumer with pending messages and no batch for ``stall_seconds`` is
restarted. A message whose processing crashed the process on every delivery never reaches the
consumer's own dead-letter code; the server then announces it on the max-deliveries advisory,
and it is recorded as a dead letter from the stream.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import insert, select

from contracts import subjects
from services.common.consumer import BatchConsumer

log = logging.getLogger(__name__)

ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + subjects.STREAM + ".*"


class Watchdog:
    def __init__(self, consumers: dict[str, BatchConsumer], stall_seconds: float,
                 now: Callable[[], float] | None = None) -> None:
        self.consumers = consumers
        self.stall_seconds = stall_seconds
        self._now = now
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self, nc: Client, js: JetStreamContext) -> None:
        self._task = asyncio.create_task(self._run(nc, js), name="consumer-watchdog")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, nc: Client, js: JetStreamContext) -> None:
        async def on_advisory(msg: Msg) -> None:
            await self._on_max_deliveries(js, msg)

        # The client re-subscribes this core subscription after every reconnect.
        await nc.subscribe(ADVISORY, cb=on_advisory)
        interval = max(self.stall_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            if not nc.is_connected:
                continue  # nothing can be fetched while disconnected: not a stall
            for consumer in self.consumers.values():
                try:
                    await self.check(js, consumer)
                except Exception as exc:
                    log.warning("watchdog: cannot check %s: %s", consumer.name, exc)

    async def check(self, js: JetStreamContext, consumer: BatchConsumer) -> bool:
        """Restart ``consumer``'s subscription if it has work waiting but takes none."""
        info = await js.consumer_info(subjects.STREAM, consumer.name)
        loop_now = self._now() if self._now else asyncio.get_running_loop().time()
        idle = loop_now - consumer.last_batch_at
        if info.num_pending == 0 or idle < self.stall_seconds:
            return False
        log.warning("%s: %d message(s) waiting and no batch for %.0fs: restarting its pull "
                    "subscription", consumer.name, info.num_pending, idle)
        await consumer.subscriber.stop()
        await consumer.subscriber.start()
        consumer.last_batch_at = loop_now  # give the new subscription its own grace period
        self.restarts += 1
        return True

    async def _on_max_deliveries(self, js: JetStreamContext, msg: Msg) -> None:
        advisory = json.loads(msg.data)
        consumer = self.consumers.get(advisory.get("consumer", ""))
        if consumer is None:
            return  # another service's consumer
        seq = int(advisory["stream_seq"])
        tables = consumer.tables
        try:
            stored = await js.get_msg(subjects.STREAM, seq)
            async with consumer.uow.begin() as tx:
                known = await tx.session.scalar(
                    select(tables.dead_letters.c.id).where(
                        tables.dead_letters.c.consumer == consumer.name,
                        tables.dead_letters.c.stream_seq == seq))
                if known is None:
                    await tx.session.execute(insert(tables.dead_letters), [{
                        "consumer": consumer.name, "subject": stored.subject,
                        "message_id": (stored.headers or {}).get("Nats-Msg-Id"),
                        "data": stored.data or b"", "attempts": advisory.get("deliveries", 0),
                        "stream_seq": seq, "recorded_at": tx.clock.now(),
                        "error": "the server stopped redelivering it after "
                                 f"{advisory.get('deliveries')} deliveries (the process never "
                                 "finished handling it: crashed or timed out)",
                    }])
            log.error("%s: dead letter at stream sequence %d (max deliveries)", consumer.name, seq)
        except Exception:
            log.exception("%s: could not record the dead letter at sequence %d", consumer.name, seq)
