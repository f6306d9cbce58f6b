"""Consumers re-check what they consume, on a real nats-server: a decision that does not fit
the application — another department's task, items the task does not have, an amount outside
the region's policy, a grant without application whose status was not approved — changes
nothing in the window's combined view and is a dead letter for the ops team. The department's
own API refuses an amount above the item's cap (422)."""

import random
import uuid
from typing import Any

import httpx
import nats

from contracts import Department, TaskDecidedMessage, subjects
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import InProcessSystem, in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


async def _publish(nats_url: str, department: str, payload: dict[str, Any]) -> str:
    """A TaskDecided on ``department``'s subject, as the bus would carry it."""
    message = TaskDecidedMessage.model_validate({
        "message_id": uuid.uuid4().hex, "type": TaskDecidedMessage.EVENT,
        "application_id": payload["application_id"], "occurred_at": payload["decided_at"],
        "correlation_id": payload["application_id"],
        "payload": payload})
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(
            subjects.for_department(subjects.TASK_DECIDED, department),
            message.model_dump_json().encode(), headers={"Nats-Msg-Id": message.message_id})
    finally:
        await nc.close()
    return message.payload.task_id


async def _letters(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    letters = [d for d in (await client.get("/api/v1/ops/dead-letters")).json()
               if d["consumer"] == "intake-decided"]
    assert len(letters) >= count, letters
    return letters


async def _open_task(system: InProcessSystem, rng: random.Random, department: str,
                     items: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    created = await system.intake.post("/api/v1/applications", json=application(rng, items))
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    task = await system.task_of(department, app_id)
    view = await system.until(app_id, lambda v: all(i["task_id"] for i in v["items"]))
    return app_id, task, view


def _decision(app_id: str, task_id: str, department: str, items: list[str], **changes: Any
              ) -> dict[str, Any]:
    return {"task_id": task_id, "application_id": app_id, "department": department,
            "items": items, "outcome": "approved", "amount": "300.00", "reason": "",
            "decided_by": "someone", "decided_at": "2026-11-20T09:00:00+08:00"} | changes


async def test_a_decision_that_does_not_fit_the_application_changes_nothing(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "medical", "housing") as system:
        app_id, task, before = await _open_task(system, rng, "medical", ["medical_aid"])

        # Another department deciding medical's task; items the task does not have; amounts
        # outside the policy (medical aid pays at most 5,000 yuan; an approval names its sum).
        await _publish(nats_server.url, "housing",
                       _decision(app_id, task["id"], "housing", ["medical_aid"]))
        await _publish(nats_server.url, "medical",
                       _decision(app_id, task["id"], "medical", ["medical_aid", "housing_aid"]))
        await _publish(nats_server.url, "medical",
                       _decision(app_id, task["id"], "medical", ["medical_aid"],
                                 amount="9999999999.99"))
        await _publish(nats_server.url, "medical",
                       _decision(app_id, task["id"], "medical", ["medical_aid"], amount=None))
        # A decision for an application the window never registered.
        await _publish(nats_server.url, "medical",
                       _decision(uuid.uuid4().hex, uuid.uuid4().hex, "medical", ["medical_aid"]))

        letters = await eventually_async(lambda: _letters(system.intake, 5), timeout=30)
        errors = sorted(letter["error"] for letter in letters)
        assert any("comes from housing" in e for e in errors), errors
        assert any("does not have: housing_aid" in e for e in errors), errors
        assert any("above the 5000 yuan cap" in e for e in errors), errors
        assert any("names no amount" in e for e in errors), errors
        assert any("never registered" in e for e in errors), errors

        after = await system.view(app_id)
        assert after["items"] == before["items"] and after["status"] == before["status"]
        assert (await system.departments["medical"].get(f"/api/v1/tasks/{task['id']}")
                ).json()["status"] == "assigned"


async def test_a_grant_without_application_needs_its_status_approved(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "civil_affairs") as system:
        app_id, task, _ = await _open_task(system, rng, "civil_affairs", ["dibao"])
        civil = system.departments["civil_affairs"]
        for step, body in (("accept", {"by": "mz-01"}),
                           ("review", {"by": "mz-02", "opinion": "材料齐全"}),
                           ("decision", {"outcome": "rejected", "reason": "收入超过标准",
                                         "decided_by": "mz-03"})):
            answer = await civil.post(f"/api/v1/tasks/{task['id']}/{step}", json=body)
            assert answer.status_code == 200, answer.text
        rejected = await system.until(app_id, lambda v: v["status"] == "completed")

        # Education "granting" its aid to the household although 低保 was refused.
        await _publish(nats_server.url, Department.education,
                       _decision(app_id, uuid.uuid4().hex, "education", ["education_aid"],
                                 amount=None, automatic=True, decided_by="automatic"))

        [letter] = await eventually_async(lambda: _letters(system.intake, 1), timeout=30)
        assert "dibao was not approved" in letter["error"], letter
        assert (await system.view(app_id))["items"] == rejected["items"]


async def test_the_department_refuses_an_amount_above_the_cap(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "medical") as system:
        _, task, _ = await _open_task(system, rng, "medical", ["medical_aid"])
        medical = system.departments["medical"]
        assert (await medical.post(f"/api/v1/tasks/{task['id']}/accept",
                                   json={"by": "yb-01"})).status_code == 200

        answer = await medical.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "5000.01", "decided_by": "yb-02"})

        assert answer.status_code == 422, answer.text
        [field] = answer.json()["error"]["fields"]
        assert field["field"] == "amount" and "5000" in field["reason_zh"]
        within = await medical.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "5000", "decided_by": "yb-02"})
        assert within.status_code == 200, within.text
