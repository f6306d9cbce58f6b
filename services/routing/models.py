"""Routing's tables: the transfer ledger (分办、转办台账)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables


class Base(DeclarativeBase):
    pass


MESSAGING = messaging_tables(Base.metadata)


class Handoff(Base):
    """One hand-off (one task to one department): what went from whom to whom, when, by
    when, and what came of it. The ledger shows one line per item of the task."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_party: Mapped[str] = mapped_column(String(100))
    to_department: Mapped[str] = mapped_column(String(40), index=True)
    items: Mapped[list[Any]] = mapped_column(JSON)
    handed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the earliest of its items'
    # Each item's own due time ({item: ISO time}); null on rows older than the ledger.
    items_due_at: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # Filled from the department's TaskAccepted and TaskDecided events.
    accepted_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    result: Mapped[str | None] = mapped_column(String(20), nullable=True)  # approved, rejected
    result_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The trace the hand-off belongs to, when the message that caused it carried one.
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
