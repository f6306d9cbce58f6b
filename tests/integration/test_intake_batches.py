"""Intake's combined view takes the departments' events in batches, reading each application's
rows once per batch: three departments accepting (then deciding) one application in one
batch each move their own item, and the combined status follows every one of them."""

import random
from datetime import UTC, datetime
from typing import Any

import nats

from contracts import (
    ApplicationRouted,
    ApplicationRoutedMessage,
    Department,
    Outcome,
    PlannedTask,
    TaskAccepted,
    TaskAcceptedMessage,
    TaskDecided,
    TaskDecidedMessage,
    subjects,
)
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from tests.integration.test_routing import envelope, publish
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

TASKS = {"civil_affairs": ["dibao"], "education": ["education_aid"], "medical": ["medical_aid"]}


async def test_one_applications_events_in_one_batch_each_move_their_item(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    async with running(create_intake(settings)) as intake:
        body = application(rng, [i for items in TASKS.values() for i in items])
        created = await intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        app_id, now = created.json()["id"], datetime.now(UTC)
        planned = [PlannedTask(task_id=f"{app_id[:8]}-{d}", department=Department(d),
                               items=items, due_at=now) for d, items in TASKS.items()]
        js = nc.jetstream()

        async def view_when(check: Any) -> dict[str, Any]:
            async def ready() -> dict[str, Any]:
                view = (await intake.get(f"/api/v1/applications/{app_id}")).json()
                assert check(view), view
                return view

            return await eventually_async(ready, timeout=20)

        await publish(js, subjects.APPLICATION_ROUTED, envelope(
            ApplicationRoutedMessage, ApplicationRouted(application_id=app_id, tasks=planned,
                                                        routed_at=now)))
        await view_when(lambda v: all(i["task_id"] for i in v["items"]))

        # Published together: each consumer takes the three in one batch.
        for t in planned:
            await publish(js, subjects.for_department(subjects.TASK_ACCEPTED, t.department),
                          envelope(TaskAcceptedMessage, TaskAccepted(
                              task_id=t.task_id, application_id=app_id, department=t.department,
                              accepted_by=f"{t.department}-1", accepted_at=now)))
        accepted = await view_when(lambda v: all(i["status"] == "accepted" for i in v["items"]))
        assert {i["item"]: i["accepted_by"] for i in accepted["items"]} == {
            items[0]: f"{d}-1" for d, items in TASKS.items()}

        outcomes = {"civil_affairs": Outcome.approved, "education": Outcome.rejected,
                    "medical": Outcome.approved}
        for t in planned:
            await publish(js, subjects.for_department(subjects.TASK_DECIDED, t.department),
                          envelope(TaskDecidedMessage, TaskDecided(
                              task_id=t.task_id, application_id=app_id, department=t.department,
                              items=t.items, outcome=outcomes[str(t.department)],
                              **({"amount": "600.00"}
                                 if outcomes[str(t.department)] == "approved"
                                 else {"reason": "不符合条件"}),
                              decided_by=f"{t.department}-2", decided_at=now)))
        decided = await view_when(lambda v: all(i["status"] == "decided" for i in v["items"]))
    await nc.close()
    assert {i["item"]: i["decision"]["outcome"] for i in decided["items"]} == {
        "dibao": "approved", "education_aid": "rejected", "medical_aid": "approved"}
    assert decided["outcome"] == "partially_approved", decided["outcome"]
    by_departments = [(h["event"], h["department"]) for h in decided["history"]
                      if h["event"] in ("accepted", "decided") and h["department"]]
    assert sorted(by_departments) == sorted(
        (event, d) for d in TASKS for event in ("accepted", "decided"))
