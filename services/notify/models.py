"""Notify's tables: what it knows of each case, the decisions, and the notices (sent or not)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Numeric, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables
from services.common.sealed_types import EncryptedText


class Base(DeclarativeBase):
    pass


MESSAGING = messaging_tables(Base.metadata)


class CaseRow(Base):
    __tablename__ = "cases"

    application_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    receipt_no: Mapped[str | None] = mapped_column(String(32))
    # Whom to tell: encrypted.
    name: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    window_staff: Mapped[str | None] = mapped_column(String(50))
    expected_tasks: Mapped[list[Any] | None] = mapped_column(JSON)
    # The items to close (ApplicationSubmitted), and those referred elsewhere (closed too).
    expected_items: Mapped[list[Any] | None] = mapped_column(JSON)
    referred_items: Mapped[list[Any] | None] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DecisionRow(Base):
    __tablename__ = "decisions"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    department: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(Text, default="")
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 免申即享


class NoticeRow(Base):
    """A notice to deliver; the dispatcher sends it after commit and stamps ``sent_at``."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    # The applicant's phone and a text naming them: encrypted.
    recipient: Mapped[str] = mapped_column(EncryptedText)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    # W3C trace context of the span that queued it: sending it continues the application's trace.
    trace_parent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
