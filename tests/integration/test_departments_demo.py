"""The demo's auto-decider (``onedoor up --demo``) closes every task by itself while keeping
the region policy: three demo people for separation of duties, emergency aid within its cap,
and no decision on a task that waits for materials until they arrive."""

import random
from datetime import timedelta
from decimal import Decimal

from contracts import TaskMaterialsSupplemented, TaskMaterialsSupplementedMessage, subjects
from services.accounts.demo import deciders
from services.common.clock import MovableClock
from services.departments.app import create_app
from tests.integration.test_departments_rules import (
    CIVIL,
    START,
    arrive,
    assigned,
    broker,
    envelope,
    own,
    publish,
    settings_for,
    until,
)
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer

ACCEPTOR, REVIEWER, CONFIRMER = deciders("civil_affairs")


async def test_the_demo_decides_every_task_within_the_rules(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    clock = MovableClock(START)
    settings = settings_for(backend, nats_server).model_copy(update={"auto_decide_after": 60.0})
    async with running(create_app(settings, CIVIL, clock=clock)) as api, broker(nats_server) as js:
        dibao = await arrive(js, api, assigned(rng, ["dibao"], income=300))
        # 650 yuan a person a month below the rural line, ten people: 6,500 yuan, over the cap.
        emergency = await arrive(js, api, assigned(rng, ["emergency_aid"], students=9, income=0))
        plain = await arrive(js, api, assigned(rng, ["disaster_relief"], income=900))
        waiting = await arrive(js, api, assigned(rng, ["temporary_aid"], income=300))
        url = f"/api/v1/tasks/{waiting['id']}"
        asked = await api.post(f"{url}/materials-request",
                               json={"by": "civil-01", "materials": ["situation_statement"]})
        assert asked.status_code == 200, asked.text
        clock.advance(minutes=5)  # every task is now older than the demo's pause

        confirmed = await until(api, dibao["id"], lambda t: t["status"] == "decided")
        # Three accounts of the department, as separation of duties needs three people.
        assert (confirmed["accepted_by"], confirmed["reviewed_by"], confirmed["decided_by"]) == (
            ACCEPTOR, REVIEWER, CONFIRMER)
        for name in (ACCEPTOR, REVIEWER, CONFIRMER):
            account = await api.staff.store.account(name)
            assert account is not None and (account.role, account.department) == (
                "department", CIVIL)
        aid = await until(api, emergency["id"], lambda t: t["status"] == "decided")
        assert (aid["outcome"], Decimal(aid["amount"]), aid["paperwork_due_at"]) == (
            "approved", Decimal(5000), None)
        rejected = await until(api, plain["id"], lambda t: t["status"] == "decided")
        assert (rejected["outcome"], rejected["decided_by"]) == ("rejected", ACCEPTOR)
        assert (await api.get(url)).json()["status"] == "awaiting_materials"

        supplied = TaskMaterialsSupplemented(
            task_id=waiting["id"], application_id=waiting["application_id"], department=CIVIL,
            materials=["situation_statement"], received_by="window-01",
            supplemented_at=START + timedelta(minutes=5))
        await publish(js, own(subjects.TASK_MATERIALS_SUPPLEMENTED),
                      envelope(TaskMaterialsSupplementedMessage, supplied, "demo:sup"))
        closed = await until(api, waiting["id"], lambda t: t["status"] == "decided")
        assert (closed["outcome"], closed["decided_by"]) == ("approved", ACCEPTOR)
