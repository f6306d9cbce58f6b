"""Unit of work: one transaction holding a handler's state change and the events it publishes."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from services.common import audit_trail
from services.common.clock import Clock
from services.common.crypto import Keyring
from services.common.db import Database
from services.common.messaging import MessagingTables
from services.common.tracing import inject


class Transaction:
    """What a handler gets: the session, and ``publish`` to add an event to the outbox."""

    def __init__(self, session: AsyncSession, clock: Clock, tracer: trace.Tracer,
                 causing_span: trace.Span | None = None, bus_key: Keyring | None = None) -> None:
        self.session = session
        self.clock = clock
        self.tracer = tracer
        # Seals and opens the personal part of messages (services.common.personal); None in a
        # service that must not read it (routing).
        self.bus_key = bus_key
        # The span the next published events continue (the request's, or the message's).
        self.causing_span = causing_span
        self.outbox: list[dict[str, Any]] = []
        self.later: dict[Table, list[dict[str, Any]]] = {}
        self.gathered: dict[Callable[..., Awaitable[None]], list[Any]] = {}
        self.after_commit: list[Callable[[], None]] = []
        # Rows a handler found or made earlier in this transaction (a batch of messages), by
        # its own key: read once per batch, and found again without flushing the session.
        self.memo: dict[Any, Any] = {}

    def insert_later(self, table: Table, row: dict[str, Any]) -> None:
        """Add a row nothing in the transaction reads back (a history line): the rows of a
        whole batch go in one statement per table at commit, after the session's own."""
        self.later.setdefault(table, []).append(row)

    def gather(self, write: Callable[["Transaction", list[Any]], Awaitable[None]],
               item: Any) -> None:
        """Hand ``item`` to ``write``, which gets every item of the transaction's messages at
        once before it commits: set-based work per batch instead of per message."""
        self.gathered.setdefault(write, []).append(item)

    def publish(
        self,
        message_type: type[Envelope[Any]],
        payload: BaseModel,
        *,
        subject: str,
        message_id: str,
        caused_by: Envelope[Any] | None = None,
    ) -> Envelope[Any]:
        """Queue an event; it is written with the transaction and published after commit.

        ``message_id`` must be derived from what caused the event (not random), so that a
        handler that runs again after a crash produces the same id and the stream drops it.
        """
        now = self.clock.now()
        application_id = payload.application_id  # type: ignore[attr-defined]
        envelope = message_type(
            message_id=message_id,
            type=message_type.EVENT,
            occurred_at=now,
            application_id=application_id,
            correlation_id=caused_by.correlation_id if caused_by else application_id,
            causation_id=caused_by.message_id if caused_by else None,
            payload=payload,
        )
        self.outbox.append(
            {
                "message_id": message_id,
                "subject": subject,
                "payload": envelope.model_dump_json().encode(),
                "headers": inject(self.causing_span),
                "created_at": now,
            }
        )
        return envelope


class UnitOfWork:
    def __init__(
        self,
        db: Database,
        tables: MessagingTables,
        clock: Clock,
        on_commit: Callable[[], None] = lambda: None,
        tracer: trace.Tracer | None = None,
        bus_key: Keyring | None = None,
    ) -> None:
        self.db = db
        self.tables = tables
        self.clock = clock
        self.tracer = tracer or trace.get_tracer("onedoor")
        self.bus_key = bus_key
        self._on_commit = on_commit

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[Transaction]:
        """Commit on exit (state and outbox together), roll back everything on error."""
        causing: trace.Span | None = trace.get_current_span()
        if causing is not None and not causing.get_span_context().is_valid:
            causing = None
        # The database work of a request or a message belongs to its trace; background
        # polls (no current span) make no spans.
        span = (self.tracer.start_as_current_span(
            "db transaction", kind=trace.SpanKind.CLIENT,
            attributes={"db.system": "sqlite" if self.db.is_sqlite else "postgresql"},
        ) if causing is not None else contextlib.nullcontext())
        with span:
            async with self.db.writing() as session:
                tx = Transaction(session, self.clock, self.tracer, causing, self.bus_key)
                yield tx
                for write, items in tx.gathered.items():
                    await write(tx, items)
                if tx.later:
                    await session.flush()
                    for table, rows in tx.later.items():
                        await session.execute(insert(table), rows)
                if tx.outbox:
                    await session.execute(insert(self.tables.outbox), tx.outbox)
                # A staff request's change: its audit row commits with it, or not at all.
                if (change := audit_trail.pending_change()) is not None:
                    status = await audit_trail.record_change(change, session, self.tables.audit,
                                                             self.clock.now())
        if change is not None:
            change.recorded = status
        if tx.outbox:
            self._on_commit()
        for callback in tx.after_commit:
            callback()
