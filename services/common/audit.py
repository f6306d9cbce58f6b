"""The audit trail every service keeps in its own database: who read or changed which case,
when, from where, and with what outcome — append-only, each row's hash chained to the one
before it.

A row holds ids and codes only (account, role, route, application and task ids, client
address, request id, HTTP status), never personal data. Rows are numbered 1, 2, 3… without
gaps; ``hash`` is the SHA-256 of the row's canonical form, which includes ``prev_hash`` (the
previous row's hash, ``GENESIS`` for the first). ``audit_head`` holds the last row's number
and hash: appending updates it first, which serialises writers — SQLite's write lock, or
PostgreSQL's row lock held to the commit, across every process of the service — and lets
``verify`` see rows removed from the end. Each service's migration adds triggers refusing
UPDATE and DELETE of ``audit_log`` (PostgreSQL, and SQLite too); no route writes it but as a
side effect of the request it records (services/common/audit_trail.py).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import UtcDateTime, dialect_insert

GENESIS = "0" * 64
# What an audit row records, in its canonical form (``hash`` aside).
FIELDS = ("id", "at", "account_id", "username", "role", "action", "route", "application_id",
          "task_id", "target", "query", "results", "client", "request_id", "status",
          "prev_hash")
# Actions: a read of personal data, a change (every POST), signing in, an account locked
# out after failed sign-ins, a client address blocked after invalid credentials.
ACTIONS = ("read", "change", "sign_in", "lockout", "blocked")


@dataclass(frozen=True)
class AuditTables:
    log: Table
    head: Table


def audit_tables(metadata: MetaData) -> AuditTables:
    """Add the audit tables to a service's metadata."""
    log = Table(
        "audit_log",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime(), nullable=False),
        Column("account_id", String(64)),
        Column("username", String(50)),
        Column("role", String(20)),
        Column("action", String(20), nullable=False),
        Column("route", String(250), nullable=False),  # "POST /api/v1/tasks/{task_id}/decision"
        Column("application_id", String(64)),
        Column("task_id", String(64)),
        Column("target", String(200)),  # other ids of the request: "case_id=…", "username=…"
        Column("query", String(200)),  # the names (never the values) of its query parameters
        Column("results", Integer),  # records a search or list returned
        Column("client", String(64)),
        Column("request_id", String(64)),
        Column("status", Integer, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index("ix_audit_log_application_id", "application_id"),
        Index("ix_audit_log_username", "username"),
        Index("ix_audit_log_at", "at"),
    )
    head = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
        Column("last_id", Integer, nullable=False),
        Column("last_hash", String(64), nullable=False),
    )
    return AuditTables(log, head)


def canonical(row: dict[str, Any]) -> str:
    """The row as hashed: its fields (``FIELDS``) as compact JSON with sorted keys, the time
    in UTC to the microsecond."""
    values = {f: row.get(f) for f in FIELDS}
    at = values["at"]
    if isinstance(at, datetime):
        values["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(row).encode()).hexdigest()


async def append(session: AsyncSession, tables: AuditTables, entry: dict[str, Any],
                 at: datetime) -> int:
    """Append ``entry`` (the fields of ``FIELDS`` but id, at and prev_hash) in the session's
    transaction; its number."""
    head = tables.head
    # The head first: a write, so that this transaction holds the write lock (SQLite) or the
    # head's row lock (PostgreSQL) until it commits, and reads the latest chain under it.
    lock_head = (update(head).where(head.c.id == 1).values(last_id=head.c.last_id)
                 .returning(head.c.last_id, head.c.last_hash))
    found = (await session.execute(lock_head)).first()
    if found is None:  # a database made without the migrations (create_all): start the chain,
        # once, whichever of several writers gets there first
        dialect = session.get_bind().dialect.name
        start = dialect_insert("postgresql" if dialect == "postgresql" else "sqlite")(head).values(
            id=1, last_id=0, last_hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])
        await session.execute(start)
        found = (await session.execute(lock_head)).first()
    last_id, last_hash = found
    row = {f: entry.get(f) for f in FIELDS} | {"id": last_id + 1, "at": at,
                                               "prev_hash": last_hash}
    row["hash"] = row_hash(row)
    await session.execute(insert(tables.log).values(**row))
    await session.execute(update(head).where(head.c.id == 1).values(
        last_id=row["id"], last_hash=row["hash"]))
    return int(row["id"])


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: the rows checked, and the first broken one (None: all sound)."""

    rows: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify(session: AsyncSession, tables: AuditTables, batch: int = 1000) -> Verdict:
    """Check the chain from its first row to the head: numbers without gaps, each row's
    ``prev_hash`` the hash of the one before, each hash that of its content, the head
    pointing at the last row. Rows appended while it runs (past the head read first) wait
    for the next check."""
    log = tables.log
    head = (await session.execute(select(tables.head.c.last_id, tables.head.c.last_hash)
                                  .where(tables.head.c.id == 1))).first()
    end = head.last_id if head else None
    expected_id, previous, checked = 1, GENESIS, 0
    while True:
        query = select(log).where(log.c.id >= expected_id).order_by(log.c.id).limit(batch)
        if end is not None:
            query = query.where(log.c.id <= end)
        rows = (await session.execute(query)).mappings().all()
        for row in rows:
            if row["id"] != expected_id:
                return Verdict(checked, expected_id, f"row {expected_id} is missing "
                               f"(the next is {row['id']})")
            if row["prev_hash"] != previous:
                return Verdict(checked, row["id"], f"prev_hash {_short(row['prev_hash'])} is "
                               f"not row {row['id'] - 1}'s hash {_short(previous)}")
            computed = row_hash(dict(row))
            if row["hash"] != computed:
                return Verdict(checked, row["id"], "its content does not match its hash "
                               f"(stored {_short(row['hash'])}, computed {_short(computed)})")
            previous, expected_id, checked = row["hash"], expected_id + 1, checked + 1
        if len(rows) < batch:
            break
    if head is not None and head.last_id != checked:
        return Verdict(checked, checked + 1, f"the head says {head.last_id} rows: rows "
                       f"{checked + 1}–{head.last_id} are missing")
    if head is not None and head.last_hash != previous:
        return Verdict(checked, checked, f"the head's hash {_short(head.last_hash)} is not "
                       f"row {checked}'s {_short(previous)}")
    if head is None and checked:
        return Verdict(checked, checked, "the chain's head row is missing")
    return Verdict(checked)


def _short(digest: str) -> str:
    return digest[:12] + "…"
