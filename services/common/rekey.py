"""Re-encrypting a service's database under the primary data key, and checking its keys.

Each encrypted column (``sealed_types``) is read in batches in primary-key order, raw; a
value sealed under another key than the primary is opened and sealed again, and written back
only if it has not changed meanwhile (a running service may be writing): a pass can be
interrupted and run again at any time, and what it leaves undone the next pass does.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, Text, inspect, select, update
from sqlalchemy.exc import DBAPIError

from services.common.crypto import KeyProblem, Keyring, sealed_key_id
from services.common.db import Database
from services.common.sealed_types import SEALED_TYPES, EncryptedBytes, keys_of

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class Sealed:
    """What a pass found in one database: values per key id, and how many it re-sealed."""

    by_key: Counter[str] = field(default_factory=Counter)
    resealed: int = 0


def sealed_columns(db: Database) -> list[tuple[Table, list[Column[Any]]]]:
    """Each table with encrypted columns, and those columns."""
    found = []
    for t in db.metadata.sorted_tables:
        columns = [c for c in t.columns if isinstance(c.type, SEALED_TYPES)]
        if columns:
            found.append((t, columns))
    return found


def _raw(t: Table, columns: list[Column[Any]]) -> tuple[Table, str]:
    """The table seen without its column types: values as stored (a Table without a schema,
    so that the database's schema translation applies to it)."""
    (key,) = t.primary_key.columns
    return Table(t.name, MetaData(), Column(key.name, key.type, primary_key=True), *(
        Column(c.name, LargeBinary() if isinstance(c.type, EncryptedBytes) else Text())
        for c in columns)), key.name


async def reseal(db: Database, keyring: Keyring | None = None, *, batch: int = BATCH,
                 count_only: bool = False) -> Sealed:
    """Seal again under the primary key every value sealed under another (``count_only``:
    only count the values under each key)."""
    keyring = keyring or keys_of(db.engine.sync_engine.dialect).data
    seen = Sealed()
    for t, columns in sealed_columns(db):
        raw, key = _raw(t, columns)
        last = None
        while True:
            query = select(raw).order_by(raw.c[key]).limit(batch)
            if last is not None:
                query = query.where(raw.c[key] > last)
            async with db.reading() as session:
                rows = (await session.execute(query)).all()
            if not rows:
                break
            changes = []
            for row in rows:
                for c in columns:
                    value = getattr(row, c.name)
                    if value is None:
                        continue
                    kid = sealed_key_id(bytes(value) if isinstance(value, memoryview) else value)
                    seen.by_key[kid or "clear"] += 1
                    if count_only or kid == keyring.primary or kid is None:
                        continue
                    again = keyring.reseal(bytes(value) if not isinstance(value, str) else value)
                    changes.append((getattr(row, key), c.name, value,
                                    again if isinstance(value, str) else again.encode("ascii")))
            if changes:
                async with db.writing() as session:
                    for pk, name, old, new in changes:
                        done = await session.execute(
                            update(raw).where(raw.c[key] == pk, raw.c[name] == old)
                            .values({name: new}))
                        seen.resealed += done.rowcount or 0
            last = getattr(rows[-1], key)
    return seen


async def check_readable(db: Database) -> None:
    """Open one value of each encrypted column (``KeyProblem`` if one does not open): a wrong
    or missing key is said at start, not at the first request. Tables not made yet are
    skipped (a new database, or one not migrated yet)."""
    keyring = keys_of(db.engine.sync_engine.dialect).data
    async with db.engine.connect() as conn:
        existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names(schema=db.schema)))
    for t, columns in sealed_columns(db):
        if t.name not in existing:
            continue
        raw, _ = _raw(t, columns)
        for c in columns:
            try:
                async with db.reading() as session:
                    value = await session.scalar(select(raw.c[c.name])
                                                 .where(raw.c[c.name].is_not(None)).limit(1))
            except DBAPIError:  # a column of a later revision, not there yet
                continue
            if value is None or sealed_key_id(_text(value)) is None:
                continue
            try:
                keyring.open(_text(value))
            except KeyProblem as exc:
                raise type(exc)(f"{table_label(db, t)}: {exc}; the service needs the key its data "
                                "was encrypted with") from None


def _text(value: str | bytes | memoryview) -> str:
    return value if isinstance(value, str) else bytes(value).decode("ascii", "replace")


def table_label(db: Database, t: Table) -> str:
    return f"{db.schema}.{t.name}" if db.schema else f"{t.name} in {db.file or db.url}"
