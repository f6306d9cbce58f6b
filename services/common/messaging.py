"""Tables every service keeps for reliable messaging: outbox, processed messages, dead letters
— and its audit trail (services/common/audit.py), written in the same transactions.

The outbox and the dead letters hold whole messages, personal data included: stored sealed
(``EncryptedBytes``)."""

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from services.common.audit import AuditTables, audit_tables
from services.common.db import UtcDateTime
from services.common.sealed_types import EncryptedBytes


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    processed: Table
    dead_letters: Table
    audit: AuditTables


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Add the messaging and audit tables to a service's metadata (each service has its own)."""
    outbox = Table(
        # An event written in the same transaction as the change that caused it; the relay
        # publishes it and stamps ``published_at`` on the JetStream ack.
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_id", String(200), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", EncryptedBytes, nullable=False),
        # W3C trace context of the span that caused the event: the publish continues its trace.
        Column("headers", JSON),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime()),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )
    processed = Table(
        # A consumed message whose effect is committed: a redelivery of it is a no-op.
        "processed_messages",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("message_id", String(200), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
        # Pruned by age once the stream cannot deliver the message again (relay.py).
        Index("ix_processed_messages_processed_at", "processed_at"),
    )
    dead_letters = Table(
        # A message this service could not process and will not retry by itself.
        "dead_letters",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("message_id", String(200)),
        Column("data", EncryptedBytes, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False, default=1),
        Column("stream_seq", Integer),
        Column("recorded_at", UtcDateTime(), nullable=False),
        # Set when an operator replayed it after a fix: the outcome of that replay.
        Column("replayed_at", UtcDateTime()),
        Column("replay_error", Text),
    )
    return MessagingTables(outbox, processed, dead_letters, audit_tables(metadata))
