"""Copies of a service on one PostgreSQL schema share its outbox: their relays claim rows
(``FOR UPDATE SKIP LOCKED``), so that each event is published exactly once, none waits for a
relay that holds rows, and the rows of a relay that dies go to the others."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
import psycopg
import pytest
from sqlalchemy import MetaData, func, insert, select

from contracts import subjects
from services.common import keystore
from services.common.clock import SystemClock
from services.common.db import Database
from services.common.jetstream import ensure_stream
from services.common.messaging import messaging_tables
from services.common.relay import OutboxRelay
from services.common.settings import Settings
from tests.support.backends import PG_URL, Backend
from tests.support.nats import NatsServer

ROWS = 2000
HELD = 50  # rows a third relay claims and then dies with


def _copy(backend: Backend) -> tuple[Database, OutboxRelay]:
    """One copy's database and relay (its own engine: its own connections, as a process)."""
    settings = Settings(**backend.settings_kwargs())
    url, schema = settings.database_for("relaytest")
    keys = keystore.load(settings.data_dir, settings.key_values(), bus=False)
    metadata = MetaData()
    tables = messaging_tables(metadata)
    db = Database(url, metadata, schema=schema, keys=keys)
    return db, OutboxRelay(db, tables, SystemClock(), batch=100)


async def _unpublished(db: Database, relay: OutboxRelay) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).where(
            relay.outbox.c.published_at.is_(None)))


async def _drain(relay: OutboxRelay, db: Database, js: object, leave: int) -> None:
    """Publish until only ``leave`` rows are unpublished (those another relay holds)."""
    while await _unpublished(db, relay) > leave:
        if not await relay.publish_pending(js):  # type: ignore[arg-type]
            await asyncio.sleep(0.05)  # what is left is in the other relay's hands


async def _stream_ids(url: str) -> list[str]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    total = (await js.stream_info(subjects.STREAM)).state.messages
    sub = await js.subscribe("onedoor.>", ordered_consumer=True)
    ids = [(await sub.next_msg(timeout=10)).headers["Nats-Msg-Id"] for _ in range(total)]
    await nc.close()
    return ids


@pytest.mark.postgres
def test_two_relays_on_one_schema_publish_each_row_exactly_once(
    backend: Backend, nats_server: NatsServer, tmp_path: Path
) -> None:
    if backend.kind != "postgres":
        pytest.skip("several copies of a service are for PostgreSQL")
    (db_a, relay_a), (db_b, relay_b) = _copy(backend), _copy(backend)
    run = uuid.uuid4().hex[:8]
    expected = {f"{run}:{n}" for n in range(ROWS)}

    async def scenario() -> None:
        await db_a.create_schema()
        now = datetime.now(UTC)
        async with db_a.writing() as session:
            await session.execute(insert(relay_a.outbox), [
                {"message_id": f"{run}:{n}", "subject": subjects.APPLICATION_SUBMITTED,
                 "payload": b'{"n": %d}' % n, "headers": {}, "created_at": now}
                for n in range(ROWS)])
        # A third relay claims the first rows and hangs on them (as if NATS never answered).
        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        holder = await psycopg.AsyncConnection.connect(dsn)
        held = await holder.execute(
            f'SELECT id FROM "{db_a.schema}".outbox WHERE published_at IS NULL ORDER BY id '
            f"LIMIT {HELD} FOR UPDATE SKIP LOCKED")
        assert len(await held.fetchall()) == HELD
        connections = [await nats.connect(nats_server.url) for _ in range(2)]
        try:
            await ensure_stream(connections[0].jetstream())
            js_a, js_b = (c.jetstream() for c in connections)
            # Neither waits for the rows held: both publish everything else, side by side.
            await asyncio.wait_for(asyncio.gather(_drain(relay_a, db_a, js_a, HELD),
                                                  _drain(relay_b, db_b, js_b, HELD)), 120)
            assert await _unpublished(db_a, relay_a) == HELD
            await holder.close()  # the third relay dies: its claim ends with its connection
            await asyncio.wait_for(asyncio.gather(_drain(relay_a, db_a, js_a, 0),
                                                  _drain(relay_b, db_b, js_b, 0)), 120)
        finally:
            for c in connections:
                await c.close()
            await db_a.dispose()
            await db_b.dispose()

    asyncio.run(scenario())
    ids = asyncio.run(_stream_ids(nats_server.url))
    # In the stream once each; and published once each: a second publish of a row would have
    # been acknowledged too (as a duplicate the stream drops), counted by the relay that made it.
    assert len(ids) == ROWS and set(ids) == expected
    assert relay_a.published + relay_b.published == ROWS
    assert relay_a.published > 0 and relay_b.published > 0
