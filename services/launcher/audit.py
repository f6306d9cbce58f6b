"""``onedoor audit verify``: every service's audit chain checked, row by row
(services/common/audit.py): per service the rows and OK, or the first broken row and what is
wrong with it; exit code 1 if any chain is broken."""

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import make_url

from contracts import Department
from services.common.audit import AuditTables, Verdict, audit_tables, verify
from services.common.db import Database
from services.common.settings import Settings
from services.launcher.preflight import CONFIG_ERROR, ConfigError, check_settings

SERVICES = ("intake", "routing", "notify", *(f"department_{d.value}" for d in Department))
BROKEN = 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="check the audit trails",
                           description="The audit trail each service keeps (who read or "
                                       "changed which case): rows are hash-chained.")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify", help="check every service's hash chain; exit 1 if one is broken",
        description="Check every service's audit chain: each row's hash, its link to the row "
                    "before, no row missing. Prints each service's rows and OK, or its first "
                    "broken row and what is wrong; exits 1 if any is broken.")
    check.add_argument("--data-dir", type=Path,
                       help="the data directory 'up' was given (default: ONEDOOR_DATA_DIR, "
                            "else var)")
    check.add_argument("--database-url",
                       help="PostgreSQL, as 'up' was given (default: ONEDOOR_DATABASE_URL, "
                            "else the SQLite files under the data directory)")


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in {"data_dir": args.data_dir,
                                   "database_url": args.database_url}.items() if v is not None}
    try:
        settings = check_settings(**overrides)
    except ConfigError as exc:
        print(f"onedoor audit verify: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    results = asyncio.run(verify_all(settings))
    if not results:
        print("no service database found (check --data-dir or --database-url)")
        return BROKEN
    for name, verdict in results:
        if verdict is None:
            print(f"{name}: no audit trail (its database predates it, or the service never ran)")
        elif verdict.ok:
            print(f"{name}: {verdict.rows} rows, OK")
        else:
            print(f"{name}: BROKEN at row {verdict.broken_id}: {verdict.problem} "
                  f"({verdict.rows} rows before it are sound)")
    return BROKEN if any(v is not None and not v.ok for _, v in results) else 0


async def verify_all(settings: Settings) -> list[tuple[str, Verdict | None]]:
    """Each service database that exists, and what its chain check found (None: it has no
    audit table)."""
    tables = audit_tables(MetaData())
    found = []
    for name in SERVICES:
        url, schema = settings.database_for(name)
        if url.startswith("sqlite") and not Path(make_url(url).database or "").exists():
            continue
        db = Database(url, tables.log.metadata, schema=schema)
        try:
            state = await _state(db, schema)
            if state != "absent":
                found.append((name, await _check(db, tables) if state == "ok" else None))
        finally:
            await db.dispose()
    return found


async def _state(db: Database, schema: str | None) -> str:
    """"absent" (no such schema), "no table" (no audit trail in it) or "ok"."""
    def look(sync: object) -> str:
        seen = inspect(sync)
        if schema is not None and not seen.has_schema(schema):
            return "absent"
        return "ok" if seen.has_table("audit_log", schema=schema) else "no table"

    async with db.engine.connect() as conn:
        return await conn.run_sync(look)


async def _check(db: Database, tables: AuditTables) -> Verdict:
    async with db.reading() as session:
        return await verify(session, tables)
