"""Personal data encrypted at rest in every service's database: rows written in clear before
the migrations are read clear and written sealed; a rotation re-encrypts every value under the
new key, in batches, and can be run again after being interrupted; a wrong key is refused at
start."""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import MetaData, insert, select, text

from services.common import keystore
from services.common.crypto import KeyProblem, Keyring, key_id, new_key
from services.common.db import Database
from services.common.migrations import alembic_config
from services.common.rekey import check_readable, reseal
from services.common.settings import Settings
from services.departments import app as departments_app
from services.departments import models as departments_models
from services.intake import app as intake_app
from services.intake import models as intake_models
from services.notify import app as notify_app
from services.notify import models as notify_models
from services.routing import app as routing_app
from services.routing import models as routing_models
from tests.support.backends import Backend
from tests.support.factories import resident_id

NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Service:
    name: str
    metadata: MetaData
    migrations: Path
    before: str  # the revision before personal data was encrypted
    # Each table's clear row at ``before`` (JSON columns as dicts), and the columns sealed since.
    rows: dict[str, tuple[dict[str, Any], tuple[str, ...]]]


def _person(rng: random.Random) -> dict[str, Any]:
    return {"name": rng.choice(["欧阳", "司马", "诸葛"]) + rng.choice(["秀英", "建国", "娜娜"]),
            "id_number": resident_id(rng), "phone": f"+86139{rng.randint(0, 99999999):08d}",
            "address": f"东风村{rng.randint(1, 99)}组", "village": "东风村"}


def _messaging(person: dict[str, Any]) -> dict[str, tuple[dict[str, Any], tuple[str, ...]]]:
    message = json.dumps({"payload": {"applicant": person}}, ensure_ascii=False).encode()
    return {
        "outbox": ({"message_id": "m1", "subject": "onedoor.application.submitted",
                    "payload": message, "created_at": NOW}, ("payload",)),
        "dead_letters": ({"consumer": "c", "subject": "s", "message_id": "m2", "data": message,
                          "error": "e", "attempts": 1, "recorded_at": NOW}, ("data",)),
    }


def _services(person: dict[str, Any]) -> list[Service]:
    household = {"size": 3, "residence": "rural", "monthly_income_per_capita": "412.50",
                 "members": [{"name": "欧阳小明", "relation": "子", "student": True}]}
    return [
        Service("intake", intake_models.Base.metadata, intake_app.MIGRATIONS, "0004", {
            "applications": ({
                "id": "a1", "receipt_no": "YD20261201-ABC234", "request_hash": "h",
                "status": "received", "channel": "window", "received_by": "w1",
                "received_at": NOW, "applicant": person, "household": household,
                "materials": [], "description": f"{person['name']}，因病致贫", "on_behalf_of": None,
                "applicant_name": person["name"], "village": "东风村",
                "id_number_key": person["id_number"]},
                ("applicant", "household", "description")),
            "notifications": ({
                "id": "n1", "application_id": "a1", "channel": "sms", "recipient": person["phone"],
                "kind": "decision", "text": f"{person['name']}您好", "sent_at": NOW},
                ("recipient", "text")),
            **_messaging(person)}),
        Service("routing", routing_models.Base.metadata, routing_app.MIGRATIONS, "0005", {
            "applications": ({
                "application_id": "a1", "receipt_no": "YD20261201-ABC234", "received_by": "w1",
                "received_at": NOW, "applicant": person, "household": household,
                "materials": [], "description": f"{person['name']}，因病致贫"},
                ("applicant", "household", "description")),
            **_messaging(person)}),
        Service("department_medical", departments_models.Base.metadata,
                departments_app.MIGRATIONS, "0003", {
                    "tasks": ({
                        "id": "t1", "application_id": "a1", "receipt_no": "YD20261201-ABC234",
                        "items": ["medical_aid"], "status": "assigned", "applicant": person,
                        "household": household, "materials": [],
                        "description": f"{person['name']}，因病致贫", "received_at": NOW,
                        "assigned_at": NOW, "due_at": NOW},
                        ("applicant", "household", "description")),
                    **_messaging(person)}),
        Service("notify", notify_models.Base.metadata, notify_app.MIGRATIONS, "0003", {
            "cases": ({"application_id": "a1", "name": person["name"], "phone": person["phone"]},
                      ("name", "phone")),
            "notices": ({
                "id": "n1", "application_id": "a1", "channel": "sms", "recipient": person["phone"],
                "kind": "decision", "text": f"{person['name']}您好", "created_at": NOW},
                ("recipient", "text")),
            **_messaging(person)}),
    ]


def _database(backend: Backend, service: Service, keys: keystore.Keys | None = None) -> Database:
    settings = Settings(**backend.settings_kwargs())
    url, schema = settings.database_for(service.name)
    keys = keys or keystore.load(settings.data_dir, settings.key_values(), bus=False)
    return Database(url, service.metadata, schema=schema, migrations=service.migrations, keys=keys)


def _clear_table(name: str, row: dict[str, Any], schema: str | None) -> Any:
    def kind(value: Any) -> Any:
        if isinstance(value, dict | list):
            return sa.JSON()
        if isinstance(value, datetime):
            return sa.DateTime(timezone=True)
        return sa.LargeBinary() if isinstance(value, bytes) else None
    return sa.table(name, *(sa.column(c, kind(v)) for c, v in row.items()), schema=schema)


async def _raw(db: Database, table: str, columns: tuple[str, ...]) -> list[str]:
    """The columns' stored values as text (bytes decoded), as anyone reading the file sees."""
    name = f'"{db.schema}".{table}' if db.schema else table
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT {', '.join(columns)} FROM {name}"))).one()
    return [bytes(v).decode("utf-8", "replace") if not isinstance(v, str) else v for v in row]


@pytest.mark.parametrize("index", range(4), ids=["intake", "routing", "department", "notify"])
async def test_the_migration_encrypts_rows_written_in_clear(backend: Backend, rng: random.Random,
                                                            index: int) -> None:
    person = _person(rng)
    service = _services(person)[index]
    db = _database(backend, service)
    try:
        async with db.engine.begin() as conn:
            if db.schema:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
            await conn.run_sync(lambda sync: command.upgrade(
                alembic_config(service.migrations, connection=sync, schema=db.schema),
                service.before))
            for table, (row, _) in service.rows.items():
                await conn.execute(insert(_clear_table(table, row, db.schema)).values(**row))
        await db.create_schema()  # at start: upgrade to head

        for table, (row, sealed) in service.rows.items():
            for value in await _raw(db, table, sealed):
                assert value.startswith(f"od1.{db.keys.data.primary}."), (table, value)
                for clear in (person["name"], person["id_number"], person["phone"][3:],
                              person["address"], "欧阳小明", "412.50"):
                    assert clear not in value, (table, clear)
            # Read through the models, every value is what it was.
            model = service.metadata.tables[table]
            async with db.reading() as session:
                stored = (await session.execute(select(model))).mappings().one()
            for column in sealed:
                expected = row[column]
                assert stored[column] == (json.loads(json.dumps(expected))
                                          if isinstance(expected, dict) else expected), column
        if db.is_sqlite:  # nothing of the clear rows left in the file's free pages or its WAL
            assert db.file is not None
            for path in (db.file, db.file.with_name(db.file.name + "-wal")):
                if path.exists():
                    assert person["id_number"].encode() not in path.read_bytes()
                    assert person["name"].encode() not in path.read_bytes()
    finally:
        await db.dispose()


async def test_a_rotation_re_encrypts_everything_and_can_be_run_again(
        backend: Backend, rng: random.Random, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values under key A; a keyring with B primary re-encrypts them all, in batches; cut
    short half-way, the next pass finishes; a pass over what is done changes nothing."""
    person = _person(rng)
    service = _services(person)[3]
    old, new = new_key(), new_key()
    before = keystore.Keys(data=Keyring([old]), search=new_key())
    db = _database(backend, service, before)
    try:
        await db.create_schema()
        outbox = notify_models.MESSAGING.outbox
        async with db.writing() as session:
            for n in range(7):
                session.add(notify_models.CaseRow(application_id=f"a{n}", name=person["name"],
                                                  phone=person["phone"]))
            await session.execute(insert(outbox), [
                {"message_id": f"m{n}", "subject": "s", "payload": b'{"x": 1}', "created_at": NOW}
                for n in range(5)])
        assert dict((await reseal(db, count_only=True)).by_key) == {key_id(old): 19}

        ring = Keyring({key_id(new): new, key_id(old): old}, key_id(new))
        real_writing, writes = db.writing, []

        def crashing() -> Any:  # the third batch's transaction fails, as in a crash
            writes.append(1)
            if len(writes) == 3:
                raise RuntimeError("power cut")
            return real_writing()

        monkeypatch.setattr(db, "writing", crashing)
        with pytest.raises(RuntimeError, match="power cut"):
            await reseal(db, ring, batch=2)
        monkeypatch.setattr(db, "writing", real_writing)
        half = (await reseal(db, ring, count_only=True)).by_key
        assert half[key_id(new)] > 0 and half[key_id(old)] > 0

        done = await reseal(db, ring, batch=2)
        assert done.resealed == half[key_id(old)]
        assert dict((await reseal(db, ring, count_only=True)).by_key) == {key_id(new): 19}
        assert (await reseal(db, ring)).resealed == 0
        # Readable with the new key alone.
        db.keys.data = Keyring([new])  # type: ignore[union-attr]
        async with db.reading() as session:
            cases = (await session.scalars(select(notify_models.CaseRow))).all()
            assert {(c.name, c.phone) for c in cases} == {(person["name"], person["phone"])}
    finally:
        await db.dispose()


async def test_a_key_that_does_not_open_the_data_is_said_at_start(backend: Backend,
                                                                  rng: random.Random) -> None:
    person = _person(rng)
    service = _services(person)[3]
    right = keystore.Keys(data=Keyring([new_key()], source="key file"), search=new_key())
    sealed_under = right.data.primary
    db = _database(backend, service, right)
    try:
        await db.create_schema()
        await check_readable(db)  # an empty database: nothing to open
        async with db.writing() as session:
            session.add(notify_models.CaseRow(application_id="a1", name=person["name"]))
        await check_readable(db)
        db.keys.data = Keyring([new_key()], source="ONEDOOR_DATA_KEY")  # type: ignore[union-attr]
        with pytest.raises(KeyProblem, match=f"cases.*sealed under key {sealed_under}, which "
                                             "ONEDOOR_DATA_KEY does not have") as caught:
            await check_readable(db)
        assert "\n" not in str(caught.value)
    finally:
        await db.dispose()
