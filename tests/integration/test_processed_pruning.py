"""Processed-message ids are kept as long as the stream could deliver their messages again,
then pruned (the relay's round), so the table a consumer checks stays bounded."""

from datetime import timedelta

from sqlalchemy import MetaData, insert, select

from contracts import subjects
from services.common import keystore
from services.common.clock import MovableClock
from services.common.db import Database
from services.common.messaging import messaging_tables
from services.common.relay import PRUNE_EVERY, OutboxRelay
from services.common.settings import Settings
from tests.support.backends import Backend


async def test_ids_older_than_the_stream_are_pruned_and_no_others(backend: Backend) -> None:
    settings = Settings(**backend.settings_kwargs())
    url, schema = settings.database_for("prunetest")
    keys = keystore.load(settings.data_dir, settings.key_values(), bus=False)
    metadata = MetaData()
    tables = messaging_tables(metadata)
    db = Database(url, metadata, schema=schema, keys=keys)
    await db.create_schema()
    clock = MovableClock()
    now = clock.now()
    ages = {"a-week": timedelta(days=7), "the-stream's-age": subjects.STREAM_MAX_AGE,
            "past-the-stream": subjects.STREAM_MAX_AGE + timedelta(days=2)}
    try:
        async with db.writing() as session:
            await session.execute(insert(tables.processed), [
                {"consumer": "c", "message_id": name, "processed_at": now - age}
                for name, age in ages.items()])
        relay = OutboxRelay(db, tables, clock)
        clock.advance(seconds=PRUNE_EVERY.total_seconds() + 1)
        await relay._prune()
        async with db.reading() as session:
            kept = set(await session.scalars(select(tables.processed.c.message_id)))
        assert kept == {"a-week", "the-stream's-age"}
    finally:
        await db.dispose()
