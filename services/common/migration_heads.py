"""Whether a database is already at the head of its migration history, found without Alembic.

At every start but the first after an upgrade there is nothing to migrate, and importing
Alembic (with Mako and the revisions) only to learn that would keep ~10 MB resident in each
service process for its whole life. This reads the heads from the revision files' literal
``revision`` and ``down_revision`` and compares them with the version table; whenever it cannot
be sure, it answers "no" and Alembic decides, as before.
"""

import ast
import functools
from pathlib import Path
from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

VERSION_TABLE = "alembic_version"


@functools.cache
def script_heads(migrations: Path) -> frozenset[str] | None:
    """The revisions of ``migrations/versions`` that no other revises; None if a file does not
    state its ``revision`` and ``down_revision`` as plain literals."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in sorted((migrations / "versions").glob("*.py")):
        if path.name.startswith("__init__"):
            continue
        found = _literals(path, ("revision", "down_revision"))
        revision, down = found.get("revision"), found.get("down_revision", ...)
        if not isinstance(revision, str) or down is ...:
            return None
        revisions.add(revision)
        downs = down if isinstance(down, tuple | list) else (down,)
        if not all(isinstance(d, str) or d is None for d in downs):
            return None
        revised.update(d for d in downs if d is not None)
    return frozenset(revisions - revised) or None


def _literals(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """The module-level assignments of ``names`` in ``path`` whose values are literals."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id in names and node.value is not None:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                found[target.id] = ...  # not a literal: let Alembic read it
    return found


async def at_head(engine: AsyncEngine, schema: str | None, migrations: Path) -> bool:
    """The version table (in ``schema`` on PostgreSQL) holds exactly the scripts' heads."""
    heads = script_heads(migrations)
    if heads is None:
        return False
    versions = table(VERSION_TABLE, column("version_num"), schema=schema)
    try:
        async with engine.connect() as conn:
            current = set((await conn.execute(select(versions.c.version_num))).scalars())
    except DBAPIError:  # no version table yet
        return False
    return current == heads
