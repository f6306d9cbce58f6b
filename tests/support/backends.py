"""The databases the suite runs against: SQLite always, PostgreSQL where it is reachable."""

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_URL = os.environ.get("ONEDOOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


def postgres_unreachable_reason() -> str | None:
    """None if PostgreSQL answers; otherwise why not (shown when its tests are skipped)."""
    host, port = "127.0.0.1", 5432
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
        with psycopg.connect(_pg_dsn(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL} ({exc.__class__.__name__}: {exc})"
    return None


@dataclass
class Backend:
    """Settings for services under test: where their databases live."""

    kind: str  # "sqlite" or "postgres"
    data_dir: Path
    schema_prefix: str = ""

    @property
    def database_url(self) -> str | None:
        return PG_URL if self.kind == "postgres" else None

    def env(self) -> dict[str, str]:
        env = {"ONEDOOR_DATA_DIR": str(self.data_dir)}
        if self.kind == "postgres":
            env["ONEDOOR_DATABASE_URL"] = PG_URL
            env["ONEDOOR_DATABASE_SCHEMA_PREFIX"] = self.schema_prefix
        return env

    def settings_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"data_dir": self.data_dir}
        if self.kind == "postgres":
            kwargs |= {"database_url": PG_URL, "database_schema_prefix": self.schema_prefix}
        return kwargs


def new_postgres_backend(data_dir: Path) -> Backend:
    return Backend("postgres", data_dir, schema_prefix=f"t{uuid.uuid4().hex[:10]}_")


def drop_schemas(prefix: str) -> None:
    """Remove every schema a test created (they all start with its prefix)."""
    with psycopg.connect(_pg_dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
