"""Intake's tables: applications, their items (one per kind of help), notices and history."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from services.common.db import UtcDateTime
from services.common.messaging import messaging_tables
from services.common.sealed_types import EncryptedJSON, EncryptedText, KeyedHash
from services.intake import search


class Base(DeclarativeBase):
    pass


MESSAGING = messaging_tables(Base.metadata)


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    received_by: Mapped[str] = mapped_column(String(50))
    # The receiving account's township: the window staff who may see the application.
    township: Mapped[str | None] = mapped_column(String(100), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Personal data, stored encrypted (sealed_types).
    applicant: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    household: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    materials: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(EncryptedText, default="")
    on_behalf_of: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    # The staff member responsible until it is closed or handed over (首问负责制).
    owner: Mapped[str | None] = mapped_column(String(50), index=True)
    # When it was accepted with every material (受理): time limits count from the next day.
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Materials still missing ({code: [items needing it]}); empty once complete.
    missing_materials: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What staff search by, from ``applicant`` (kept in step by ``_searchable``): the identity
    # number and the name as keyed hashes (an exact search; neither is stored in clear), the
    # village in clear (a village alone names no one, and the window lists by it).
    name_key: Mapped[str] = mapped_column(KeyedHash(search.NAME), index=True, default="")
    village: Mapped[str] = mapped_column(String(100), index=True, default="")
    id_number_key: Mapped[str] = mapped_column(KeyedHash(search.ID_NUMBER), index=True,
                                               default="")

    items: Mapped[list["ApplicationItem"]] = relationship(
        order_by="ApplicationItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    notifications: Mapped[list["Notification"]] = relationship(
        order_by="Notification.sent_at", cascade="all, delete-orphan", lazy="raise"
    )
    history: Mapped[list["HistoryEntry"]] = relationship(
        order_by="HistoryEntry.id", cascade="all, delete-orphan", lazy="raise"
    )

    @validates("applicant")
    def _searchable(self, _key: str, applicant: dict[str, Any]) -> dict[str, Any]:
        self.name_key = search.normalise_name(applicant.get("name", ""))
        self.village = applicant.get("village", "")
        self.id_number_key = search.normalise_id_number(applicant.get("id_number", ""))
        return applicant


class ApplicationItem(Base):
    """One kind of help asked for, and what its department did with it."""

    __tablename__ = "application_items"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    # None while nobody owns it (joint meeting, referral, refused at the door).
    department: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(50))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Where to go instead (refused at the door), or the organisation (referred).
    go_to: Mapped[str | None] = mapped_column(Text)
    # The routing revision that last assigned it: a late, older revision changes nothing.
    routing_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index("ix_items_item", "item"),)


class MaterialRequest(Base):
    """Materials a department asked for, relayed by the window in one notice."""

    __tablename__ = "material_requests"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the request's message id
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(40))
    materials: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    supplemented_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    # The applicant's phone and a text naming them: encrypted.
    recipient: Mapped[str] = mapped_column(EncryptedText)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(EncryptedText)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HistoryEntry(Base):
    """A hand-off or a step of the application, in the order intake learned of it."""

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    event: Mapped[str] = mapped_column(String(40))
    department: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="")
