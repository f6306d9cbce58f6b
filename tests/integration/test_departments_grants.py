"""免申即享 (002 §六) across two department services on one nats-server: civil affairs
approves 低保, announces the household confirmed, and education grants its students their aid
from the next month — once, however often the announcement comes."""

import logging
import random
from datetime import date
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from contracts import (
    Department,
    HouseholdStatusConfirmedMessage,
    Item,
    TaskDecidedMessage,
    subjects,
)
from services.common.clock import MovableClock
from services.common.policy import load_policy
from services.departments.app import create_app
from tests.integration.test_departments_rules import (
    CIVIL,
    START,
    arrive,
    assigned,
    broker,
    on_stream,
    outbox,
    publish,
    settings_for,
)
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

EDUCATION = Department.education
GRANTS = f"department-{EDUCATION}-grants"
EDUCATION_DECIDED = subjects.for_department(subjects.TASK_DECIDED, EDUCATION)


async def approve(api: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    """Accept, review and confirm by three people (低保 asks for separation of duties)."""
    url = f"/api/v1/tasks/{task_id}"
    await api.post(f"{url}/accept", json={"by": "civil-x"})
    await api.post(f"{url}/review", json={"by": "civil-y", "opinion": "同意"})
    response = await api.post(f"{url}/decision", json={"outcome": "approved", "amount": "600.00",
                                                       "decided_by": "civil-z"})
    assert response.status_code == 200, response.text
    return response.json()


async def all_handled(js: JetStreamContext) -> None:
    """Wait until education's grants consumer has handled everything on its subject."""

    async def idle() -> bool:
        info = await js.consumer_info(subjects.STREAM, GRANTS)
        assert info.num_pending == 0 and info.num_ack_pending == 0, info
        return True

    await eventually_async(idle, timeout=20)


async def test_students_get_education_aid_once_without_applying(
        backend: Backend, nats_server: NatsServer, rng: random.Random,
        caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_for(backend, nats_server)
    civil = create_app(settings, CIVIL, clock=MovableClock(START))
    education = create_app(settings, EDUCATION, clock=MovableClock(START))
    async with running(civil) as ca, running(education) as edu, broker(nats_server) as js:
        task = await arrive(js, ca, assigned(rng, ["dibao"], students=2))
        await approve(ca, task["id"])
        [confirmed] = await on_stream(js, subjects.HOUSEHOLD_STATUS_CONFIRMED,
                                      HouseholdStatusConfirmedMessage)
        assert confirmed.message_id == f"{task['id']}:household_confirmed"
        assert (confirmed.payload.items, confirmed.payload.confirmed_by) == (["dibao"], "civil-z")
        assert confirmed.payload.effective_from == date(2026, 4, 1)

        [granted] = await on_stream(js, EDUCATION_DECIDED, TaskDecidedMessage)
        event = granted.payload
        assert (event.automatic, event.outcome, event.items) == (True, "approved", ["education_aid"])
        assert (granted.causation_id, event.application_id) == (
            confirmed.message_id, task["application_id"])
        page = (await edu.get("/api/v1/tasks")).json()
        assert page["total"] == 1
        [grant] = page["items"]
        basis = load_policy("default").automatic_grants[0].basis
        assert (grant["id"], grant["status"], grant["automatic"]) == (event.task_id, "decided", True)
        assert (grant["decided_by"], grant["outcome"]) == ("免申即享", "approved")
        assert basis in grant["reason"] and "学生：学**、学**；" in grant["reason"]  # names masked
        assert "2026年4月" in grant["reason"]

        # The same announcement again (not de-duplicated by the stream), and a second one about
        # the same application: still one grant, one TaskDecided.
        again = confirmed.model_copy(update={"message_id": f"{task['id']}:confirmed-again"})
        await publish(js, subjects.HOUSEHOLD_STATUS_CONFIRMED, confirmed, msg_id="copy-1")
        await publish(js, subjects.HOUSEHOLD_STATUS_CONFIRMED, again)
        await all_handled(js)
        assert (await edu.get("/api/v1/tasks")).json()["total"] == 1
        assert await outbox(education, EDUCATION_DECIDED) == [f"{event.task_id}:decided"]

        # No student in the household: nothing to grant (and the log says why).
        caplog.set_level(logging.INFO, logger="services.departments.grants")
        lonely = await arrive(js, ca, assigned(rng, ["tekun"], students=0))
        await approve(ca, lonely["id"])
        await on_stream(js, subjects.HOUSEHOLD_STATUS_CONFIRMED, HouseholdStatusConfirmedMessage, 4)
        await all_handled(js)
        assert (await edu.get("/api/v1/tasks")).json()["total"] == 1
        assert any("no student" in r.getMessage() and lonely["application_id"] in r.getMessage()
                   for r in caplog.records)


async def test_an_announcement_overtaking_the_applications_own_task_grants_nothing(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """The application asks 低保 and education aid: civil affairs' approval may be announced
    before education has received its own task of the application (two subjects, no order
    between them). Education must not grant the aid without application as well — the
    history bench found 15 households helped twice that way."""
    settings = settings_for(backend, nats_server)
    civil = create_app(settings, CIVIL, clock=MovableClock(START))
    education = create_app(settings, EDUCATION, clock=MovableClock(START))
    asked = [Item.dibao, Item.education_aid]
    dibao = assigned(rng, ["dibao"], students=1)
    dibao = dibao.model_copy(update={"payload": dibao.payload.model_copy(
        update={"application_items": asked})})
    own_task = assigned(rng, ["education_aid"], department=EDUCATION, students=1)
    own_task = own_task.model_copy(update={"payload": own_task.payload.model_copy(update={
        "application_id": dibao.payload.application_id, "application_items": asked})})
    async with running(civil) as ca, running(education) as edu, broker(nats_server) as js:
        task = await arrive(js, ca, dibao)
        await approve(ca, task["id"])
        [confirmed] = await on_stream(js, subjects.HOUSEHOLD_STATUS_CONFIRMED,
                                      HouseholdStatusConfirmedMessage)
        assert confirmed.payload.application_items == asked
        await all_handled(js)
        assert (await edu.get("/api/v1/tasks")).json()["total"] == 0
        assert await outbox(education, EDUCATION_DECIDED) == []

        # Its own task, arriving late, is the one that decides the aid.
        await arrive(js, edu, own_task)
        [only] = (await edu.get("/api/v1/tasks")).json()["items"]
        assert (only["id"], only["automatic"], only["status"]) == (
            own_task.payload.task_id, False, "assigned")


async def test_only_an_approval_of_a_status_item_announces_the_household(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    clock = MovableClock(START)
    civil = create_app(settings_for(backend, nats_server), CIVIL, clock=clock)
    async with running(civil) as ca, broker(nats_server) as js:
        rejected = await arrive(js, ca, assigned(rng, ["dibao"], students=1))
        url = f"/api/v1/tasks/{rejected['id']}"
        await ca.post(f"{url}/accept", json={"by": "civil-x"})
        await ca.post(f"{url}/review", json={"by": "civil-y", "opinion": "收入超标"})
        await ca.post(f"{url}/decision", json={"outcome": "rejected", "reason": "收入超标",
                                               "decided_by": "civil-z"})
        temporary = await arrive(js, ca, assigned(rng, ["temporary_aid"], students=1))
        turl = f"/api/v1/tasks/{temporary['id']}"
        await ca.post(f"{turl}/accept", json={"by": "civil-x"})
        await ca.post(f"{turl}/decision", json={"outcome": "approved", "amount": "800",
                                                "decided_by": "civil-x"})
        assert await outbox(civil, subjects.HOUSEHOLD_STATUS_CONFIRMED) == []
        # A December approval takes effect in January.
        clock.set(START.replace(month=12, day=15))
        late = await arrive(js, ca, assigned(rng, ["dibao_edge"], students=1))
        await approve(ca, late["id"])
        [confirmed] = await on_stream(js, subjects.HOUSEHOLD_STATUS_CONFIRMED,
                                      HouseholdStatusConfirmedMessage)
        assert confirmed.payload.effective_from == date(2027, 1, 1)
