"""Shared fixtures: a real nats-server per test, and each database the suite runs against."""

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backends import (
    Backend,
    drop_schemas,
    new_postgres_backend,
    postgres_unreachable_reason,
)
from tests.support.nats import NatsServer

_PG_REASON: list[str | None] = []


def pg_reason() -> str | None:
    if not _PG_REASON:
        _PG_REASON.append(postgres_unreachable_reason())
    return _PG_REASON[0]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The same test on SQLite and on PostgreSQL (skipped, with the reason, if unreachable)."""
    if request.param == "sqlite":
        yield Backend("sqlite", tmp_path / "data")
        return
    reason = pg_reason()
    if reason:
        pytest.skip(reason)
    pg = new_postgres_backend(tmp_path / "data")
    yield pg
    drop_schemas(pg.schema_prefix)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
def rng() -> random.Random:
    """Fresh generated data in every test, reproducible from the seed printed on failure."""
    seed = uuid.uuid4().int & 0xFFFFFFFF
    print(f"test data seed: {seed}")
    return random.Random(seed)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PG_REASON and _PG_REASON[0]:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", yellow=True)
        terminalreporter.write_line(_PG_REASON[0])
    elif _PG_REASON:
        terminalreporter.write_line("PostgreSQL: reachable; the database tests ran on it too.")
