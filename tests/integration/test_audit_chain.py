"""The audit chain (services/common/audit.py): writers appending at once (several engines, as
several processes of one service would) leave one unbroken chain; ``verify`` finds a row
changed, removed or re-hashed, and rows cut from the end; ``onedoor audit verify`` says so
per service, after a real flow, and exits non-zero."""

import asyncio
import random
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import MetaData, func, select, text

from services.common.audit import AuditTables, append, audit_tables, row_hash, verify
from services.common.db import Database
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.launcher import cli
from tests.integration.test_departments_rules import CIVIL, arrive, assigned, broker
from tests.support.apps import running
from tests.support.backends import PG_URL, Backend
from tests.support.factories import application
from tests.support.nats import NatsServer

WRITERS, EACH = 4, 15


def _database(backend: Backend, tables: AuditTables) -> Database:
    url, schema = Settings(**backend.settings_kwargs()).database_for("chain")
    return Database(url, tables.log.metadata, schema=schema)


async def _append(db: Database, tables: AuditTables, n: int) -> None:
    for i in range(n):
        async with db.writing() as session:
            await append(session, tables, {"action": "read", "route": "GET /x", "status": 200,
                                           "request_id": f"r{i}"}, datetime.now(UTC))


async def test_writers_appending_together_keep_one_chain_and_verify_finds_each_break(
        backend: Backend) -> None:
    tables = audit_tables(MetaData())
    writers = [_database(backend, tables) for _ in range(WRITERS)]  # an engine and lock each
    try:
        await writers[0].create_schema()
        await asyncio.gather(*(_append(db, tables, EACH) for db in writers))
        db = writers[0]
        async with db.reading() as session:
            verdict = await verify(session, tables)
            assert await session.scalar(select(func.count()).select_from(tables.log)) \
                == WRITERS * EACH
        assert (verdict.ok, verdict.rows) == (True, WRITERS * EACH)

        log = (f'"{db.schema}".' if db.schema else "") + "audit_log"
        async with db.writing() as session:  # no trigger here (create_all): as a tamperer would
            await session.execute(text(f"UPDATE {log} SET status = 500 WHERE id = 17"))
        async with db.reading() as session:
            broken = await verify(session, tables)
        assert (broken.ok, broken.broken_id, broken.rows) == (False, 17, 16)
        assert "content does not match its hash" in (broken.problem or "")

        # Re-hashed to hide the change: the next row no longer links to it.
        async with db.reading() as session:
            row = dict((await session.execute(select(tables.log).where(
                tables.log.c.id == 17))).mappings().one())
        async with db.writing() as session:
            await session.execute(tables.log.update().where(tables.log.c.id == 17)
                                  .values(hash=row_hash(row)))
        async with db.reading() as session:
            broken = await verify(session, tables)
        assert (broken.broken_id, "prev_hash" in (broken.problem or "")) == (18, True)

        async with db.writing() as session:
            await session.execute(tables.log.delete().where(tables.log.c.id >= 17))
        async with db.reading() as session:
            cut = await verify(session, tables)
        assert (cut.broken_id, cut.rows) == (17, 16) and "missing" in (cut.problem or "")
        async with db.writing() as session:
            await session.execute(tables.log.delete().where(tables.log.c.id == 5))
        async with db.reading() as session:
            gap = await verify(session, tables)
        assert (gap.broken_id, gap.problem) == (5, "row 5 is missing (the next is 6)")
    finally:
        for each in writers:
            await each.dispose()


def _tamper(backend: Backend, data_dir: Path, row_id: int) -> None:
    """Change one of intake's audit rows with raw SQL, the trigger out of the way."""
    if backend.kind == "sqlite":
        with sqlite3.connect(data_dir / "intake.db") as conn:
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute("UPDATE audit_log SET username = 'someone-else' WHERE id = ?",
                         (row_id,))
        return
    table = f'"{backend.schema_prefix}intake".audit_log'
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_log_append_only")
        conn.execute(f"UPDATE {table} SET username = 'someone-else' WHERE id = %s", (row_id,))
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_log_append_only")


async def _verify(capsys: pytest.CaptureFixture[str], backend: Backend) -> tuple[int, str]:
    """``onedoor audit verify`` (on a thread: the command runs its own event loop)."""
    args = ["audit", "verify", "--data-dir", str(backend.data_dir)]
    if backend.kind == "postgres":
        args += ["--database-url", PG_URL]

    def command() -> int:
        with pytest.raises(SystemExit) as exit_:
            cli.main(args)
        return int(exit_.value.code or 0)

    code = await asyncio.to_thread(command)
    return code, capsys.readouterr().out


def _by_service(out: str) -> dict[str, str]:
    """``service: verdict`` lines of the command's output."""
    return dict(re.findall(r"^([a-z_]+): (.*)$", out, re.MULTILINE))


async def test_onedoor_audit_verify_after_a_flow_then_finds_the_tampered_row(
        backend: Backend, nats_server: NatsServer, rng: random.Random,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEDOOR_DATABASE_SCHEMA_PREFIX", backend.schema_prefix)
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake:
        for _ in range(3):
            created = await intake.post("/api/v1/applications",
                                        json=application(rng, ["housing_aid"]))
            assert created.status_code == 201
            assert (await intake.get(f"/api/v1/applications/{created.json()['id']}")).is_success
    async with running(create_department(settings, CIVIL)) as civil, broker(nats_server) as js:
        await arrive(js, civil, assigned(rng, ["temporary_aid"]))

    code, out = await _verify(capsys, backend)
    assert code == 0, out
    lines = _by_service(out)
    assert lines["intake"] == "6 rows, OK", out
    assert lines["department_civil_affairs"].endswith("rows, OK"), out

    _tamper(backend, backend.data_dir, 4)
    code, out = await _verify(capsys, backend)
    assert code == 1, out
    lines = _by_service(out)
    assert lines["intake"].startswith("BROKEN at row 4: its content does not match its hash"), out
    assert lines["department_civil_affairs"].endswith("rows, OK"), out
