"""A department's region-policy rules on a real nats-server: tasks arrive as TaskAssigned
messages, staff drive the HTTP API, and the events published are read from the stream.

Returning a task, asking for materials (and their arrival), emergency aid within its cap with
paperwork after, separation of duties, and a supervisor's deadline extension. The helpers
here serve the other ``test_departments_*`` modules too.
"""

import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import nats
from fastapi import FastAPI
from nats.js import JetStreamContext
from sqlalchemy import select

from contracts import (
    Applicant,
    Department,
    Envelope,
    Household,
    HouseholdMember,
    TaskAssigned,
    TaskAssignedMessage,
    TaskDeadlineExtended,
    TaskDeadlineExtendedMessage,
    TaskDecidedMessage,
    TaskMaterialsRequestedMessage,
    TaskMaterialsSupplemented,
    TaskMaterialsSupplementedMessage,
    TaskPaperworkCompletedMessage,
    TaskReturnedMessage,
    subjects,
)
from services.common.clock import MovableClock
from services.common.settings import Settings
from services.departments.app import create_app
from services.departments.models import MESSAGING
from services.launcher.demo import sample_application
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
CIVIL = Department.civil_affairs
E = TypeVar("E", bound=Envelope[Any])


def assigned(rng: random.Random, items: list[str], *, department: Department = CIVIL,
             students: int = 0, income: int | None = None,
             at: datetime = START) -> TaskAssignedMessage:
    """A TaskAssigned as routing publishes it, its (rural) household with ``students``
    students and ``income`` a month per person (random if None)."""
    body = sample_application(rng, items)
    app_id, task_id = uuid.UUID(int=rng.getrandbits(128)).hex, uuid.uuid4().hex
    members = [HouseholdMember(name=f"学生{n}", relation="子女", student=True, school="县第一中学")
               for n in range(students)] + [HouseholdMember(name="户主", relation="本人")]
    if income is None:
        income = body["household"]["monthly_income_per_capita"]
    household = Household(size=len(members), residence="rural",
                          monthly_income_per_capita=income, members=members)
    return TaskAssignedMessage(
        message_id=f"{task_id}:assigned", type=TaskAssignedMessage.EVENT, occurred_at=at,
        application_id=app_id, correlation_id=app_id,
        payload=TaskAssigned(
            task_id=task_id, application_id=app_id, receipt_no="YD20260302-TEST01",
            department=department, items=items,
            applicant=Applicant.model_validate(body["applicant"]), household=household,
            materials=body["materials"], received_at=at, assigned_at=at,
            due_at=at + timedelta(days=20), accept_due_at=at + timedelta(days=1)))


def envelope(model: type[E], payload: Any, message_id: str, at: datetime = START) -> E:
    return model(message_id=message_id, type=model.EVENT, occurred_at=at,
                 application_id=payload.application_id, correlation_id=payload.application_id,
                 payload=payload)


async def publish(js: JetStreamContext, subject: str, message: Envelope[Any],
                  msg_id: str | None = None) -> None:
    await js.publish(subject, message.model_dump_json().encode(),
                     headers={"Nats-Msg-Id": msg_id or message.message_id})


async def arrive(js: JetStreamContext, api: httpx.AsyncClient,
                 message: TaskAssignedMessage) -> dict[str, Any]:
    """Publish the task to its department and wait until that department lists it."""
    task = message.payload
    await publish(js, subjects.for_department(subjects.TASK_ASSIGNED, task.department), message)
    return await until(api, task.task_id, lambda t: True)


async def until(api: httpx.AsyncClient, task_id: str, check: Any) -> dict[str, Any]:
    """The task, once ``check(task)`` holds."""

    async def ready() -> dict[str, Any]:
        response = await api.get(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        assert check(response.json()), response.json()
        return response.json()

    return await eventually_async(ready, timeout=20)


async def on_stream(js: JetStreamContext, subject: str, model: type[E], count: int = 1) -> list[E]:
    """The messages on ``subject`` from the stream's start, once ``count`` are there."""

    async def arrived() -> bool:
        info = await js.stream_info(subjects.STREAM, subjects_filter=subject)
        found = (info.state.subjects or {}).get(subject, 0)
        assert found >= count, f"{found} of {count} messages on {subject}"
        return True

    await eventually_async(arrived, timeout=20)
    sub = await js.pull_subscribe(subject, stream=subjects.STREAM)
    try:
        return [model.model_validate_json(m.data) for m in await sub.fetch(count + 10, timeout=1)]
    finally:
        await sub.unsubscribe()


async def outbox(app: FastAPI, subject: str) -> list[str]:
    """Message ids the service wrote to its outbox for ``subject`` (a retry adds none)."""
    async with app.state.runtime.db.reading() as session:
        table = MESSAGING.outbox
        return list(await session.scalars(select(table.c.message_id)
                                          .where(table.c.subject == subject).order_by(table.c.id)))


@contextlib.asynccontextmanager
async def broker(server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(server.url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


def settings_for(backend: Backend, server: NatsServer) -> Settings:
    # Quick redelivery: a message overtaking its task is retried until the task is there.
    return Settings(nats_url=server.url, retry_backoff=0.2, **backend.settings_kwargs())


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"], error
    return error


def own(template: str) -> str:
    return subjects.for_department(template, CIVIL)


async def test_a_task_returned_as_not_ours(backend: Backend, nats_server: NatsServer,
                                           rng: random.Random) -> None:
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        url = f"/api/v1/tasks/{task['id']}"
        blank = refused(await api.post(f"{url}/return", json={"by": "civil-01", "reason": " "}),
                        422, "validation_failed")
        assert blank["fields"][0]["field"] == "reason" and blank["fields"][0]["reason_zh"]
        ourselves = refused(await api.post(f"{url}/return", json={
            "by": "civil-01", "reason": "x", "suggested_department": "civil_affairs"}),
            422, "suggested_own_department")
        assert ourselves["fields"][0]["field"] == "suggested_department"

        body = {"by": "civil-01", "reason": "属于住房救助，应由住建部门办理",
                "suggested_department": "housing"}
        first, retry = [await api.post(f"{url}/return", json=body) for _ in range(2)]
        assert first.status_code == retry.status_code == 200
        assert first.json() == retry.json()
        assert first.json()["status"] == "returned"
        assert first.json()["returned_reason"] == body["reason"]
        assert first.json()["returned_at"].endswith("+08:00")
        refused(await api.post(f"{url}/return", json=body | {"reason": "另一理由"}), 409,
                "task_returned")
        refused(await api.post(f"{url}/accept", json={"by": "civil-01"}), 409, "task_returned")
        open_ids = [t["id"] for t in (await api.get("/api/v1/tasks?open=true")).json()["items"]]
        assert task["id"] not in open_ids
        returned = (await api.get("/api/v1/tasks?status=returned")).json()["items"]
        assert [t["id"] for t in returned] == [task["id"]]

        [event] = await on_stream(js, own(subjects.TASK_RETURNED), TaskReturnedMessage)
        assert event.message_id == f"{task['id']}:returned"
        assert (event.payload.reason, event.payload.suggested_department) == (
            body["reason"], Department.housing)
        assert (event.payload.returned_by, event.payload.items) == ("civil-01", ["temporary_aid"])
        assert await outbox(app, own(subjects.TASK_RETURNED)) == [f"{task['id']}:returned"]

        decided = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        durl = f"/api/v1/tasks/{decided['id']}"
        await api.post(f"{durl}/accept", json={"by": "civil-01"})
        await api.post(f"{durl}/decision", json={"outcome": "rejected", "reason": "收入超标",
                                                 "decided_by": "civil-01"})
        refused(await api.post(f"{durl}/return", json=body), 409, "task_already_decided")


async def test_materials_asked_for_then_supplemented(backend: Backend, nats_server: NatsServer,
                                                     rng: random.Random) -> None:
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        url = f"/api/v1/tasks/{task['id']}"
        await api.post(f"{url}/accept", json={"by": "civil-01"})
        bad = refused(await api.post(f"{url}/materials-request", json={
            "by": "civil-01", "materials": ["income_proof", "no_such", "id_card"]}),
            422, "invalid_materials")
        assert [f["field"] for f in bad["fields"]] == ["materials.1", "materials.2"]
        assert all(f["reason"] and f["reason_zh"] for f in bad["fields"])

        body = {"by": "civil-01", "materials": ["income_proof", "housing_proof"],
                "note": "请补充近六个月收入证明及住房情况"}
        first, retry = [await api.post(f"{url}/materials-request", json=body) for _ in range(2)]
        assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
        waiting = first.json()
        assert waiting["status"] == "awaiting_materials"
        assert waiting["due_at"] == task["due_at"]  # the clock is not paused
        [asked] = waiting["materials_requested"]
        assert (asked["n"], asked["note"], asked["requested_by"]) == (1, body["note"], "civil-01")
        assert asked["materials"] == [{"code": "income_proof", "name": "家庭收入证明"},
                                      {"code": "housing_proof", "name": "住房困难情况证明"}]
        refused(await api.post(f"{url}/materials-request", json=body | {"materials": ["id_card"]}),
                422, "invalid_materials")
        refused(await api.post(f"{url}/materials-request",
                               json=body | {"materials": ["disaster_certificate"]}),
                409, "materials_already_requested")
        listed = (await api.get("/api/v1/tasks?status=awaiting_materials")).json()["items"]
        assert [t["id"] for t in listed] == [task["id"]]

        [event] = await on_stream(js, own(subjects.TASK_MATERIALS_REQUESTED),
                                  TaskMaterialsRequestedMessage)
        assert event.message_id == f"{task['id']}:materials:1"
        assert [(m.code, m.name, m.items) for m in event.payload.materials] == [
            ("income_proof", "家庭收入证明", ["temporary_aid"]),
            ("housing_proof", "住房困难情况证明", ["temporary_aid"])]

        supplied = TaskMaterialsSupplemented(
            task_id=task["id"], application_id=task["application_id"], department=CIVIL,
            materials=["income_proof", "housing_proof"], received_by="window-01",
            supplemented_at=START + timedelta(days=1))
        await publish(js, own(subjects.TASK_MATERIALS_SUPPLEMENTED),
                      envelope(TaskMaterialsSupplementedMessage, supplied, f"{task['id']}:sup:1"))
        resumed = await until(api, task["id"], lambda t: t["status"] == "accepted")
        assert {"income_proof", "housing_proof"} <= set(resumed["materials"])
        [done] = resumed["materials_requested"]
        assert (done["supplemented"], done["received_by"]) == (supplied.materials, "window-01")
        again = await api.post(f"{url}/materials-request", json=body | {"materials": ["income_proof"]})
        assert again.json()["materials_requested"][-1]["n"] == 2
        assert await outbox(app, own(subjects.TASK_MATERIALS_REQUESTED)) == [
            f"{task['id']}:materials:1", f"{task['id']}:materials:2"]

        # Asked before anyone accepted it: back to "assigned"; and a supplement that overtakes
        # its task is retried until the task is there.
        early = assigned(rng, ["temporary_aid"])
        supplied = supplied.model_copy(update={"task_id": early.payload.task_id,
                                               "application_id": early.application_id})
        await publish(js, own(subjects.TASK_MATERIALS_SUPPLEMENTED),
                      envelope(TaskMaterialsSupplementedMessage, supplied, "early:sup"))
        await arrive(js, api, early)
        await until(api, early.payload.task_id, lambda t: "housing_proof" in t["materials"])
        eurl = f"/api/v1/tasks/{early.payload.task_id}"
        await api.post(f"{eurl}/materials-request", json=body | {"materials": ["situation_statement"]})
        supplied = supplied.model_copy(update={"materials": ["situation_statement"]})
        await publish(js, own(subjects.TASK_MATERIALS_SUPPLEMENTED),
                      envelope(TaskMaterialsSupplementedMessage, supplied, "early:sup:2"))
        await until(api, early.payload.task_id, lambda t: t["status"] == "assigned"
                    and "situation_statement" in t["materials"])


async def test_emergency_aid_within_its_cap_and_paperwork_after(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["emergency_aid"]))
        assert (task["emergency_cap_yuan"], task["separation_of_duties"]) == ("5000", False)
        url = f"/api/v1/tasks/{task['id']}"
        await api.post(f"{url}/accept", json={"by": "civil-01"})
        approve = {"outcome": "approved", "decided_by": "civil-01"}
        over = refused(await api.post(f"{url}/decision", json=approve | {"amount": "5000.01"}),
                       422, "emergency_cap_exceeded")
        assert over["message_zh"] == "超过小额先行救助上限 5000 元，请按临时救助程序办理"
        assert over["fields"][0]["field"] == "amount"
        refused(await api.post(f"{url}/decision", json=approve), 422, "amount_required")
        refused(await api.post(f"{url}/paperwork", json={"by": "civil-02"}), 409,
                "no_paperwork_pending")

        body = approve | {"amount": "3000.00", "paperwork_pending": True}
        first, retry = [await api.post(f"{url}/decision", json=body) for _ in range(2)]
        assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
        assert first.json()["paperwork_due_at"] == "2026-03-09T23:59:59+08:00"  # 7 days later
        [decided] = await on_stream(js, own(subjects.TASK_DECIDED), TaskDecidedMessage)
        assert decided.payload.paperwork_due_at == datetime.fromisoformat("2026-03-09T23:59:59+08:00")
        assert decided.payload.amount == 3000

        done, again = [await api.post(f"{url}/paperwork", json={"by": "civil-02"}) for _ in range(2)]
        assert done.status_code == again.status_code == 200 and done.json() == again.json()
        assert done.json()["paperwork_completed_by"] == "civil-02"
        refused(await api.post(f"{url}/paperwork", json={"by": "civil-03"}), 409,
                "paperwork_already_completed")
        [completed] = await on_stream(js, own(subjects.TASK_PAPERWORK_COMPLETED),
                                      TaskPaperworkCompletedMessage)
        assert (completed.message_id, completed.payload.completed_by) == (
            f"{task['id']}:paperwork_completed", "civil-02")

        other = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        ourl = f"/api/v1/tasks/{other['id']}"
        assert other["emergency_cap_yuan"] is None
        await api.post(f"{ourl}/accept", json={"by": "civil-01"})
        pending = refused(await api.post(f"{ourl}/decision", json=body | {"amount": "9000"}), 422,
                          "paperwork_pending_not_allowed")
        assert pending["fields"][0]["field"] == "paperwork_pending"
        allowed = await api.post(f"{ourl}/decision", json=approve | {"amount": "9000"})
        assert allowed.status_code == 200 and allowed.json()["paperwork_due_at"] is None


async def test_accept_review_confirm_by_three_people(backend: Backend, nats_server: NatsServer,
                                                     rng: random.Random) -> None:
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["dibao"]))
        assert task["separation_of_duties"] is True
        url = f"/api/v1/tasks/{task['id']}"
        await api.post(f"{url}/accept", json={"by": "civil-x"})
        decide = {"outcome": "approved", "amount": "500.00"}
        refused(await api.post(f"{url}/decision", json=decide | {"decided_by": "civil-z"}), 409,
                "review_required")
        same = refused(await api.post(f"{url}/review", json={"by": "civil-x", "opinion": "同意"}),
                       409, "separation_of_duties")
        assert same["message_zh"] == "受理、初审、审核确认不能为同一人"
        review = {"by": "civil-y", "opinion": "材料齐全，情况属实，同意上报"}
        first, retry = [await api.post(f"{url}/review", json=review) for _ in range(2)]
        assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
        assert (first.json()["reviewed_by"], first.json()["review_opinion"]) == (
            "civil-y", review["opinion"])
        for person in ("civil-x", "civil-y"):
            error = refused(await api.post(f"{url}/decision", json=decide | {"decided_by": person}),
                            409, "separation_of_duties")
            assert error["message_zh"] == "受理、初审、审核确认不能为同一人"
        confirmed = await api.post(f"{url}/decision", json=decide | {"decided_by": "civil-z"})
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "decided"
        [event] = await on_stream(js, own(subjects.TASK_DECIDED), TaskDecidedMessage)
        assert event.payload.decided_by == "civil-z"
        kinds = [h["kind"] for h in (await api.get(f"{url}/history")).json()]
        assert kinds == ["received", "accepted", "reviewed", "decided"]

        # Items without separation of duties keep accept → decide, by one person.
        plain = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        purl = f"/api/v1/tasks/{plain['id']}"
        await api.post(f"{purl}/accept", json={"by": "civil-x"})
        refused(await api.post(f"{purl}/review", json=review), 409, "review_not_required")
        response = await api.post(f"{purl}/decision", json=decide | {"decided_by": "civil-x"})
        assert response.status_code == 200, response.text


async def test_a_deadline_extension_moves_the_due_time(backend: Backend, nats_server: NatsServer,
                                                       rng: random.Random) -> None:
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["dibao"]))
        later = START + timedelta(days=40)
        extended = TaskDeadlineExtended(
            task_id=task["id"], application_id=task["application_id"], department=CIVIL,
            items=["dibao"], previous_due_at=START + timedelta(days=20), due_at=later,
            approved_by="deputy_head", reason="家庭经济状况核对超过15日", extended_at=START)
        await publish(js, own(subjects.TASK_DEADLINE_EXTENDED),
                      envelope(TaskDeadlineExtendedMessage, extended, f"{task['id']}:extended:1"))
        moved = await until(api, task["id"], lambda t: t["due_at"] != task["due_at"])
        assert datetime.fromisoformat(moved["due_at"]) == later
        [line] = [h for h in (await api.get(f"/api/v1/tasks/{task['id']}/history")).json()
                  if h["kind"] == "deadline_extended"]
        assert line["by"] == "deputy_head" and line["detail"]["reason"] == extended.reason
