"""A department's tables: its own tasks, what happened to each, and its holders' absences."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, Numeric, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables
from services.common.sealed_types import EncryptedJSON, EncryptedText


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
    # Personal data, stored encrypted (sealed_types).
    applicant: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    household: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    materials: Mapped[list[Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(EncryptedText, default="")
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
    # By when the hand-off must be accepted, and why it came here (re-routed, joint meeting).
    accept_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    routing_note: Mapped[str | None] = mapped_column(Text)
    # 同岗替代: the post covering the task's items, and its holder who has the task now.
    post: Mapped[str | None] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(50), index=True)
    # 初审 (separation of duties, 002 §一).
    reviewed_by: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    review_opinion: Mapped[str | None] = mapped_column(Text)
    # Returned as not this department's.
    returned_by: Mapped[str | None] = mapped_column(String(50))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    returned_reason: Mapped[str | None] = mapped_column(Text)
    suggested_department: Mapped[str | None] = mapped_column(String(30))
    # Every request for materials, oldest first: {n, materials: [{code, name}], note,
    # requested_by, requested_at, supplemented, received_by, supplemented_at}.
    materials_requests: Mapped[list[Any] | None] = mapped_column(JSON)
    # Emergency aid given before its paperwork (002 §四).
    paperwork_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paperwork_completed_by: Mapped[str | None] = mapped_column(String(50))
    paperwork_completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Granted without an application (免申即享, 002 §六).
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Every item the application asks, of every department (None before migration 0008).
    application_items: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    # By status, in the order each list reads them: the work still to do is a few rows among
    # years of decided ones (the bench's history run found a full scan here).
    __table_args__ = (Index("ix_tasks_status_assigned_at", "status", "assigned_at"),
                      Index("ix_tasks_status_due_at", "status", "due_at", "id"))


class TaskHistory(Base):
    """One line per change to a task: who, when, what (and why) — the record supervision and
    accountability (001 第十三条) read, e.g. a reassignment to the B holder."""

    __tablename__ = "task_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    by: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Absence(Base):
    """A post holder away (同岗替代): approved by the leader in charge (001 同岗替代 五)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post: Mapped[str] = mapped_column(String(50), index=True)
    holder: Mapped[str] = mapped_column(String(50))
    approved_by: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())  # planned return, if known
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
