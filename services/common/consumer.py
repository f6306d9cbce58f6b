"""Idempotent batch consumer: a batch of deliveries, one transaction, acks after commit.

A JetStream pull batch is decoded message by message (a malformed one is set aside, never
blocking the others), then every new message's effect and its processed-message row are
committed in one transaction, and only then are the messages acknowledged (``ack_sync``,
all in flight at once). If the batch fails, each message is retried alone so that one bad
message cannot hold back the rest; a message that keeps failing is recorded as a dead letter.
A handler may also refuse a message it must not apply (``Refused``): it becomes a dead letter
in the same transaction as the batch, at once, and is never retried.
"""

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.message import StreamMessage
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from contracts import Envelope
from services.common.deliveries import Delivery, Refused, RetryPolicy, envelope_decoder
from services.common.tracing import extract, message_attributes
from services.common.uow import Transaction, UnitOfWork

__all__ = ["BatchConsumer", "BatchLock", "Delivery", "Handler", "Refused", "RetryPolicy", "envelope_decoder"]

log = logging.getLogger(__name__)

Handler = Callable[[Transaction, Any], Awaitable[None]]
# Called once per batch, before its handlers, with the batch's new messages: e.g. to lock the
# rows they will change, all at once and in one order (copies of a service then neither
# overwrite each other's changes nor deadlock).
BatchLock = Callable[[Transaction, list[Any]], Awaitable[None]]
TRANSIENT_RETRIES = 3


class BatchConsumer:
    """One durable consumer: its name (the durable's), message type and handler."""

    def __init__(self, uow: UnitOfWork, name: str, retry: RetryPolicy | None = None) -> None:
        self.uow = uow
        self.name = name
        self.retry = retry or RetryPolicy()
        self.tables = uow.tables
        self.model: type[Envelope[Any]] | None = None
        self.handle: Handler | None = None
        self.lock: BatchLock | None = None
        self.subscriber: Any = None  # the faststream subscriber, to restart it if it stalls
        self.config: Any = None  # its durable's ConsumerConfig, to create it again if deleted
        self.last_batch_at = 0.0  # loop time of the last batch, to tell a stalled consumer
        self.metrics: Any = None  # set by Runtime.consumer

    def bind(self, model: type[Envelope[Any]], handle: Handler, subscriber: Any,
             config: Any = None, lock: BatchLock | None = None) -> None:
        self.model, self.handle, self.subscriber = model, handle, subscriber
        self.config, self.lock = config, lock

    async def process(self, message: StreamMessage[list[Msg]]) -> None:
        """Apply the handler once per new message of the batch, then acknowledge the batch."""
        assert self.handle is not None
        handle = self.handle
        self.last_batch_at = asyncio.get_running_loop().time()
        malformed: list[tuple[Msg, str]] = message.malformed  # type: ignore[attr-defined]
        deliveries: list[Delivery] = message.deliveries  # type: ignore[attr-defined]
        if malformed:
            await self._dead_letter([(raw, None, error) for raw, error in malformed])
        if not deliveries:
            return
        try:
            await self._apply_retrying(deliveries, handle)
        except Exception as exc:
            if len(deliveries) == 1:
                await self._failed(deliveries[0], exc)
                return
            log.warning("%s: batch of %d failed (%s); one by one", self.name, len(deliveries),
                        exc.__class__.__name__)
            for delivery in deliveries:
                try:
                    await self._apply_retrying([delivery], handle)
                except Exception as exc:
                    await self._failed(delivery, exc)

    async def _apply_retrying(self, deliveries: list[Delivery], handle: Handler) -> None:
        """Database errors are often passing (a deadlock with another process, a lost
        connection, a race on a new row): try again at once, a few times, before the slower
        redelivery with back-off. Re-running is safe: each message's effect commits once."""
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                await self._apply(deliveries, handle)
                return
            except DBAPIError as exc:
                if attempt == TRANSIENT_RETRIES:
                    raise
                log.info("%s: %s; trying again", self.name, exc.__class__.__name__)
                await asyncio.sleep(random.uniform(0.01, 0.05) * 2**attempt)

    async def _apply(self, deliveries: list[Delivery], handle: Handler) -> None:
        started = time.perf_counter()
        processed = self.tables.processed
        async with self.uow.begin() as tx:
            ids = {d.envelope.message_id for d in deliveries}
            seen = set(
                (
                    await tx.session.scalars(
                        select(processed.c.message_id).where(
                            processed.c.consumer == self.name, processed.c.message_id.in_(ids)
                        )
                    )
                ).all()
            )
            now = tx.clock.now()
            if self.lock is not None:
                await self.lock(tx, [d.envelope for d in deliveries
                                     if d.envelope.message_id not in seen])
            rows, refused = [], []
            for delivery in deliveries:
                message_id = delivery.envelope.message_id
                if message_id in seen:  # a redelivery, or the same message twice in the batch
                    continue
                seen.add(message_id)
                try:
                    await self._handle_traced(tx, delivery, handle)
                except Refused as exc:
                    # Not marked processed: a replay asks the handler again (after a fix).
                    refused.append((delivery.raw, message_id, f"refused: {exc}"[:2000]))
                    continue
                rows.append({"consumer": self.name, "message_id": message_id, "processed_at": now})
            if rows:
                await tx.session.execute(insert(processed), rows)
            fresh = await self._record_dead(tx, refused) if refused else 0
        await asyncio.gather(*(_ack(d.raw) for d in deliveries))
        for raw, _, error in refused:
            log.error("%s: dead letter on %s: %s", self.name, raw.subject, error)
        if self.metrics is not None and fresh:
            self.metrics.dead_lettered(self.name, fresh)
        if self.metrics is not None:
            seconds = time.perf_counter() - started
            for subject, n in Counter(d.raw.subject for d in deliveries).items():
                self.metrics.batch_processed(self.name, subject, n, seconds)

    async def _handle_traced(self, tx: Transaction, delivery: Delivery, handle: Handler) -> None:
        """The message's span continues the trace of the span that published it; the events
        the handler publishes continue this one, and its database work is a child of it."""
        raw = delivery.raw
        attributes = message_attributes(delivery.envelope, raw.subject)
        attributes["messaging.nats.delivery_count"] = raw.metadata.num_delivered or 1
        tracer = tx.tracer
        with tracer.start_as_current_span(
            f"{raw.subject} process", context=extract(raw.headers), kind=SpanKind.CONSUMER,
            attributes=attributes | {"messaging.consumer.group.name": self.name},
        ) as span:
            tx.causing_span = span
            try:
                with tracer.start_as_current_span(f"db {self.name}", kind=SpanKind.CLIENT):
                    await handle(tx, delivery.envelope)
            finally:
                tx.causing_span = None

    async def _failed(self, delivery: Delivery, exc: Exception) -> None:
        raw = delivery.raw
        if self.metrics is not None:
            self.metrics.message_failed(self.name, raw.subject)
        attempt = raw.metadata.num_delivered or 1
        log.error(
            "%s: %s %s failed (attempt %d of %d)",
            self.name, raw.subject, delivery.envelope.message_id, attempt, self.retry.max_deliver,
            exc_info=exc,
        )
        if attempt >= self.retry.max_deliver:
            error = f"failed {attempt} times, last: {exc!r}"[:2000]
            await self._dead_letter([(raw, delivery.envelope.message_id, error)])
        else:
            await raw.nak(delay=self.retry.delay(attempt))

    async def replay(self, data: bytes) -> None:
        """Apply a dead letter's message again (after its cause was fixed): once, as ever.

        Raises ValidationError if it is still malformed, or whatever the handler raises.
        """
        assert self.model is not None and self.handle is not None
        envelope = self.model.model_validate_json(data)
        processed = self.tables.processed
        async with self.uow.begin() as tx:
            done = await tx.session.scalar(
                select(processed.c.message_id).where(
                    processed.c.consumer == self.name,
                    processed.c.message_id == envelope.message_id))
            if done is None:
                if self.lock is not None:
                    await self.lock(tx, [envelope])
                with tx.tracer.start_as_current_span(
                    f"{self.name} replay", attributes=message_attributes(envelope, "replay"),
                ) as span:
                    tx.causing_span = span
                    await self.handle(tx, envelope)
                await tx.session.execute(insert(processed), [{
                    "consumer": self.name, "message_id": envelope.message_id,
                    "processed_at": tx.clock.now()}])

    async def _dead_letter(self, entries: list[tuple[Msg, str | None, str]]) -> None:
        """Record the messages and stop their redelivery (term) — after the record commits."""
        async with self.uow.begin() as tx:
            fresh = await self._record_dead(tx, entries)
        if self.metrics is not None and fresh:
            self.metrics.dead_lettered(self.name, fresh)
        for raw, _, error in entries:
            log.error("%s: dead letter on %s: %s", self.name, raw.subject, error)
            await raw.term()

    async def _record_dead(self, tx: Transaction, entries: list[tuple[Msg, str | None, str]],
                           ) -> int:
        """Insert the dead letters not recorded yet (by stream sequence); how many were new."""
        dead = self.tables.dead_letters
        # The server's max-deliveries advisory may have recorded one already (watchdog), or a
        # redelivery after a lost ack brings a refused message again.
        known = set((await tx.session.scalars(select(dead.c.stream_seq).where(
            dead.c.consumer == self.name,
            dead.c.stream_seq.in_([raw.metadata.sequence.stream for raw, _, _ in entries]),
        ))).all())
        fresh = [e for e in entries if e[0].metadata.sequence.stream not in known]
        if fresh:
            await tx.session.execute(insert(dead), [
                {
                    "consumer": self.name,
                    "subject": raw.subject,
                    "message_id": message_id or (raw.headers or {}).get("Nats-Msg-Id"),
                    "data": raw.data,
                    "error": error,
                    "attempts": raw.metadata.num_delivered or 1,
                    "stream_seq": raw.metadata.sequence.stream,
                    "recorded_at": tx.clock.now(),
                }
                for raw, message_id, error in fresh
            ])
        return len(fresh)


async def _ack(raw: Msg) -> None:
    try:
        await raw.ack_sync()
    except Exception as exc:  # the effect is committed; a redelivery will be skipped as seen
        log.warning("ack of %s failed: %s", raw.subject, exc)

