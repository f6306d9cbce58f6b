"""``--history N``: the databases made to hold about N past applications before the measured
load, so that the figures show whether history slows the hot path (issue 11).

The past is the bench's own first load (real rows, encrypted as the services write them),
copied ``factor - 1`` times under new keys in every service's tables: a copy's string keys
(primary, unique and foreign) get their first five characters replaced by the copy's mark,
the same way everywhere in one database, so foreign keys still hold and unique ones stay
unique; integer keys are left to the database. The copies are completed applications, as
the past is (a mark is in letters no original key starts with: a copy never meets its
original). Nothing reads them on the hot path but through indexes: that is the point.
"""

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Engine

from bench.progress import Progress
from services.launcher.topology import topology

# What is not one application's: the messaging plumbing, the audit chain (a copy would break
# it), the migrations' mark and the departments' rota.
SKIPPED = frozenset({"alembic_version", "outbox", "dead_letters", "audit_log", "audit_head",
                     "absences"})
MARK = 5  # characters of a copied key replaced by the copy's number
# Written in letters no key of OneDoor starts with (its ids are hexadecimal, its receipt
# numbers upper case): a copy's key never equals an original's (20⁵ = 3.2 million copies).
MARK_LETTERS = "ghijklmnopqrstuvwxyz"
COPIES_PER_COMMIT = 20


def multiply(data_dir: Path, database_url: str | None, schema_prefix: str, factor: int,
             progress: Progress) -> dict[str, int]:
    """Copy every service's rows ``factor - 1`` times; returns the rows per table after."""
    rows: dict[str, int] = {}
    for service, engine, schema in _databases(data_dir, database_url, schema_prefix):
        with engine.connect() as conn:
            tables = MetaData()
            tables.reflect(conn, schema=schema)
            for table in tables.sorted_tables:  # parents before children
                if table.name in SKIPPED:
                    continue
                originals = f"seed_{table.name}"
                conn.execute(text(f"CREATE TEMPORARY TABLE {originals} AS SELECT * FROM "
                                  f"{_name(table)}"))
                seed = Table(originals, MetaData(), *(
                    Column(c.name, c.type) for c in table.columns))
                statement = _copy(table, seed)
                for k in range(1, factor):
                    conn.execute(statement, {"mark": mark(k)})
                    if k % COPIES_PER_COMMIT == 0:
                        conn.commit()  # transactions of bounded size (SQLite's WAL, too)
                conn.execute(text(f"DROP TABLE {originals}"))
                conn.commit()
                rows[f"{service}: {table.name}"] = conn.scalar(
                    select(func.count()).select_from(table)) or 0
            progress.say(f"history: {service} holds {factor}× its rows")
        with engine.connect() as conn:  # fresh statistics for the planner
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        engine.dispose()
    return rows


def mark(k: int) -> str:
    """The ``k``-th copy's mark: ``k`` in MARK letters."""
    digits = []
    for _ in range(MARK):
        k, digit = divmod(k, len(MARK_LETTERS))
        digits.append(MARK_LETTERS[digit])
    return "".join(reversed(digits))


def _copy(table: Table, seed: Table):  # type: ignore[no-untyped-def]
    """INSERT INTO table SELECT (the seed's rows, keys re-marked by :mark)."""
    keyed = _keys(table)
    columns, values = [], []
    for column in table.columns:
        if column.primary_key and column.autoincrement is True and not isinstance(
                column.type, String | Text):
            continue  # an integer key: the database numbers the copy
        if column.primary_key and _is_integer_serial(table, column):
            continue
        source = seed.c[column.name]
        columns.append(column.name)
        if column.name in keyed:
            # The copy's number in place of the first characters (lengths unchanged, so
            # VARCHAR(n) keys still fit).
            values.append(bindparam("mark", type_=String) + func.substr(
                source, MARK + 1, type_=String))
        else:
            values.append(source)
    return insert(table).from_select(columns, select(*values))


def _keys(table: Table) -> set[str]:
    """String columns that must change in a copy: single-column primary or unique keys,
    foreign keys, and in a composite key without a foreign key its last string column."""
    strings = {c.name for c in table.columns if isinstance(c.type, String | Text)}
    keyed = {fk.parent.name for fk in table.foreign_keys} & strings
    groups = [[c.name for c in table.primary_key.columns]]
    groups += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    groups += [[c.name for c in constraint.columns] for constraint in table.constraints
               if constraint.__class__.__name__ == "UniqueConstraint"]
    for group in groups:
        named = [c for c in group if c in strings]
        if not named or keyed & set(group):
            continue
        keyed.add(named[-1] if len(group) > 1 else named[0])
    return keyed


def _is_integer_serial(table: Table, column: Column) -> bool:
    return len(table.primary_key.columns) == 1 and not isinstance(column.type, String | Text)


def _name(table: Table) -> str:
    return f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'


def _databases(data_dir: Path, database_url: str | None,
               prefix: str) -> Iterator[tuple[str, Engine, str | None]]:
    """Each service's database: its SQLite file, or its schema on PostgreSQL."""
    for spec in topology(0):
        stem = spec.name.replace("dept-", "department_")
        if database_url:
            yield spec.name, create_engine(database_url), f"{prefix}{stem}"
        else:
            path = data_dir / f"{stem}.db"
            if path.exists():
                yield spec.name, create_engine(f"sqlite:///{path}"), None
