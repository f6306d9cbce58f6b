"""A department's tables: its own tasks only."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables


class Base(DeclarativeBase):
    pass


MESSAGING = messaging_tables(Base.metadata)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    household: Mapped[dict[str, Any]] = mapped_column(JSON)
    materials: Mapped[list[Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(50))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # W3C trace context of the span that received the task: a decision made days later is
    # its own request, linked to it, and continues the application's trace from it.
    trace_parent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
