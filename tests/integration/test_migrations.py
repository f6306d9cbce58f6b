"""Every service's migration history builds exactly the schema its models describe.

A model changed without a new revision (``make migration SERVICE=... MSG=...``) fails here.
"""

import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Integer, MetaData, func, insert, inspect, select, text

from services.accounts import models as accounts_models
from services.accounts import store as accounts_store
from services.common.db import Database
from services.common.migrations import alembic_config, new_revision
from services.common.settings import Settings
from services.departments import app as departments_app
from services.departments import models as departments_models
from services.intake import app as intake_app
from services.intake import models as intake_models
from services.notify import app as notify_app
from services.notify import models as notify_models
from services.routing import app as routing_app
from services.routing import models as routing_models
from tests.support.backends import Backend


@dataclass(frozen=True)
class Service:
    name: str  # what Settings.database_for is given
    metadata: MetaData
    migrations: Path


SERVICES = [
    Service("intake", intake_models.Base.metadata, intake_app.MIGRATIONS),
    Service("routing", routing_models.Base.metadata, routing_app.MIGRATIONS),
    Service("department_civil_affairs", departments_models.Base.metadata, departments_app.MIGRATIONS),
    Service("notify", notify_models.Base.metadata, notify_app.MIGRATIONS),
]
# The identity store (services/accounts): not a service, no messaging tables, its own history.
ACCOUNTS = Service("accounts", accounts_models.Base.metadata, accounts_store.MIGRATIONS)


def _database(backend: Backend, service: Service, *, migrated: bool = True) -> Database:
    """The service's database as its runtime opens it (``migrated=False``: as before there
    were migrations, with ``create_all``)."""
    url, schema = Settings(**backend.settings_kwargs()).database_for(service.name)
    return Database(url, service.metadata, schema=schema,
                    migrations=service.migrations if migrated else None)


def test_every_service_runtime_migrates_with_its_own_history(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    runtimes = {
        intake_app.MIGRATIONS: intake_app.build_runtime(settings),
        routing_app.MIGRATIONS: routing_app.build_runtime(settings),
        departments_app.MIGRATIONS: departments_app.build_runtime(settings, "housing"),
        notify_app.MIGRATIONS: notify_app.build_runtime(settings, lambda: None),
    }
    for migrations, runtime in runtimes.items():
        assert runtime.db.migrations == migrations
        assert (migrations / "env.py").is_file() and list((migrations / "versions").glob("0001_*.py"))


def _head(service: Service) -> str:
    head = ScriptDirectory.from_config(alembic_config(service.migrations)).get_current_head()
    assert head
    return head


def _differences(connection: Connection, metadata: MetaData, schema: str | None) -> list:
    if schema:
        # Reflection without a schema name reads the search path: the service's schema only.
        connection.execute(text("SELECT set_config('search_path', :s, true)"), {"s": f'"{schema}"'})
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, metadata)


async def _state(db: Database) -> tuple[list, list[str], set[str]]:
    """Differences from the models, the version rows, and the tables of the database."""
    async with db.engine.connect() as conn:
        differences = await conn.run_sync(_differences, db.metadata, db.schema)
        versions = await conn.run_sync(lambda c: MigrationContext.configure(
            c, opts={"version_table_schema": db.schema}).get_current_heads())
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names(schema=db.schema)))
    return differences, list(versions), tables


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
async def test_upgrade_builds_the_models_exactly_and_again_is_a_no_op(backend: Backend,
                                                                        service: Service) -> None:
    db = _database(backend, service)
    try:
        await db.create_schema()
        differences, versions, tables = await _state(db)
        assert differences == [], "models and migrations differ: `make migration` to add a revision"
        assert versions == [_head(service)]
        assert tables == set(service.metadata.tables) | {"alembic_version"}
        if db.is_sqlite:  # off while migrating, on again for whatever uses the connection next
            async with db.engine.connect() as conn:
                assert await conn.scalar(text("PRAGMA foreign_keys")) == 1

        # A second start (or a second process) finds the database at head and leaves it be.
        processed = service.metadata.tables["processed_messages"]
        async with db.writing() as session:
            await session.execute(insert(processed).values(
                consumer="c", message_id="m", processed_at=datetime.now(UTC)))
        await db.create_schema()
        assert await _state(db) == ([], [_head(service)], tables)
        async with db.reading() as session:
            assert await session.scalar(select(func.count()).select_from(processed)) == 1
    finally:
        await db.dispose()


async def test_the_accounts_store_migrates_to_its_models(backend: Backend) -> None:
    db = _database(backend, ACCOUNTS)
    try:
        await db.create_schema()
        differences, versions, tables = await _state(db)
        assert differences == [], "models and migrations differ: `make migration` to add a revision"
        assert versions == [_head(ACCOUNTS)]
        assert tables == set(ACCOUNTS.metadata.tables) | {"alembic_version"}
        await db.create_schema()
        assert await _state(db) == ([], [_head(ACCOUNTS)], tables)
    finally:
        await db.dispose()


async def test_the_comparison_sees_a_model_change_without_a_migration(backend: Backend) -> None:
    service = SERVICES[1]
    changed = MetaData()
    for table in service.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["handoffs"].append_column(Column("priority", Integer))
    db = _database(backend, service)
    try:
        await db.create_schema()
        async with db.engine.connect() as conn:
            differences = await conn.run_sync(_differences, changed, db.schema)
        assert [d[0] for d in differences] == ["add_column"]
        assert differences[0][3].name == "priority"
    finally:
        await db.dispose()


# One process of a service at start: it waits for the others (a file each in ``barrier``), so
# that they all begin the upgrade at the same moment.
_START = """
import asyncio, sys, time
from pathlib import Path
from services.accounts import models as accounts_models
from services.accounts import store as accounts_store
from services.common.db import Database
from services.intake.models import Base

url, schema, migrations, barrier, n = sys.argv[1:]
db = Database(url, Base.metadata, schema=schema or None, migrations=Path(migrations))
(Path(barrier) / str(time.monotonic_ns())).touch()
while len(list(Path(barrier).iterdir())) < int(n):
    time.sleep(0.005)

async def main():
    try:
        await db.create_schema()
    finally:
        await db.dispose()

asyncio.run(main())
"""


async def test_processes_starting_together_take_turns(backend: Backend, tmp_path: Path) -> None:
    """Processes of one service starting at once: one creates the tables, the others wait
    (PostgreSQL advisory lock, SQLite write lock), then find the database at head."""
    service, n = SERVICES[0], 4
    db = _database(backend, service)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    processes = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", _START, db.url, db.schema or "", str(service.migrations),
        str(barrier), str(n), stderr=asyncio.subprocess.PIPE) for _ in range(n)]
    try:
        results = [(p, (await p.communicate())[1].decode()) for p in processes]
        assert [p.returncode for p, _ in results] == [0] * n, [err for p, err in results if p.returncode]
        assert await _state(db) == ([], [_head(service)], set(service.metadata.tables)
                                    | {"alembic_version"})
    finally:
        await db.dispose()


async def test_services_in_one_database_keep_their_own_version_table(backend: Backend) -> None:
    intake, routing = SERVICES[0], SERVICES[1]
    dbs = [_database(backend, intake), _database(backend, routing)]
    try:
        await asyncio.gather(*(db.create_schema() for db in dbs))
        for db, service in zip(dbs, (intake, routing), strict=True):
            differences, versions, _ = await _state(db)
            assert (differences, versions) == ([], [_head(service)])
        if backend.kind == "postgres":
            async with dbs[0].engine.connect() as conn:
                homes = (await conn.execute(text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'alembic_version' AND table_schema LIKE :prefix"),
                    {"prefix": backend.schema_prefix + "%"})).scalars().all()
            assert sorted(homes) == [backend.schema_prefix + "intake", backend.schema_prefix + "routing"]
        else:
            assert dbs[0].url != dbs[1].url  # a SQLite file each
    finally:
        for db in dbs:
            await db.dispose()


async def test_a_database_made_before_migrations_is_adopted(backend: Backend) -> None:
    """Tables from ``create_all`` (no version table) that match the models: stamped at head."""
    service = SERVICES[3]
    before = _database(backend, service, migrated=False)
    db = _database(backend, service)
    try:
        await before.create_schema()
        await db.create_schema()
        assert await _state(db) == ([], [_head(service)], set(service.metadata.tables)
                                    | {"alembic_version"})
    finally:
        await before.dispose()
        await db.dispose()


async def test_a_database_made_before_migrations_that_differs_is_refused(backend: Backend) -> None:
    service = SERVICES[1]
    before = _database(backend, service, migrated=False)
    db = _database(backend, service)
    try:
        await before.create_schema()
        async with before.writing() as session:
            await session.execute(text("DROP INDEX " + (f'"{db.schema}".' if db.schema else "")
                                       + "ix_handoffs_handed_at"))
        with pytest.raises(RuntimeError, match="no Alembic version"):
            await db.create_schema()
    finally:
        await before.dispose()
        await db.dispose()


def test_make_migration_writes_nothing_when_the_models_match(capsys: pytest.CaptureFixture[str]) -> None:
    """The ``make migration`` path (autogenerate against a scratch SQLite database at head)."""
    service = SERVICES[1]
    versions = service.migrations / "versions"
    before = set(versions.glob("*.py"))
    try:
        new_revision("routing", "nothing changed")
    finally:
        for path in set(versions.glob("*.py")) - before:  # never leave a stray revision behind
            path.unlink()
    assert set(versions.glob("*.py")) == before
    assert "no new revision" in capsys.readouterr().out
