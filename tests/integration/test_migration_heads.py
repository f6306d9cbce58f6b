"""A service that starts on a database already at head leaves Alembic unloaded, and ``onedoor
run`` migrates in a child: the serving process never holds Alembic (memory at rest)."""

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from services.common.db import Database
from services.common.migration_heads import script_heads
from services.common.migrations import alembic_config
from services.common.settings import Settings
from tests.integration.test_migrations import ACCOUNTS, SERVICES, Service
from tests.support.backends import Backend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", [*SERVICES, ACCOUNTS], ids=lambda s: s.name)
def test_the_heads_read_from_the_files_are_alembics(service: Service) -> None:
    alembic = ScriptDirectory.from_config(alembic_config(service.migrations)).get_heads()

    assert script_heads(service.migrations) == frozenset(alembic)


def _revision(versions: Path, name: str, revision: str, down: str) -> None:
    (versions / f"{name}.py").write_text(
        f"revision: str = {revision}\ndown_revision = {down}\n\ndef upgrade():\n    pass\n")


def test_branches_and_merges_are_read_and_anything_unclear_is_left_to_alembic(
        tmp_path: Path) -> None:
    versions = tmp_path / "branched" / "versions"
    versions.mkdir(parents=True)
    _revision(versions, "a", "'a'", "None")
    _revision(versions, "b", "'b'", "'a'")
    _revision(versions, "c", "'c'", "'a'")
    assert script_heads(tmp_path / "branched") == {"b", "c"}

    _revision(versions, "d", "'d'", "('b', 'c')")
    script_heads.cache_clear()
    assert script_heads(tmp_path / "branched") == {"d"}

    _revision(versions, "e", "'e'", "PREVIOUS")  # not a literal
    script_heads.cache_clear()
    assert script_heads(tmp_path / "branched") is None


def _database(backend: Backend, service: Service) -> Database:
    url, schema = Settings(**backend.settings_kwargs()).database_for(service.name)
    return Database(url, service.metadata, schema=schema, migrations=service.migrations)


@pytest.mark.parametrize("service", [SERVICES[0], ACCOUNTS], ids=lambda s: s.name)
async def test_at_head_only_once_migrated(backend: Backend, service: Service) -> None:
    db = _database(backend, service)
    try:
        assert not await db.at_head()  # no version table yet

        await db.create_schema()

        assert await db.at_head()
    finally:
        await db.dispose()


# ``onedoor run``'s start, in a process of its own: the databases migrated by the child, then
# the service's start (create_schema) with what it imported.
_RUN = """
import asyncio, sys
from pathlib import Path
from services.accounts import store
from services.common.db import Database
from services.intake import app, models
from services.launcher.migrate_apart import migrate_apart

data = Path(sys.argv[1])
dbs = [Database(f"sqlite+aiosqlite:///{data / 'intake.db'}", models.Base.metadata,
                migrations=app.MIGRATIONS),
       Database(f"sqlite+aiosqlite:///{data / 'accounts.db'}", store.Base.metadata,
                migrations=store.MIGRATIONS)]
migrate_apart(dbs)

async def start():
    for db in dbs:
        await db.create_schema()
        print(await db.at_head())
        await db.dispose()

asyncio.run(start())
print("alembic" in sys.modules)
"""


@pytest.mark.parametrize("start", ["first", "again"])
def test_run_migrates_in_a_child_and_never_loads_alembic(tmp_path: Path, start: str) -> None:
    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", _RUN, str(tmp_path)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        return done.stdout.split()

    if start == "again":
        run()

    assert run() == ["True", "True", "False"]
