"""Routing on a real nats-server: the split, duplicates, and malformed messages; and the
helpers the joint-meeting and supervision tests share (messages, and what routing publishes)."""

import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import nats
import nats.errors
from pydantic import BaseModel
from sqlalchemy import select

from contracts import ApplicationSubmitted, ApplicationSubmittedMessage, Envelope, subjects
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.routing.app import create_app as create_routing
from services.routing.models import MESSAGING
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


async def test_an_application_is_split_into_one_task_per_department(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(create_intake(settings)) as intake, running(create_routing(settings)) as routing:
        tasks = await js.pull_subscribe(subjects.all_departments(subjects.TASK_ASSIGNED), "t")
        body = application(rng, ["dibao", "education_aid", "temporary_aid", "medical_aid"])
        app_id = (await intake.post("/api/v1/applications", json=body)).json()["id"]

        async def all_assigned() -> dict:
            view = (await intake.get(f"/api/v1/applications/{app_id}")).json()
            assert view["status"] == "in_progress", view["status"]
            assert all(i["status"] == "assigned" for i in view["items"])
            return view

        view = await eventually_async(all_assigned, timeout=15)
        task_of = {i["item"]: i["task_id"] for i in view["items"]}
        assert task_of["dibao"] == task_of["temporary_aid"]  # one task for civil affairs
        assert len(set(task_of.values())) == 3
        # Each item keeps its own limit: medical aid (5 working days) is due before dibao (20).
        due = {i["item"]: i["due_at"] for i in view["items"]}
        assert due["medical_aid"] < due["dibao"]

        messages = await tasks.fetch(10, timeout=5)
        assigned = sorted((m.subject, tuple(json.loads(m.data)["payload"]["items"])) for m in messages)
        assert assigned == [
            ("onedoor.task.assigned.civil_affairs", ("dibao", "temporary_aid")),
            ("onedoor.task.assigned.education", ("education_aid",)),
            ("onedoor.task.assigned.medical", ("medical_aid",)),
        ]
        # Each department also learns what the application asked of the others (免申即享).
        assert {tuple(json.loads(m.data)["payload"]["application_items"]) for m in messages} == {
            tuple(body["items"])}
        ledger = (await routing.get(f"/api/v1/applications/{app_id}/handoffs")).json()
        assert sorted(h["to_department"] for h in ledger) == ["civil_affairs", "education", "medical"]
        assert all(h["from_party"] == f"window:{body['received_by']}" for h in ledger)
    await nc.close()


def _submitted(rng: random.Random, items: list[str], at: datetime | None = None,
               **fields: Any) -> ApplicationSubmittedMessage:
    """An ApplicationSubmitted, received (and accepted) ``at`` (now by default)."""
    body = application(rng, items)
    app_id = f"{rng.randrange(16**32):032x}"
    now = at or datetime.now(UTC)
    return ApplicationSubmittedMessage(
        message_id=f"{app_id}:submitted", type=ApplicationSubmittedMessage.EVENT, occurred_at=now,
        application_id=app_id, correlation_id=app_id,
        payload=ApplicationSubmitted(application_id=app_id, receipt_no="YD20260101-TEST01",
                                     received_at=now, **body, **fields),
    )


def envelope(message_type: type[Envelope[Any]], payload: BaseModel,
             message_id: str | None = None) -> Envelope[Any]:
    """A message as another service would publish it."""
    app_id = payload.application_id  # type: ignore[attr-defined]
    return message_type(message_id=message_id or uuid.uuid4().hex, type=message_type.EVENT,
                        occurred_at=datetime.now(UTC), application_id=app_id,
                        correlation_id=app_id, payload=payload)


async def publish(js: Any, subject: str, message: Envelope[Any]) -> None:
    await js.publish(subject, message.model_dump_json().encode(),
                     headers={"Nats-Msg-Id": message.message_id})


class Listener:
    """What is published on ``subject`` (a wildcard is fine), read from the stream:
    ``seen`` holds (subject, message id, message as JSON) in stream order."""

    def __init__(self, js: Any, subject: str) -> None:
        self.js, self.subject = js, subject
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self.sub: Any = None

    async def start(self) -> "Listener":
        self.sub = await self.js.pull_subscribe(self.subject, f"listener-{uuid.uuid4().hex[:8]}")
        return self

    async def poll(self, timeout: float = 0.3) -> list[tuple[str, str, dict[str, Any]]]:
        while True:
            try:
                batch = await self.sub.fetch(200, timeout=timeout)
            except (nats.errors.TimeoutError, TimeoutError):
                return self.seen
            for m in batch:
                await m.ack()
                self.seen.append((m.subject, (m.headers or {}).get("Nats-Msg-Id", ""),
                                  json.loads(m.data)))

    def of(self, application_id: str, subject_part: str = "") -> list[dict[str, Any]]:
        """The payloads about one application, on subjects containing ``subject_part``."""
        return [m["payload"] for s, _, m in self.seen
                if m["application_id"] == application_id and subject_part in s]

    async def until(self, check: Callable[["Listener"], Any], timeout: float = 15) -> Any:
        """Poll until ``check(self)`` is truthy (returned) or fails with its last assertion."""
        async def ready() -> Any:
            await self.poll()
            return check(self)

        return await eventually_async(ready, timeout=timeout)


async def test_a_redelivered_message_has_its_effect_once(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    app = create_routing(settings)
    async with running(app) as routing:
        message = _submitted(rng, ["dibao", "housing_aid"]).model_dump_json().encode()
        # Two copies that the stream cannot de-duplicate (different Nats-Msg-Id): only the
        # consumer's processed-message record can keep the effect single.
        for n in range(2):
            await js.publish(subjects.APPLICATION_SUBMITTED, message, headers={"Nats-Msg-Id": f"copy-{n}"})
        app_id = json.loads(message)["application_id"]

        async def routed_twice_seen() -> list:
            ledger = (await routing.get(f"/api/v1/applications/{app_id}/handoffs")).json()
            assert len(ledger) == 2
            info = await js.consumer_info(subjects.STREAM, "routing")
            assert info.num_pending == 0 and info.num_ack_pending == 0
            return ledger

        await eventually_async(routed_twice_seen, timeout=15)
        async with app.state.runtime.db.reading() as session:
            published = (await session.scalars(select(MESSAGING.outbox.c.subject))).all()
        assert sorted(published) == sorted([subjects.APPLICATION_ROUTED,
                                            "onedoor.task.assigned.civil_affairs",
                                            "onedoor.task.assigned.housing"])
    await nc.close()


async def test_a_malformed_message_is_set_aside_and_the_consumer_goes_on(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    app = create_routing(settings)
    async with running(app) as routing:
        before, after = _submitted(rng, ["dibao"]), _submitted(rng, ["medical_aid"])
        await js.publish(subjects.APPLICATION_SUBMITTED, before.model_dump_json().encode())
        await js.publish(subjects.APPLICATION_SUBMITTED, b"{not json")
        await js.publish(subjects.APPLICATION_SUBMITTED,
                         json.dumps({"message_id": "x", "payload": {}}).encode())
        await js.publish(subjects.APPLICATION_SUBMITTED, after.model_dump_json().encode())

        async def both_routed() -> bool:
            for msg in (before, after):
                ledger = (await routing.get(f"/api/v1/applications/{msg.application_id}/handoffs")).json()
                assert len(ledger) == 1
            return True

        await eventually_async(both_routed, timeout=15)
        async with app.state.runtime.db.reading() as session:
            dead = (await session.execute(select(MESSAGING.dead_letters))).all()
        assert len(dead) == 2
        assert {d.consumer for d in dead} == {"routing"}
        assert any(d.data == b"{not json" for d in dead)
        assert all(d.error for d in dead)
        info = await js.consumer_info(subjects.STREAM, "routing")
        assert info.num_ack_pending == 0  # the bad ones were terminated, not left to redeliver
    await nc.close()
