"""Supervision reads the open hand-offs every minute: among years of closed ones it must not
read them all (the history bench found a full scan of the ledger, 140 ms at 300,000 rows).
Each of its reads is served by an index, on SQLite and on PostgreSQL."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from services.routing.models import Base
from services.routing.supervision.stages import open_handoff_queries
from tests.support.backends import PG_URL, Backend


@pytest.fixture
def engine(backend: Backend) -> Iterator[Engine]:
    if backend.kind == "sqlite":
        backend.data_dir.mkdir(parents=True)
        made = create_engine(f"sqlite:///{backend.data_dir / 'routing.db'}")
    else:
        schema = f"{backend.schema_prefix}routing"
        made = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        with made.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    Base.metadata.create_all(made)
    yield made
    made.dispose()


def plan_of(engine: Engine, sql: str) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        # An empty table is cheapest to scan: ask whether an index can serve it at all.
        conn.exec_driver_sql("SET enable_seqscan = off")
        return " | ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


def test_every_read_of_the_open_handoffs_uses_an_index(engine: Engine) -> None:
    plans = [plan_of(engine, str(query.compile(engine, compile_kwargs={"literal_binds": True})))
             for query in open_handoff_queries()]
    assert len(plans) == 2
    assert "ix_handoffs_undecided" in plans[0], plans[0]
    assert "ix_handoffs_paperwork_open" in plans[1], plans[1]
    if engine.dialect.name == "postgresql":
        assert not any("Seq Scan" in p for p in plans), plans
    else:
        assert not any("SCAN handoffs" in p and "INDEX" not in p for p in plans), plans
