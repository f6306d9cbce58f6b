"""The audit trail (issue 9): a read of a case leaves one row, a change or decision one row
with the account and the case, a refused change its refusal; supervisors read the trail,
nobody else; the database itself refuses to change or delete a row; no personal data in it."""

import json
import random
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.db import Database
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from tests.integration.test_departments_rules import (
    CIVIL,
    START,
    arrive,
    assigned,
    broker,
    refused,
    settings_for,
)
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer


async def audit_rows(app: FastAPI, **where: Any) -> list[dict[str, Any]]:
    """The service's audit rows (each column matching ``where``), oldest first."""
    log = app.state.runtime.tables.audit.log
    query = select(log).order_by(log.c.id)
    for column, value in where.items():
        query = query.where(log.c[column] == value)
    async with app.state.runtime.db.reading() as session:
        return [dict(r) for r in (await session.execute(query)).mappings()]


def one_row(rows: list[dict[str, Any]], **expected: Any) -> dict[str, Any]:
    assert len(rows) == 1, rows
    (row,) = rows
    assert row | expected == row, (row, expected)
    return row


def without_personal_data(rows: list[dict[str, Any]], *values: str) -> None:
    dumped = json.dumps(rows, default=str, ensure_ascii=False)
    for value in values:
        assert value and value not in dumped, value


async def test_a_task_read_leaves_one_row_and_a_decision_one_row_with_account_and_task(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_department(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        message = assigned(rng, ["temporary_aid"])
        task = await arrive(js, api, message)
        case = {"task_id": task["id"], "application_id": message.application_id}
        url = f"/api/v1/tasks/{task['id']}"
        staff = api.as_("mz-31")

        read = await staff.get(url, headers={"X-Request-Id": "read-task-1"})
        assert read.status_code == 200 and read.headers["x-request-id"] == "read-task-1"
        one_row(await audit_rows(app, request_id="read-task-1"), action="read",
                route="GET /api/v1/tasks/{task_id}", username="mz-31", role="department",
                status=200, client="127.0.0.1", **case)
        history = await staff.get(f"{url}/history")
        one_row(await audit_rows(app, request_id=history.headers["x-request-id"]),
                action="read", route="GET /api/v1/tasks/{task_id}/history", **case)
        listed = await staff.get("/api/v1/tasks", params={"status": "assigned"})
        one_row(await audit_rows(app, request_id=listed.headers["x-request-id"]),
                action="read", query="status", results=listed.json()["total"])

        assert (await staff.post(f"{url}/accept", json={})).status_code == 200
        decided = await staff.post(f"{url}/decision", json={"outcome": "rejected",
                                                            "reason": "家庭收入超过标准"})
        assert decided.status_code == 200, decided.text
        decision = one_row(await audit_rows(app, request_id=decided.headers["x-request-id"]),
                           action="change", route="POST /api/v1/tasks/{task_id}/decision",
                           username="mz-31", role="department", status=200, **case)
        assert len(decision["request_id"]) == 32  # made here: the client sent none

        # A refused change (rolled back) is recorded with its refusal, and nothing else.
        again = await staff.post(f"{url}/decision", json={"outcome": "approved", "amount": "500"},
                                 headers={"X-Request-Id": "decide-again"})
        assert again.status_code == 409, again.text
        one_row(await audit_rows(app, request_id="decide-again"), action="change", status=409,
                task_id=task["id"])

        supervisor = api.as_("audit-director", role=Role.supervisor)
        page = (await supervisor.get("/api/v1/audit", params={
            "task_id": task["id"], "action": "change"})).json()
        assert [(r["route"], r["status"]) for r in page["items"]] == [
            ("POST /api/v1/tasks/{task_id}/decision", 409),
            ("POST /api/v1/tasks/{task_id}/decision", 200),
            ("POST /api/v1/tasks/{task_id}/accept", 200)]
        assert page["items"][0]["at"].endswith("+08:00") and page["total"] == 3
        mine = (await supervisor.get("/api/v1/audit", params={"account": "mz-31",
                                                              "limit": 500})).json()
        assert mine["total"] == 6 and {r["username"] for r in mine["items"]} == {"mz-31"}
        for other in (staff, api.as_("audit-window", role=Role.window),
                      api.as_("audit-ops", role=Role.ops)):
            refused(await other.get("/api/v1/audit"), 403, "forbidden")

        applicant = message.payload.applicant
        without_personal_data(await audit_rows(app), applicant.name, applicant.id_number,
                              applicant.phone.removeprefix("+86"))


async def test_an_application_view_leaves_one_row_and_a_search_names_no_one(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    app = create_intake(settings)
    async with running(app) as intake:
        body = application(rng, ["housing_aid"])
        invalid = await intake.post("/api/v1/applications", json={**body, "items": []})
        assert invalid.status_code == 422
        one_row(await audit_rows(app, request_id=invalid.headers["x-request-id"]),
                action="change", status=422, application_id=None)
        created = await intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        view = created.json()
        one_row(await audit_rows(app, request_id=created.headers["x-request-id"]),
                action="change", route="POST /api/v1/applications", status=201,
                application_id=view["id"], username=body["received_by"], role="window")

        for ref in (view["id"], view["receipt_no"]):  # either names the application
            read = await intake.get(f"/api/v1/applications/{ref}")
            assert read.status_code == 200
            one_row(await audit_rows(app, request_id=read.headers["x-request-id"]),
                    action="read", route="GET /api/v1/applications/{application_id}",
                    application_id=view["id"], status=200)
        person = body["applicant"]
        found = await intake.get("/api/v1/applications", params={
            "id_number": person["id_number"], "name": person["name"]})
        assert found.json()["total"] == 1
        one_row(await audit_rows(app, request_id=found.headers["x-request-id"]),
                action="read", query="id_number,name", results=1, application_id=None)
        typed = await intake.get(f"/api/v1/applications/{person['id_number']}")
        assert typed.status_code == 404  # a number typed where an id goes is not recorded
        one_row(await audit_rows(app, request_id=typed.headers["x-request-id"]),
                application_id=None, status=404)

        without_personal_data(await audit_rows(app), person["name"], person["id_number"],
                              person["phone"].removeprefix("+86"), person["address"])


def _raw_table(db: Database) -> str:
    return (f'"{db.schema}".' if db.schema else "") + "audit_log"


async def test_the_database_refuses_to_change_or_delete_an_audit_row(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    app = create_intake(settings)
    async with running(app) as intake:
        created = await intake.post("/api/v1/applications", json=application(rng, ["dibao"]))
        assert created.status_code == 201
        db: Database = app.state.runtime.db
        table = _raw_table(db)
        statements = [f"UPDATE {table} SET status = 200", f"DELETE FROM {table}"]
        if backend.kind == "postgres":
            statements.append(f"TRUNCATE {table}")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"):
                async with db.engine.begin() as conn:
                    await conn.execute(text(statement))
        assert len(await audit_rows(app)) == 1


async def test_supervisors_filter_the_trail_by_time(tmp_path: Any,
                                                    nats_server: NatsServer) -> None:
    clock = MovableClock(START)
    app = create_intake(Settings(nats_url=nats_server.url, data_dir=tmp_path), clock)
    async with running(app) as intake:
        supervisor = intake.as_("time-director", role=Role.supervisor)
        for _ in range(3):
            await supervisor.get("/api/v1/applications")
            clock.advance(hours=1)
        # START is 10:00 in Beijing: the reads were at 10:00, 11:00 and 12:00.
        page = (await supervisor.get("/api/v1/audit", params={
            "from": "2026-03-02T11:00:00", "to": "2026-03-02T04:00:00Z"})).json()
        assert [r["at"] for r in page["items"]] == ["2026-03-02T11:00:00+08:00"]
        paged = (await supervisor.get("/api/v1/audit", params={
            "action": "read", "offset": 1, "limit": 1})).json()  # newest first
        assert (paged["total"], [r["at"] for r in paged["items"]]) == (
            3, ["2026-03-02T11:00:00+08:00"])
        bad = await supervisor.get("/api/v1/audit", params={"action": "delete"})
        assert bad.status_code == 422


async def test_no_read_without_its_row_and_no_change_either(
        tmp_path: Any, nats_server: NatsServer, rng: random.Random,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, data_dir=tmp_path))
    async with running(app) as intake:
        body = application(rng, ["housing_aid"])
        view = (await intake.post("/api/v1/applications", json=body)).json()

        async def unwritable(*_: Any, **__: Any) -> int:
            raise DBAPIError("INSERT INTO audit_log", {}, Exception("disk full"))

        monkeypatch.setattr("services.common.audit_middleware.append", unwritable)
        monkeypatch.setattr("services.common.audit_trail.append", unwritable)
        withheld = await intake.get(f"/api/v1/applications/{view['id']}")
        assert withheld.status_code == 500
        assert withheld.json()["error"]["code"] == "audit_unavailable"
        assert body["applicant"]["name"] not in withheld.text
        assert (await intake.get("/api/v1/applications/no-such-one")).status_code == 404
        with pytest.raises(DBAPIError):  # a 500: the change rolled back with its row
            await intake.post("/api/v1/applications", json=application(rng, ["dibao"]))
        monkeypatch.undo()
        listed = (await intake.get("/api/v1/applications")).json()
        assert [a["id"] for a in listed["items"]] == [view["id"]]
