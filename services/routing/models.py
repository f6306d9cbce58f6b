"""Routing's tables: the transfer ledger (分办、转办台账), what routing keeps of each
application to hand its items on again, joint-meeting cases, supervision alerts and
extensions."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables
from services.common.sealed_types import EncryptedJSON, EncryptedText


class Base(DeclarativeBase):
    pass


MESSAGING = messaging_tables(Base.metadata)

# What a ledger line records: a task to a department, a referral to an organisation, or
# items put before the joint meeting.
TASK, REFERRAL, JOINT_MEETING = "task", "referral", "joint_meeting"


UNDECIDED = "decided_at IS NULL"
PAPERWORK_OPEN = "paperwork_due_at IS NOT NULL AND paperwork_completed_at IS NULL"


class Handoff(Base):
    """One line of the ledger: a hand-off (one task to one department), a referral, or a
    joint-meeting case — what went from whom to whom, when, by when, and what came of it.
    The ledger shows one line per item."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    # The task's id; for a referral or a joint-meeting line a key of its own ("referral:...").
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), server_default=TASK, default=TASK)
    from_party: Mapped[str] = mapped_column(String(100))
    # The department's code; "referral" or "joint_meeting" for those lines.
    to_department: Mapped[str] = mapped_column(String(40), index=True)
    # The organisation of a referral, or the joint meeting's name.
    to_party: Mapped[str | None] = mapped_column(String(200), nullable=True)
    items: Mapped[list[Any]] = mapped_column(JSON)
    handed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the earliest of its items'
    # Each item's own due time ({item: ISO time}); null on rows older than the ledger.
    items_due_at: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # When the legal clock started (受理, or receipt): re-routing does not restart it.
    limits_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    transfer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    accept_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The ApplicationRouted revision that announced it (0: the first routing).
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    routing_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Filled from the department's TaskAccepted and TaskDecided events.
    accepted_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # approved, rejected; for the other lines: referred, assigned (by the joint meeting).
    result: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # What the decision said, whatever its result (the ledger shows a refusal's reason and
    # an approval's note in columns of their own), and the amount granted.
    result_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # A return (TaskReturned) and where routing sent the items next.
    returned_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    returned_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    suggested_department: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rerouted_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Aid given before its paperwork (emergency aid): when the paperwork is due, and done.
    paperwork_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paperwork_completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The trace the hand-off was made in (the application's), when tracing is on.
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    # What supervision reads every minute: the few open hand-offs among years of closed ones
    # (partial indexes; the history bench found a full scan, 140 ms at 300,000 hand-offs).
    __table_args__ = (
        Index("ix_handoffs_undecided", "id", sqlite_where=text(UNDECIDED),
              postgresql_where=text(UNDECIDED)),
        Index("ix_handoffs_paperwork_open", "id", sqlite_where=text(PAPERWORK_OPEN),
              postgresql_where=text(PAPERWORK_OPEN)),
    )


class RoutedApplication(Base):
    """What a later hand-off of the application's items needs (a re-route, a joint-meeting
    assignment): the applicant, household and materials the department must see.

    Routing reads none of the personal data: it keeps the personal part as it came, sealed
    for the departments (``sealed``), with the masked values of the clear fields; an
    application submitted before sealing has its values here in full, encrypted at rest."""

    __tablename__ = "applications"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    received_by: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    applicant: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    household: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    materials: Mapped[list[Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(EncryptedText)
    # ApplicationSubmitted.sealed, passed on in every TaskAssigned (routing cannot open it).
    sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Every item the application asks (TaskAssigned.application_items); None before 0009.
    items: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class JointMeetingCase(Base):
    """Items before the joint meeting (联席会议), and how it resolved them."""

    __tablename__ = "joint_meeting_cases"

    case_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assign_due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)  # open, resolved
    resolution: Mapped[str | None] = mapped_column(String(20), nullable=True)  # assigned, referred
    resolved_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The W3C headers of the trace it was queued in: the meeting's decision continues it.
    trace_parent: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Alert(Base):
    """A supervision alert raised: at most one per stage, subject and level, so restarts and
    concurrent scans never raise one twice."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("stage", "subject_id", "level",
                                       name="uq_alerts_stage_subject_level"),)

    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(64))  # the task, or the joint-meeting case
    level: Mapped[int] = mapped_column(Integer)  # 0: warning; 1, 2...: escalations
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department: Mapped[str | None] = mapped_column(String(40), nullable=True)
    items: Mapped[list[Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    supervisor: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Extension(Base):
    """A task's time limit extended: who approved it, why, from when to when (001 第十一条)."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    application_id: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(40))
    extend_by: Mapped[dict[str, int]] = mapped_column(JSON)  # e.g. {"working_days": 5}
    approved_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    from_due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    to_due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    extended_at: Mapped[datetime] = mapped_column(UtcDateTime())
