"""Alembic migrations of a service's database (``services/<service>/migrations``): ``upgrade``
at start (``Database.create_schema``), ``run_migrations`` in env.py, ``new_revision``."""

import asyncio
import hashlib
import logging
import tempfile
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema

from services.common.db import UtcDateTime
from services.common.migration_heads import VERSION_TABLE
from services.common.sealed_types import EncryptedBytes, EncryptedJSON, EncryptedText, KeyedHash

log = logging.getLogger(__name__)

_ALEMBIC_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary())


def _alembic_lock() -> asyncio.Lock:
    return _ALEMBIC_LOCKS.setdefault(asyncio.get_running_loop(), asyncio.Lock())


async def upgrade(engine: AsyncEngine, metadata: MetaData, schema: str | None, migrations: Path) -> None:
    """``alembic upgrade head`` of the database behind ``engine``, one process at a time."""
    # Alembic keeps its running context in module globals: one upgrade at a time in a
    # process (several services may share one, as in the tests).
    if engine.dialect.name == "sqlite":
        async with _alembic_lock(), engine.connect() as conn:
            # Off while migrating (only possible outside a transaction): a batch migration
            # rebuilds a table by copy and drop, and dropping a parent must not cascade.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            try:
                # The write lock, before reading the version: a second process waits here.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                changed = await conn.run_sync(_upgrade, metadata, schema, migrations)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows without a parent: {broken[:5]}")
                await conn.commit()
                if changed:
                    # A migration may have replaced clear values (personal data encrypted):
                    # rebuild the file and empty the WAL so that no old page keeps them.
                    await conn.exec_driver_sql("VACUUM")
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                # Back on before the connection serves anything else (it may be pooled).
                await conn.rollback()
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        return
    async with _alembic_lock(), engine.begin() as conn:
        # Held until commit, keyed on the schema: the same service's processes take turns,
        # other services (other schemas) are not held up.
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": migration_lock_key(schema or "")})
        # Checked first so that a role allowed only into an existing schema can start.
        if schema and not await conn.run_sync(lambda sync: inspect(sync).has_schema(schema)):
            await conn.execute(CreateSchema(schema))
        # The DDL is transactional: the whole upgrade commits, or nothing does.
        await conn.run_sync(_upgrade, metadata, schema, migrations)


def _upgrade(connection: Connection, metadata: MetaData, schema: str | None, migrations: Path) -> bool:
    """Upgrade to head; True if a revision was applied."""
    config = alembic_config(migrations, connection=connection, schema=schema)
    _adopt_unversioned(config, connection, metadata, schema)
    before = _heads(connection, schema)
    command.upgrade(config, "head")
    after = _heads(connection, schema)
    if before != after:
        # One line for the whole upgrade (alembic's own line per revision is dropped: lognoise).
        log.info("database schema upgraded from %s to %s (%s)", "/".join(before) or "empty",
                 "/".join(after), migrations.parent.name)
    return after != before


def _heads(connection: Connection, schema: str | None) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return tuple(context.get_current_heads())


def migration_lock_key(schema: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit key) that serialises one schema's upgrades."""
    digest = hashlib.blake2b(f"onedoor-migrations:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def alembic_config(migrations: Path, *, connection: Connection | None = None,
                   schema: str | None = None, url: str | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini): a migration directory, and
    either an open connection (at service start) or a URL (tools)."""
    config = Config()
    config.set_main_option("script_location", _ini(str(migrations)))
    if url:
        config.set_main_option("sqlalchemy.url", _ini(url))
    config.attributes["connection"] = connection
    # PostgreSQL: the service's schema, home of its version table too (see run_migrations).
    config.attributes["schema"] = schema
    return config


def _ini(value: str) -> str:
    return value.replace("%", "%%")  # Config options are ConfigParser values


def run_migrations(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``, ``metadata`` being its models'."""
    from alembic import context  # only inside an Alembic command

    config = context.config
    schema = config.attributes.get("schema")
    options: dict[str, Any] = {
        "target_metadata": metadata,
        # The version table in the service's schema on PostgreSQL (the schema translate map
        # covers the service's tables, which are created without a schema name; the version
        # table needs its own, else services sharing a database would share it).
        "version_table_schema": schema,
        # ALTERs that SQLite cannot do are rendered as table rebuilds (plain ALTERs elsewhere).
        "render_as_batch": True,
        "render_item": _render_item,
        "process_revision_directives": _skip_empty_revision,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:  # Database.create_schema: its connection, its transaction
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: give a connection or sqlalchemy.url to run migrations")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    # Migrations must not import the services' code (it moves on; revisions do not).
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    # Encrypted columns are their storage type; a revision converting values says how.
    if type_ == "type" and isinstance(obj, EncryptedText | EncryptedJSON):
        return "sa.Text()"
    if type_ == "type" and isinstance(obj, EncryptedBytes):
        return "sa.LargeBinary()"
    if type_ == "type" and isinstance(obj, KeyedHash):
        return "sa.String(length=64)"
    return False


def _skip_empty_revision(_context: Any, _revision: Any, directives: list[Any]) -> None:
    script = directives[0]
    if getattr(script, "upgrade_ops", None) is not None and script.upgrade_ops.is_empty():
        directives[:] = []
        print("The models match the migrations: no new revision.")


def _adopt_unversioned(config: Config, connection: Connection, metadata: MetaData,
                       schema: str | None) -> None:
    """Stamp a database made by ``create_all`` before there were migrations.

    Its tables but no version table: if they are exactly what the models describe, the
    database is at head (the migrations end where the models are); otherwise, refuse to
    guess rather than fail half-way through creating tables that already exist.
    """
    tables = set(inspect(connection).get_table_names(schema=schema))
    if VERSION_TABLE in tables or not tables & set(metadata.tables):
        return
    differences = schema_differences(connection, metadata, schema)
    if differences:
        raise RuntimeError(
            f"database {connection.engine.url!r} (schema {schema}) has tables but no Alembic "
            f"version, and differs from the models: {differences[:5]}. Migrate it by hand, "
            "then `alembic stamp` the matching revision."
        )
    log.warning("database made before migrations (schema %s): stamping it at head", schema)
    command.stamp(config, "head")


def schema_differences(connection: Connection, metadata: MetaData,
                       schema: str | None = None) -> list[Any]:
    """What ``metadata`` has that the database does not, or the other way round
    (``alembic.autogenerate.compare_metadata``); on PostgreSQL, in ``schema``."""
    options = {"compare_type": True, "compare_server_default": True}
    if schema is None:
        return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)
    # Reflection without a schema name reads the search path: point it at the schema for
    # the comparison (the version table there is then the one Alembic knows to leave out).
    previous = connection.scalar(text("SELECT current_setting('search_path')"))
    quoted = connection.dialect.identifier_preparer.quote_schema(schema)
    connection.execute(text("SELECT set_config('search_path', :path, true)"), {"path": quoted})
    try:
        return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)
    finally:
        connection.execute(text("SELECT set_config('search_path', :path, true)"),
                           {"path": previous})


def new_revision(service: str, message: str) -> None:
    """``make migration``: the next revision of a service, autogenerated from its models
    against a scratch SQLite database upgraded to the current head."""
    migrations = Path(__file__).resolve().parent.parent / service / "migrations"
    if not (migrations / "env.py").is_file():
        raise SystemExit(f"no migrations for service {service!r} (looked in {migrations})")
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config(migrations, url=f"sqlite:///{Path(scratch) / 'scratch.db'}")
        command.upgrade(config, "head")
        revisions = ScriptDirectory.from_config(config).walk_revisions()
        numbers = [int(r.revision) for r in revisions if r.revision.isdigit()]
        command.revision(config, message=message, autogenerate=True,
                         rev_id=f"{max(numbers, default=0) + 1:04d}")
