"""On the bus, only what the receiver needs: the applicant's personal data travels sealed for
intake, the departments and notify; routing passes it on unread (it holds no bus key) and
keeps only masked values; the clear fields of every message carry masked values. Messages
without the sealed part (older ones, or published by hand) still work."""

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import nats
from sqlalchemy import select, text

from contracts import (
    Applicant,
    ApplicationSubmitted,
    ApplicationSubmittedMessage,
    Channel,
    Household,
    Item,
    subjects,
)
from services.common import keystore
from services.common.db import Database
from services.common.settings import Settings
from services.routing import app as routing_app
from services.routing.models import MESSAGING, RoutedApplication
from services.routing.models import Base as RoutingBase
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


def _person(rng: random.Random) -> dict[str, Any]:
    return {"name": "".join(rng.sample("禤翀骞珩璟琰翾霈澍琛", 3)),
            "phone": f"139{rng.randint(0, 99999999):08d}",
            "address": f"东风村{rng.randint(1, 99)}组{uuid.uuid4().hex[:6]}号"}


def _clear_values(body: dict[str, Any]) -> list[bytes]:
    """The applicant's values as they could appear in a message: UTF-8 and JSON-escaped."""
    a = body["applicant"]
    values = [a["name"], a["id_number"], a["phone"], a["address"], body["description"]]
    return [v.encode() for v in values] + [json.dumps(v)[1:-1].encode() for v in values]


async def _raw_messages(url: str, subject: str) -> list[bytes]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(subject, stream=subjects.STREAM)
        try:
            return [m.data for m in await sub.fetch(50, timeout=1)]
        except TimeoutError:
            return []
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()


async def test_personal_data_travels_sealed_and_routing_never_holds_it(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    body = application(rng, ["education_aid"])
    body["applicant"] |= _person(rng)
    body["description"] = f"因病致贫，{uuid.uuid4().hex[:8]}"
    waiting = application(rng, ["education_aid"])  # missing a material: a one-time notice
    waiting["applicant"] |= _person(rng)
    waiting["materials"] = []
    async with in_process(backend, nats_server, "education") as system:
        created = (await system.intake.post("/api/v1/applications", json=body)).json()
        held = (await system.intake.post("/api/v1/applications", json=waiting)).json()
        assert held["status"] == "awaiting_materials"

        # The department sees the applicant in full (it opened the sealed part).
        task = await system.task_of("education", created["id"])
        assert task["applicant"]["name"] == body["applicant"]["name"]
        assert task["applicant"]["id_number"] == body["applicant"]["id_number"]
        assert task["description"] == body["description"]
        edu = system.departments["education"]
        await edu.post(f"/api/v1/tasks/{task['id']}/accept", json={"by": "jy-01"})
        await edu.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "500.00", "decided_by": "jy-02"})
        view = await system.until(created["id"], lambda v: v["status"] == "completed" and any(
            n["kind"] == "completion" and n["channel"] == "sms" for n in v["notifications"]))

        # Notify told the applicant in full; intake shows the notices in full.
        sms = [n for n in view["notifications"] if n["channel"] == "sms"]
        assert sms and all(n["recipient"].endswith(body["applicant"]["phone"]) for n in sms)
        assert all(body["applicant"]["name"] in n["text"] for n in sms)
        async def materials_notice_recorded() -> bool:
            # Its own consumer in notify: no order with the other application's completion.
            notices = (await system.notify.get(
                f"/api/v1/applications/{held['id']}/notices")).json()
            assert any(waiting["applicant"]["name"] in n["text"] for n in notices), notices
            return True

        await eventually_async(materials_notice_recorded, timeout=20)

        # On the bus: none of it in clear, in any message about the two applications.
        leaked = _clear_values(body) + _clear_values(waiting)
        for subject in (subjects.APPLICATION_SUBMITTED, subjects.APPLICATION_MATERIALS_REQUESTED,
                        subjects.for_department(subjects.TASK_ASSIGNED, "education"),
                        subjects.NOTIFICATION_SENT, subjects.HOUSEHOLD_STATUS_CONFIRMED):
            for data in await _raw_messages(nats_server.url, subject):
                assert [v for v in leaked if v in data] == [], subject
                payload = json.loads(data)["payload"]
                assert payload["sealed"].startswith("od1."), subject
        [submitted] = await _raw_messages(nats_server.url, subjects.APPLICATION_SUBMITTED)
        clear = json.loads(submitted)["payload"]
        assert clear["applicant"]["name"] == body["applicant"]["name"][0] + "**"
        assert clear["applicant"]["phone"] == body["applicant"]["phone"][:3] + "****" + \
            body["applicant"]["phone"][-4:]
        assert clear["household"]["monthly_income_per_capita"] == "0"
        assert clear["description"] == "" and clear["applicant"]["address"] == ""

    # Routing holds no bus key, and keeps only the masked values and the sealed part.
    settings = Settings(**backend.settings_kwargs())
    assert routing_app.build_runtime(settings).keys.bus is None
    routed = await _routed(backend, created["id"])
    assert routed.applicant["name"] == body["applicant"]["name"][0] + "**"
    assert routed.sealed and routed.sealed.startswith("od1.")


async def _routed(backend: Backend, application_id: str) -> RoutedApplication:
    settings = Settings(**backend.settings_kwargs())
    url, schema = settings.database_for("routing")
    db = Database(url, RoutingBase.metadata, schema=schema,
                  keys=keystore.load(settings.data_dir, settings.key_values(), bus=False))
    try:
        async with db.reading() as session:
            routed = await session.scalar(select(RoutedApplication).where(
                RoutedApplication.application_id == application_id))
        assert routed is not None
        return routed
    finally:
        await db.dispose()


async def test_an_event_without_the_sealed_part_is_read_in_clear(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """An ApplicationSubmitted as older intakes published it (or a test by hand): the
    department and notify get the applicant from its clear fields."""
    body = application(rng, ["education_aid"])
    body["applicant"] |= _person(rng)
    app_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    applicant = Applicant.model_validate(body["applicant"] | {"phone": "+86" + body["applicant"]["phone"]})
    message = ApplicationSubmittedMessage(
        message_id=f"{app_id}:submitted", type=ApplicationSubmittedMessage.EVENT, occurred_at=now,
        application_id=app_id, correlation_id=app_id, payload=ApplicationSubmitted(
            application_id=app_id, receipt_no="YD20261201-ABC234", channel=Channel.window,
            received_by="window-01", received_at=now, accepted_at=now, applicant=applicant,
            household=Household.model_validate(body["household"]), items=[Item.education_aid],
            materials=body["materials"], description="手工发布"))
    async with in_process(backend, nats_server, "education") as system:
        nc = await nats.connect(nats_server.url)
        try:
            await nc.jetstream().publish(subjects.APPLICATION_SUBMITTED,
                                         message.model_dump_json().encode(),
                                         headers={"Nats-Msg-Id": message.message_id})
        finally:
            await nc.close()
        task = await system.task_of("education", app_id)
        assert task["applicant"] == task["applicant"] | {
            "name": applicant.name, "id_number": applicant.id_number, "phone": applicant.phone}
        assert task["description"] == "手工发布"
        edu = system.departments["education"]
        await edu.post(f"/api/v1/tasks/{task['id']}/accept", json={"by": "jy-01"})
        await edu.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "500.00", "decided_by": "jy-02"})

        async def told() -> list[dict[str, Any]]:
            notices = (await system.notify.get(f"/api/v1/applications/{app_id}/notices")).json()
            sms = [n for n in notices if n["channel"] == "sms"]
            assert sms and all(n["recipient"] == applicant.phone for n in sms)
            assert all(applicant.name in n["text"] for n in sms)
            return sms

        await eventually_async(told, timeout=20)


async def test_a_dead_letter_is_stored_sealed_and_shown_without_personal_data(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """A malformed message naming an applicant: its dead letter keeps it whole, encrypted; the
    preview shows none of it; the stored message reads back as it came."""
    person = _person(rng)
    data = json.dumps({"message_id": "m-1", "payload": {
        "applicant": person | {"id_number": application(rng, ["dibao"])["applicant"]["id_number"]},
    }}, ensure_ascii=False).encode()
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    routing = routing_app.create_app(settings)
    async with running(routing) as http:
        nc = await nats.connect(nats_server.url)
        try:
            await nc.jetstream().publish(subjects.APPLICATION_SUBMITTED, data)
        finally:
            await nc.close()

        async def recorded() -> list[dict[str, Any]]:
            letters = (await http.get("/api/v1/ops/dead-letters")).json()
            assert len(letters) == 1, letters
            return letters

        [letter] = await eventually_async(recorded, timeout=20)
        assert person["name"] not in letter["data_preview"]
        assert person["phone"] not in letter["data_preview"]
        db = routing.state.runtime.db
        table = f'"{db.schema}".dead_letters' if db.schema else "dead_letters"
        async with db.engine.connect() as conn:
            stored = bytes((await conn.execute(text(f"SELECT data FROM {table}"))).scalar_one())
        assert stored.startswith(b"od1.") and person["name"].encode() not in stored
        async with db.reading() as session:
            assert await session.scalar(select(MESSAGING.dead_letters.c.data)) == data
