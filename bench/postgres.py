"""PostgreSQL for a bench run: is it there, and a schema prefix of the run's own, dropped at
the end, so that the run shares the database with nobody's tables."""

import uuid

import psycopg

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def dsn(url: str) -> str:
    """What psycopg connects to for SQLAlchemy's ``postgresql+psycopg://`` URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def unreachable(url: str) -> str | None:
    """None when PostgreSQL at ``url`` answers; otherwise why not, in one line."""
    try:
        with psycopg.connect(dsn(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def new_prefix() -> str:
    return f"bench{uuid.uuid4().hex[:8]}_"


def drop_schemas(url: str, prefix: str) -> None:
    """Every schema the run made (they all start with its prefix)."""
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                            (prefix.replace("_", r"\_") + "%",)).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
