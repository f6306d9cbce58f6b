"""Finding an application at the window: by receipt number, identity number, name, village,
with the other filters and paging; by receipt number in the path; and the search columns of
applications registered before they existed (filled by the migrations: since 0005 keyed
hashes, the identity number and the name never stored in clear)."""

import random
from typing import Any

from alembic import command
from sqlalchemy import select, text
from stdnum.cn import ric

from services.common import keystore
from services.common.db import Database
from services.common.migrations import alembic_config
from services.common.settings import Settings
from services.intake import app as intake_service
from services.intake import views
from services.intake.app import create_app
from services.intake.models import Application, Base
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer


def _id_number_ending_in_x(rng: random.Random) -> str:
    """A valid identity number whose check digit is X (砀山, born after 1998)."""
    while True:
        body = f"341321{rng.randint(1999, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
               f"{rng.randint(0, 999):03d}"
        if ric.calc_check_digit(body + "0") == "X":
            return body + "X"


def _person(rng: random.Random, name: str, village: str, id_number: str | None = None,
            items: list[str] | None = None) -> dict[str, Any]:
    body = application(rng, items or ["dibao"])
    body["applicant"] |= {"name": name, "village": village}
    if id_number:
        body["applicant"]["id_number"] = id_number
    return body


async def test_search_by_receipt_identity_name_and_village(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    x_number = _id_number_ending_in_x(rng)
    people = [
        _person(rng, "王秀英", "东风村", x_number, ["dibao", "medical_aid"]),
        _person(rng, "王秀兰", "东风村", items=["education_aid"]),
        _person(rng, "李建国", "红星村"),
        _person(rng, "张秀_英", "红星村"),  # a LIKE wildcard in a name is only a character
    ]
    async with running(create_app(settings)) as intake:
        made = []
        for body in people:
            created = await intake.post("/api/v1/applications", json=body)
            assert created.status_code == 201, created.text
            made.append(created.json())
        wang, wang2, li, zhang = made

        async def found(**params: Any) -> list[str]:
            got = await intake.get("/api/v1/applications", params=params)
            assert got.status_code == 200, got.text
            page = got.json()
            assert page["total"] == len({*(a["id"] for a in page["items"])}) or "limit" in params
            return sorted(a["id"] for a in page["items"])

        def ids(*apps: dict[str, Any]) -> list[str]:
            return sorted(a["id"] for a in apps)

        assert await found() == ids(*made)
        assert await found(receipt_no=li["receipt_no"]) == ids(li)
        assert await found(receipt_no=li["receipt_no"].lower()) == ids(li)
        assert await found(receipt_no="YD20000101-ZZZZZZ") == []
        # The identity number exactly, whatever the case of its X and blanks around it.
        assert await found(id_number=x_number) == ids(wang)
        assert await found(id_number=f"  {x_number.lower()} ") == ids(wang)
        assert await found(id_number=x_number[:-2]) == []  # a part is not a match
        assert await found(id_number=people[2]["applicant"]["id_number"]) == ids(li)
        # The name whole (blanks and full-width forms aside: it is compared as a keyed hash, so
        # a part of it matches nothing); the village whole.
        assert await found(name="王秀英") == ids(wang)
        assert await found(name=" 王 秀英　") == ids(wang)
        assert await found(name="张秀_英") == ids(zhang)
        assert await found(name="王秀") == [] and await found(name="秀") == []
        assert await found(name="%") == [] and await found(name="秀_") == []
        assert await found(village="东风村") == ids(wang, wang2)
        assert await found(village="东风") == []
        # Combined with the other filters, and paged.
        assert await found(village="东风村", item="education_aid") == ids(wang2)
        assert await found(name="王秀英", department="civil_affairs") == ids(wang)
        assert await found(name="王秀兰", department="civil_affairs") == []
        assert await found(name="王秀英", id_number=x_number, status=wang["status"]) == ids(wang)
        assert await found(name="王秀英", status="completed") == []
        first = (await intake.get("/api/v1/applications", params={"limit": 2})).json()
        rest = (await intake.get("/api/v1/applications",
                                 params={"limit": 2, "offset": 2})).json()
        assert first["total"] == rest["total"] == 4
        assert sorted(a["id"] for a in first["items"] + rest["items"]) == ids(*made)

        # The combined view by receipt number is the view by id.
        by_id = await intake.get(f"/api/v1/applications/{wang['id']}")
        for key in (wang["receipt_no"], wang["receipt_no"].lower()):
            by_receipt = await intake.get(f"/api/v1/applications/{key}")
            assert by_receipt.status_code == 200, by_receipt.text
            assert by_receipt.json() == by_id.json()
        missing = await intake.get("/api/v1/applications/YD20000101-ZZZZZZ")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "application_not_found"


async def test_the_migration_fills_the_search_columns_of_existing_applications(
    backend: Backend, rng: random.Random,
) -> None:
    """An application registered before revision 0004 is found by the new filters, by keyed
    hashes of its identity number and name (0005), its applicant encrypted."""
    name = "王秀英"
    settings = Settings(**backend.settings_kwargs())
    url, schema = settings.database_for("intake")
    keys = keystore.load(settings.data_dir, settings.key_values(), bus=False)
    db = Database(url, Base.metadata, schema=schema, migrations=intake_service.MIGRATIONS,
                  keys=keys)
    x_number = _id_number_ending_in_x(rng).lower()  # as an old client may have sent it
    try:
        async with db.engine.begin() as conn:
            if schema:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.run_sync(lambda sync: command.upgrade(
                alembic_config(intake_service.MIGRATIONS, connection=sync, schema=schema), "0003"))
            table = f'"{schema}".applications' if schema else "applications"
            await conn.execute(text(
                f"INSERT INTO {table} (id, receipt_no, request_hash, status, channel, "
                "received_by, received_at, applicant, household, materials, description) "
                "VALUES ('a1', 'YD20261201-ABC234', 'h', 'received', 'window', 'w1', "
                ":at, :applicant, '{}', '[]', '')"), {
                    "at": "2026-12-01 01:00:00",
                    "applicant": f'{{"name": "{name}", "id_number": " {x_number}", '
                                 '"phone": "+8613900000000", "village": "东风村"}'})
        await db.create_schema()  # at start: upgrade to head
        async with db.reading() as session:
            row = await session.scalar(select(Application))
            assert row is not None
            assert (row.applicant["name"], row.village) == (name, "东风村")
            assert (row.name_key, row.id_number_key) == (
                keys.search_hash("name", name), keys.search_hash("id_number", x_number.upper()))
            for found in ({"id_number": x_number}, {"name": name}, {"village": "东风村"}):
                page = await views.list_applications(session, status=None, department=None,
                                                     item=None, offset=0, limit=10, **found)
                assert [a.id for a in page.items] == ["a1"], found
            raw = (await session.execute(text(f"SELECT applicant, id_number_key FROM {table}"))).one()
        assert raw[0].startswith("od1.") and name not in raw[0] and x_number not in raw[0]
        assert x_number.upper() not in raw[1]
    finally:
        await db.dispose()
