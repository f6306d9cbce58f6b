"""Outbox relay: publishes committed events to JetStream, pipelined, marking each on its ack.

With SQLite the service runs once (instance.py) and so does its relay: it reads a batch, then
marks what was acknowledged. On PostgreSQL several copies of a service share the outbox: each
relay *claims* its batch with ``SELECT ... FOR UPDATE SKIP LOCKED`` in a transaction it holds
while publishing and marking, so a row is in one relay's hands at a time (the others skip it
and take the next rows: none waits for another) and a relay that dies mid-batch loses its
connection, which releases the rows to the others. A relay that hangs instead is cut off by
PostgreSQL (``idle_in_transaction_session_timeout``). Either way a row published before the
crash is published again with the same ``Nats-Msg-Id``, and the stream drops the repeat.

Order: each relay publishes its batch in outbox order, as one relay always did. Two copies
busy at once publish two consecutive batches side by side, but then the consumers are copies
too and take messages side by side: every handler accepts events out of order (plan
revisions, statuses that only advance, completion judged on each event).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Select, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import subjects
from services.common.clock import Clock
from services.common.db import Database
from services.common.messaging import MessagingTables
from services.common.tracing import extract, inject

log = logging.getLogger(__name__)

BATCH = 1000
# Woken after every commit that wrote events; the poll only picks up what a crashed copy or a
# failed publish left (and nothing runs at rest in between: issue 11).
POLL_SECONDS = 5.0
ACK_TIMEOUT = 10.0
MAX_BACKOFF = 30.0  # must stay well inside subjects.DUPLICATE_WINDOW
KEEP_PUBLISHED = subjects.DUPLICATE_WINDOW * 2
# A processed message's id is what makes its redelivery a no-op. Redelivered it can be as long
# as the stream holds it (a durable deleted and made again starts from the first message), so
# its id is kept a day longer than that, then dropped: the table stays bounded.
KEEP_PROCESSED = subjects.STREAM_MAX_AGE + timedelta(days=1)
PRUNE_EVERY = timedelta(minutes=10)
# A claim held this long without a word from its relay (hung, or cut off from NATS) is broken
# by PostgreSQL, whose rollback gives the rows to the other copies. Well above ACK_TIMEOUT.
CLAIM_IDLE_LIMIT_MS = int(ACK_TIMEOUT * 6 * 1000)


class OutboxRelay:
    def __init__(self, db: Database, tables: MessagingTables, clock: Clock,
                 tracer: trace.Tracer | None = None, batch: int = BATCH) -> None:
        self.db = db
        self.processed = tables.processed
        self.batch = batch
        self.tracer = tracer or trace.get_tracer("onedoor")
        self.outbox = tables.outbox
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_prune = clock.now()
        self.published = 0

    def wake(self) -> None:
        """Called after a commit that wrote events: publish them now rather than at the poll."""
        self._wake.set()

    def start(self, js: JetStreamContext) -> None:
        self._task = asyncio.create_task(self._run(js), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, js: JetStreamContext) -> None:
        backoff = 0.5
        while True:
            try:
                while await self.publish_pending(js) == self.batch:
                    pass
                backoff = 0.5
                await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS or database away: keep the rows, try again later
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    async def publish_pending(self, js: JetStreamContext) -> int:
        """Publish one batch of unpublished events; returns how many were acknowledged."""
        if self.db.is_sqlite:
            async with self.db.reading() as session:
                rows = (await session.execute(self._pending())).all()
            return _raise_unless_all(*await self._publish(js, rows, self._mark_apart))
        # Not ``db.writing()``: its lock would hold this process's consumers back while NATS
        # acknowledges. The claimed rows are unpublished ones, which nothing else updates.
        async with self.db.sessions() as session, session.begin():
            await session.execute(text(
                f"SET LOCAL idle_in_transaction_session_timeout = {CLAIM_IDLE_LIMIT_MS}"))
            rows = (await session.execute(
                self._pending().with_for_update(skip_locked=True))).all()

            async def mark(ids: list[int]) -> None:
                await self._mark(session, ids)

            outcome = await self._publish(js, rows, mark)
        # After the commit: the rows acknowledged stay marked even when others were not.
        return _raise_unless_all(*outcome)

    def _pending(self) -> Select[Any]:
        return (select(self.outbox.c.id, self.outbox.c.message_id, self.outbox.c.subject,
                       self.outbox.c.payload, self.outbox.c.headers)
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.id)
                .limit(self.batch))

    async def _mark(self, session: AsyncSession, ids: list[int]) -> None:
        await session.execute(update(self.outbox).where(self.outbox.c.id.in_(ids))
                              .values(published_at=self.clock.now()))

    async def _mark_apart(self, ids: list[int]) -> None:
        async with self.db.writing() as session:
            await self._mark(session, ids)

    async def _publish(self, js: JetStreamContext, rows: Sequence[Any],
                       mark: Callable[[list[int]], Awaitable[None]]) -> tuple[int, str | None]:
        """Publish ``rows``, ``mark`` those acknowledged: how many, and why not all."""
        if not rows:
            return 0, None
        # Pipelined: every publish is on the wire before the first ack is awaited. The
        # deterministic Nats-Msg-Id makes a re-publish after a crash a no-op in the stream.
        futures, spans = [], []
        for row in rows:
            # The publish continues the trace of what caused the event (kept with it).
            span = self.tracer.start_span(
                f"{row.subject} publish", context=extract(row.headers), kind=SpanKind.PRODUCER,
                attributes={"messaging.system": "nats", "messaging.destination.name": row.subject,
                            "messaging.message.id": row.message_id})
            headers = {"Nats-Msg-Id": row.message_id, "content-type": "application/json",
                       **inject(span)}
            futures.append(await js.publish_async(row.subject, row.payload, headers=headers))
            spans.append(span)
        done, pending = await asyncio.wait(futures, timeout=ACK_TIMEOUT)
        for span, future in zip(spans, futures, strict=True):
            if future not in done or future.exception() is not None:
                span.set_status(Status(StatusCode.ERROR, "not acknowledged"))
            span.end()
        for future in pending:
            future.cancel()
        acked = [row.id for row, f in zip(rows, futures, strict=True)
                 if f in done and f.exception() is None]
        if acked:
            await mark(acked)
            self.published += len(acked)
        if len(acked) < len(rows):
            failed = next(f for f in futures if f not in done or f.exception() is not None)
            reason = "no ack in time" if failed not in done else repr(failed.exception())
            return len(acked), f"{len(rows) - len(acked)} of {len(rows)} not acknowledged: {reason}"
        return len(acked), None

    async def _prune(self) -> None:
        now = self.clock.now()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        async with self.db.writing() as session:
            await session.execute(
                delete(self.outbox).where(self.outbox.c.published_at < now - KEEP_PUBLISHED)
            )
            await session.execute(
                delete(self.processed).where(self.processed.c.processed_at < now - KEEP_PROCESSED)
            )


def _raise_unless_all(acked: int, failure: str | None) -> int:
    if failure:
        raise RuntimeError(failure)
    return acked
