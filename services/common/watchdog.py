"""Keeps consumers honest: restarts a stalled pull subscription, creates a deleted durable
again, records what the server gave up.

Pull subscriptions have been seen to stop fetching after a server restart (nats.py#504) while
messages wait: a consumer with pending messages and no batch for ``stall_seconds`` is
restarted. A durable deleted on the server (``js.delete_consumer`` from any client) would stop
its flow for ever: it is created again with its declared configuration, from where it had got
to, and its subscription restarted. Both are seen by the one ``consumer_info`` per consumer and
interval the watchdog asks anyway. A message whose processing crashed the process on every
delivery never reaches the consumer's own dead-letter code; the server then announces it on
the max-deliveries advisory, and it is recorded as a dead letter from the stream.

On a closed bus (services/launcher/natsperms.py) a service's NATS user may create its own
durables only (their names, their filter subjects), never delete one nor touch the stream.
Creating one again is allowed on purpose: without it a durable deleted by an operator's
mistake (only the admin user may delete) would stop that flow until the next `onedoor up`,
while all a service can create is what it already reads; deleting and changing the stream
stay with the admin. The advisories it hears are its own consumers' only, and it reads a
dead letter back through a reader consumer of its own subject (jetstream.read_own_message).
"""

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError
from sqlalchemy import insert, select

from contracts import subjects
from services.common.consumer import BatchConsumer
from services.common.jetstream import read_own_message

log = logging.getLogger(__name__)

ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + subjects.STREAM + ".{durable}"
CONSUMER_NOT_FOUND = 10014  # JetStream's error code (a missing stream has its own, 10059)
ADVISORY_QUEUE = "onedoor-dead-letters"  # the copies of one service share each advisory
MAX_INTERVAL = 15.0  # seconds between rounds at most: the owner record lives 60 (instance.py)


class Watchdog:
    def __init__(self, consumers: dict[str, BatchConsumer], stall_seconds: float,
                 now: Callable[[], float] | None = None) -> None:
        self.consumers = consumers
        self.stall_seconds = stall_seconds
        self._now = now
        self.restarts = 0
        self.recreated = 0  # deleted durables created again
        # Each consumer's acknowledged floor (stream sequence) when last seen: a durable
        # created again starts after it. Earlier than the truth is safe (processed messages
        # are skipped), later would lose messages: it is only ever read from the server.
        self._floors: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        # Also done each round (e.g. renewing the service's owner record on NATS).
        self.every_round: list[Callable[[JetStreamContext], Awaitable[None]]] = []

    def start(self, nc: Client, js: JetStreamContext) -> None:
        self._task = asyncio.create_task(self._run(nc, js), name="consumer-watchdog")

    async def stop(self) -> None:
        task, self._task = self._task, None
        # Cancelled again until it ends: a cancellation that lands as a NATS request completes
        # is swallowed by asyncio.wait_for (Python 3.11), and the loop would sleep on.
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1)

    async def _run(self, nc: Client, js: JetStreamContext) -> None:
        async def on_advisory(msg: Msg) -> None:
            await self._on_max_deliveries(js, msg)

        # The client re-subscribes these core subscriptions after every reconnect. One per
        # consumer of this service: another service's advisories are not its business (and
        # on a closed bus not allowed).
        for name in self.consumers:
            # A queue group: one copy of the service records each dead letter, not every copy.
            await nc.subscribe(advisory_subject(name), queue=ADVISORY_QUEUE, cb=on_advisory)
        await self._note_floors(js)
        interval = min(max(self.stall_seconds / 3, 0.5), MAX_INTERVAL)
        while True:
            await asyncio.sleep(interval)
            if not nc.is_connected:
                continue  # nothing can be fetched while disconnected: not a stall
            for consumer in self.consumers.values():
                try:
                    await self.check(js, consumer)
                except Exception as exc:
                    log.warning("watchdog: cannot check %s: %s", consumer.name, exc)
            for task in self.every_round:
                try:
                    await task(js)
                except Exception as exc:
                    log.warning("watchdog: %s failed: %s", getattr(task, "__name__", task), exc)

    async def _note_floors(self, js: JetStreamContext) -> None:
        """Where each consumer is at start, in case it is deleted before the first check."""
        for consumer in self.consumers.values():
            with contextlib.suppress(Exception):
                info = await js.consumer_info(subjects.STREAM, consumer.name)
                self._floors[consumer.name] = info.ack_floor.stream_seq or 0

    async def check(self, js: JetStreamContext, consumer: BatchConsumer) -> bool:
        """Create ``consumer``'s durable again if it is gone from the server; restart its
        subscription if it has work waiting but takes none. True if either was done."""
        try:
            info = await js.consumer_info(subjects.STREAM, consumer.name)
        except NotFoundError as exc:
            if exc.err_code != CONSUMER_NOT_FOUND:
                raise
            await self.recreate(js, consumer)
            return True
        self._floors[consumer.name] = info.ack_floor.stream_seq or 0
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

    async def recreate(self, js: JetStreamContext, consumer: BatchConsumer) -> None:
        """Create the deleted durable with its declared configuration (filter subject, acks,
        max deliveries, ack wait...), starting after the floor it had reached, and restart
        the pull subscription on it."""
        config = consumer.config
        floor = self._floors.get(consumer.name, 0)
        if floor:
            config = dataclasses.replace(config, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                                         opt_start_seq=floor + 1)
        log.warning("%s: the durable consumer is missing on the server: creating it again from "
                    "stream sequence %d, and its pull subscription", consumer.name, floor + 1)
        # The old subscription goes first: a pull request it left waiting would otherwise be
        # served by the new durable into an inbox nobody reads (held until ack_wait).
        await consumer.subscriber.stop()
        try:
            await js.add_consumer(subjects.STREAM, config)
        except BadRequestError as exc:  # another process of this service was first
            log.info("%s: not created again (%s): binding to it", consumer.name, exc.description)
        await consumer.subscriber.start()
        consumer.last_batch_at = self._now() if self._now else asyncio.get_running_loop().time()
        self.recreated += 1

    async def _on_max_deliveries(self, js: JetStreamContext, msg: Msg) -> None:
        advisory = json.loads(msg.data)
        consumer = self.consumers.get(advisory.get("consumer", ""))
        if consumer is None:
            return  # another service's consumer
        seq = int(advisory["stream_seq"])
        tables = consumer.tables
        try:
            stored = await read_own_message(js, consumer.config, seq)
            if stored is None:
                log.error("%s: the message at stream sequence %d is gone from the stream: no "
                          "dead letter recorded", consumer.name, seq)
                return
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


def advisory_subject(durable: str) -> str:
    """Where the server announces a message of ``durable`` it stopped redelivering."""
    return ADVISORY.format(durable=durable)
