"""Notify takes its messages in batches, one transaction each, its rows written once at
commit: several decisions of one application in one batch — the same one twice among them,
under another message id — still tell each decision once and complete the case once."""

import random
from collections import Counter
from datetime import UTC, datetime

import nats

from contracts import (
    ApplicationRouted,
    ApplicationRoutedMessage,
    Department,
    Outcome,
    PlannedTask,
    TaskDecided,
    TaskDecidedMessage,
    subjects,
)
from services.common.settings import Settings
from services.notify.app import create_app as create_notify
from tests.integration.test_departments_rules import outbox
from tests.integration.test_routing import _submitted, envelope, publish
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

TASKS = {"civil_affairs": ["dibao"], "education": ["education_aid"], "medical": ["medical_aid"]}


async def test_a_batch_of_one_applications_decisions_completes_it_once(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    submitted = _submitted(rng, [i for items in TASKS.values() for i in items])
    app_id, now = submitted.application_id, datetime.now(UTC)
    planned = [PlannedTask(task_id=f"{app_id[:8]}-{d}", department=Department(d), items=items,
                           due_at=now) for d, items in TASKS.items()]
    decided = [envelope(TaskDecidedMessage, TaskDecided(
        task_id=t.task_id, application_id=app_id, department=t.department, items=t.items,
        outcome=Outcome.approved, reason="符合条件", decided_by="staff-1", decided_at=now))
        for t in planned]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        # Everything is on the stream before notify starts: its consumers take it in batches.
        settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
        async with running(create_notify(settings)):  # declares the stream and consumers
            pass
        await publish(js, subjects.APPLICATION_SUBMITTED, submitted)
        await publish(js, subjects.APPLICATION_ROUTED, envelope(
            ApplicationRoutedMessage, ApplicationRouted(application_id=app_id, tasks=planned,
                                                        routed_at=now)))
        again = decided[0].model_copy(update={"message_id": f"{decided[0].message_id}-again"})
        for message in [*decided, again]:
            await publish(js, subjects.for_department(subjects.TASK_DECIDED,
                                                      message.payload.department), message)

        notify = create_notify(settings)
        async with running(notify) as client:
            async def all_sent() -> list[dict]:
                response = await client.get(f"/api/v1/applications/{app_id}/notices")
                assert response.status_code == 200, response.text
                notices = response.json()
                assert Counter(n["kind"] for n in notices)["completion"] == 2, notices
                return notices

            notices = await eventually_async(all_sent, timeout=20)
            completed = await outbox(notify, subjects.APPLICATION_COMPLETED)
    finally:
        await nc.close()
    assert completed == [f"{app_id}:completed"]
    # Each decision told once to the applicant and once to the window; the case closed once.
    assert Counter((n["kind"], n["channel"]) for n in notices) == {
        ("decision", "sms"): 3, ("decision", "window_inbox"): 3,
        ("completion", "sms"): 1, ("completion", "window_inbox"): 1}
