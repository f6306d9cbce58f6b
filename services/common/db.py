"""A service's own database: SQLite by default, PostgreSQL (one schema per service) by URL.

Each service's tables come from its migration history (Alembic) in
``services/<service>/migrations``: ``Database.create_schema`` upgrades it to head at start,
and ``make migration SERVICE=... MSG=...`` writes the next revision from the models.
"""

import asyncio
import contextlib
import importlib
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.schema import CreateSchema

from services.common.keystore import Keys
from services.common.migration_heads import at_head
from services.common.sealed_types import attach_keys


class Database:
    """Engine, sessions and schema of one service's database."""

    def __init__(self, url: str, metadata: MetaData, *, schema: str | None = None,
                 migrations: Path | None = None, keys: Keys | None = None) -> None:
        self.url = url
        self.metadata = metadata
        self.schema = schema
        # The service's Alembic directory; None (tools, tests): create_all, no history.
        self.migrations = migrations
        self.is_sqlite = url.startswith("sqlite")
        self.file: Path | None = None  # the SQLite file, unless in memory
        if self.is_sqlite:
            # Pooled: opening the file and setting its pragmas once per connection, not per
            # transaction.
            in_memory = make_url(url).database in (None, "", ":memory:")  # docs, tools
            self.file = None if in_memory else Path(make_url(url).database or "").resolve()
            if self.file is not None:
                _private_file(self.file)
            pooling = {} if in_memory else {"pool_size": 5, "max_overflow": 5}
            # hide_parameters: error messages (and so logs) never carry applicants' data.
            self.engine: AsyncEngine = create_async_engine(url, hide_parameters=True, **pooling)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            # Every table of the service lives in its schema, with no per-table schema names.
            self.engine = create_async_engine(
                url,
                # Writes are one at a time per process (below): a few connections are enough,
                # and twelve processes (5 each, 60) must fit in PostgreSQL's 100 connections.
                pool_size=3,
                max_overflow=2,
                pool_pre_ping=True,
                hide_parameters=True,
                execution_options={"schema_translate_map": {None: schema}},
            )
        # The keys of its encrypted columns (sealed_types), where every value bound or read
        # through this engine finds them.
        self.keys = keys
        attach_keys(self.engine.sync_engine.dialect, keys)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # One writing transaction at a time per process. SQLite has a single writer anyway
        # (queueing here beats "database is locked"); on PostgreSQL it keeps a service's own
        # consumers from deadlocking on the same rows, while batching keeps throughput.
        self._write_lock = asyncio.Lock()

    async def create_schema(self) -> None:
        """Bring the database to the service's current schema (at start, before anything).

        With a migration history, ``alembic upgrade head``, one process at a time: several
        processes of one service may start together, and the first does the work while the
        others wait, then find the database at head. A database found at head already (every
        start but the first after an upgrade) is left alone without importing Alembic.
        """
        if self.migrations is None:
            async with self.engine.begin() as conn:
                if self.schema:
                    await conn.execute(CreateSchema(self.schema, if_not_exists=True))
                await conn.run_sync(self.metadata.create_all)
            return
        if await self.at_head():
            return
        from services.common.migrations import upgrade  # here: it imports this module, and Alembic

        await upgrade(self.engine, self.metadata, self.schema, self.migrations)

    async def at_head(self) -> bool:
        """Nothing to migrate: the database is at the head of its history (no Alembic needed)."""
        return self.migrations is not None and await at_head(self.engine, self.schema,
                                                             self.migrations)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on exit and rolls back on any error."""
        lock = self._write_lock
        async with lock, self.sessions() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(dialect: str) -> Callable[..., Any]:
    """The ``insert`` (with ``on_conflict_*``) of ``dialect``, ``sqlite`` or ``postgresql``:
    imported when asked for, so that a service on SQLite never loads PostgreSQL's (~2 MB)."""
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert


def _private_file(path: Path) -> None:
    """The SQLite file readable by this user only (0600); SQLite gives its -wal and -shm
    files the same mode. A file made by an older version is narrowed too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(each, 0o600)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the HTTP reads go on while a consumer writes; NORMAL is durable across a
    # process crash (only an OS crash can lose the last transactions).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware, on SQLite as well."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time in OneDoor is time-zone aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
