"""The transfer ledger (分办、转办台账): per application and exported by period, on a real
nats-server — intake, routing and the education department in this process."""

import csv
import io
import random
import re
from datetime import UTC, date, datetime, timedelta

import httpx
import nats
import pytest
from sqlalchemy import select, update

from contracts import (
    DEPARTMENT_NAMES,
    ITEM_NAMES,
    Department,
    Item,
    Outcome,
    TaskDecided,
    TaskDecidedMessage,
    subjects,
)
from services.common.settings import Settings
from services.common.workdays import SHANGHAI
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.routing import ledger, ledger_csv
from services.routing.app import create_app as create_routing
from services.routing.models import MESSAGING, Handoff
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

REASON = "家庭成员中无在读学生，不符合教育救助条件"


async def _submit(intake: httpx.AsyncClient, rng: random.Random, items: list[str]) -> str:
    created = await intake.post("/api/v1/applications", json=application(rng, items))
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def _education_task(dept: httpx.AsyncClient, application_id: str) -> str:
    async def assigned() -> str:
        tasks = (await dept.get("/api/v1/tasks", params={"status": "assigned"})).json()["items"]
        found = [t["id"] for t in tasks if t["application_id"] == application_id]
        assert found, f"no task of {application_id} yet"
        return found[0]

    return await eventually_async(assigned, timeout=15)


async def _decide(dept: httpx.AsyncClient, task_id: str, outcome: str, by: str,
                  reason: str = "") -> None:
    accepted = await dept.post(f"/api/v1/tasks/{task_id}/accept", json={"by": by})
    assert accepted.status_code == 200, accepted.text
    amount = {"amount": "600.00"} if outcome == "approved" else {}  # education aid pays money
    decided = await dept.post(f"/api/v1/tasks/{task_id}/decision",
                              json={"outcome": outcome, "reason": reason, "decided_by": by} | amount)
    assert decided.status_code == 200, decided.text


def _shanghai_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).date()


async def test_the_ledger_lists_every_item_with_its_result_and_exports_it(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    routing_app = create_routing(settings)
    db = routing_app.state.runtime.db
    async with (running(create_intake(settings)) as intake, running(routing_app) as routing,
                running(create_department(settings, Department.education)) as education):
        mixed = await _submit(intake, rng, ["dibao", "temporary_aid", "education_aid"])
        approved = await _submit(intake, rng, ["education_aid"])
        medical = await _submit(intake, rng, ["medical_aid"])

        await _decide(education, await _education_task(education, mixed), "rejected", "jy-02",
                      REASON)
        await _decide(education, await _education_task(education, approved), "approved", "jy-01")

        async def both_decided() -> list[dict]:
            lines = []
            for app_id in (mixed, approved):
                got = await routing.get(f"/api/v1/applications/{app_id}/ledger")
                assert got.status_code == 200, got.text
                lines += got.json()
            assert all(ln["result"] for ln in lines if ln["to"] == "education"), lines
            return lines

        await eventually_async(both_decided, timeout=20)

        # One line per item, in the order asked; each item keeps its own due time.
        lines = (await routing.get(f"/api/v1/applications/{mixed}/ledger")).json()
        assert [(ln["item"], ln["to"]) for ln in lines] == [
            ("dibao", "civil_affairs"), ("temporary_aid", "civil_affairs"),
            ("education_aid", "education")]
        dibao, temporary, edu = lines
        assert dibao["task_id"] == temporary["task_id"] != edu["task_id"]
        assert temporary["due_at"] < dibao["due_at"]  # 15 working days before 20
        for line in lines:
            assert line["application_id"] == mixed and line["receipt_no"].startswith("YD")
            assert line["item_name"] == ITEM_NAMES[Item(line["item"])]
            assert line["to_name"] == DEPARTMENT_NAMES[Department(line["to"])]
            assert line["from"].startswith("window:")
            # Beijing time, as every read model shows times.
            assert line["handed_at"].endswith("+08:00") and line["due_at"].endswith("+08:00")
            assert line["kind"] == "task" and line["transfer_due_at"] and line["accept_due_at"]
            assert line["returned_at"] is line["rerouted_to"] is line["case_id"] is None
            assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"]), line  # the application's
            assert line["late"] is False
        for line in (dibao, temporary):  # no civil affairs department here: still open
            assert line["result"] is line["decided_at"] is line["accepted_by"] is None
        assert edu | {"result": "rejected", "result_reason": REASON, "refusal_reason": REASON,
                      "result_note": None, "decided_by": "jy-02", "accepted_by": "jy-02"} == edu
        assert dibao["trace_id"] == temporary["trace_id"] == edu["trace_id"]
        assert edu["handed_at"] <= edu["accepted_at"] <= edu["decided_at"]
        (ok,) = (await routing.get(f"/api/v1/applications/{approved}/ledger")).json()
        assert (ok["result"], ok["result_reason"], ok["decided_by"]) == ("approved", None, "jy-01")
        assert (await routing.get("/api/v1/applications/nope/ledger")).json() == []
        # The hand-offs themselves, one per task, as before.
        handoffs = (await routing.get(f"/api/v1/applications/{mixed}/handoffs")).json()
        assert sorted(h["to_department"] for h in handoffs) == ["civil_affairs", "education"]

        # Late: open and past its due time; decided after its due time.
        past = datetime.now(UTC) - timedelta(hours=1)
        decided_at = datetime.fromisoformat(ok["decided_at"])
        async with db.writing() as session:
            h = await session.scalar(select(Handoff).where(Handoff.task_id == dibao["task_id"]))
            h.items_due_at = {**h.items_due_at, "dibao": past.isoformat()}
            await session.execute(update(Handoff).where(Handoff.task_id == ok["task_id"]).values(
                items_due_at={"education_aid": (decided_at - timedelta(seconds=1)).isoformat()}))
        late = {ln["item"]: ln["late"] for ln in
                (await routing.get(f"/api/v1/applications/{mixed}/ledger")).json()}
        assert late == {"dibao": True, "temporary_aid": False, "education_aid": False}
        (ok,) = (await routing.get(f"/api/v1/applications/{approved}/ledger")).json()
        assert ok["late"] is True

        # The medical hand-off was made at 00:30 on 1 April, Beijing time (16:30 UTC the day
        # before): the export counts days in Beijing time.
        async with db.writing() as session:
            await session.execute(update(Handoff).where(Handoff.application_id == medical)
                                  .values(handed_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC)))
        april = (await routing.get("/api/v1/ledger", params={"from": "2026-04-01",
                                                             "to": "2026-04-01"})).json()
        assert [(ln["application_id"], ln["item"]) for ln in april["lines"]] == [
            (medical, "medical_aid")]
        march = (await routing.get("/api/v1/ledger", params={"from": "2026-03-01",
                                                             "to": "2026-03-31"})).json()
        assert march["lines"] == [] and march["count"] == 0

        # Today's export: every line of the others; by department; one day before: nothing.
        today = _shanghai_day(dibao["handed_at"])
        period = {"from": str(today), "to": str(today)}
        everything = (await routing.get("/api/v1/ledger", params=period)).json()
        assert everything | {"from": str(today), "to": str(today), "department": None,
                             "timezone": "Asia/Shanghai", "count": 4, "limit": ledger.MAX_LINES,
                             "truncated": False} == everything
        assert sorted((ln["application_id"], ln["item"]) for ln in everything["lines"]) == sorted(
            [(mixed, "dibao"), (mixed, "temporary_aid"), (mixed, "education_aid"),
             (approved, "education_aid")])
        by_dept = (await routing.get("/api/v1/ledger",
                                     params=period | {"department": "education"})).json()
        assert sorted(ln["application_id"] for ln in by_dept["lines"]) == sorted([mixed, approved])
        assert {ln["to"] for ln in by_dept["lines"]} == {"education"}
        yesterday = str(today - timedelta(days=1))
        assert (await routing.get("/api/v1/ledger", params={"from": yesterday, "to": yesterday})
                ).json()["lines"] == []

        # CSV for Excel: a BOM, Chinese headers, one row per item, Beijing time.
        exported = await routing.get("/api/v1/ledger", params=period | {"format": "csv"})
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.headers["content-disposition"] == (
            f"attachment; filename=ledger-{today}-{today}.csv")
        assert exported.headers["x-ledger-truncated"] == "false"
        assert exported.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(exported.content[3:].decode("utf-8"))))
        assert list(rows[0]) == [header for header, _ in ledger_csv.COLUMNS]
        assert {"申请编号", "救助事项", "承办部门", "办理结果", "不予批准理由", "是否超期"} <= set(rows[0])
        assert len(rows) == 4
        by_key = {(r["申请编号"], r["事项代码"]): r for r in rows}
        refused = by_key[(mixed, "education_aid")]
        assert (refused["办理结果"], refused["不予批准理由"], refused["审批人"]) == (
            "不予批准", REASON, "jy-02")
        assert refused["救助事项"] == "教育救助" and refused["承办部门"] == "教育"
        local = datetime.fromisoformat(edu["decided_at"]).astimezone(SHANGHAI)
        assert refused["办结时间（北京时间）"] == local.strftime("%Y-%m-%d %H:%M:%S")
        open_dibao = by_key[(mixed, "dibao")]
        assert (open_dibao["办理结果"], open_dibao["是否超期"], open_dibao["办结时间（北京时间）"]) == (
            "未办结", "是", "")
        assert by_key[(approved, "education_aid")]["办理结果"] == "批准"

        # Over the limit: cut, and said so.
        monkeypatch.setattr(ledger, "MAX_LINES", 3)
        cut = (await routing.get("/api/v1/ledger", params=period)).json()
        assert (cut["count"], cut["limit"], cut["truncated"], len(cut["lines"])) == (3, 3, True, 3)
        cut_csv = await routing.get("/api/v1/ledger", params=period | {"format": "csv"})
        assert cut_csv.headers["x-ledger-truncated"] == "true"
        assert len(list(csv.reader(io.StringIO(cut_csv.content[3:].decode())))) == 1 + 3


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-02-01", "to": "2026-01-31"}, "to"),  # ends before it starts
    ({"from": "2025-01-01", "to": "2026-01-31"}, "to"),  # over a year
    ({"from": "1900-01-01", "to": "1900-01-02"}, "from"),
    ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
    ({"from": "2026-01-01"}, "to"),
    ({"from": "2026-13-01", "to": "2026-01-31"}, "from"),
    ({"from": "2026-01-01", "to": "2026-01-31", "format": "xlsx"}, "format"),
    ({"from": "2026-01-01", "to": "2026-01-31", "department": "police"}, "department"),
])
async def test_an_export_period_is_checked(
    nats_server: NatsServer, tmp_path, params: dict[str, str], field: str,
) -> None:
    settings = Settings(nats_url=nats_server.url, data_dir=tmp_path / "data")
    async with running(create_routing(settings)) as routing:
        refused = await routing.get("/api/v1/ledger", params=params)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "validation_failed" and error["message_zh"]
    assert field in [f["field"] for f in error["fields"]], error


async def test_a_result_for_a_task_routing_never_handed_off_is_ignored(
    backend: Backend, nats_server: NatsServer,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    app = create_routing(settings)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    now = datetime.now(UTC)
    stray = TaskDecidedMessage(
        message_id="stray:decided", type=TaskDecidedMessage.EVENT, occurred_at=now,
        application_id="a" * 32, correlation_id="a" * 32,
        payload=TaskDecided(task_id="f" * 32, application_id="a" * 32,
                            department=Department.housing, items=[Item.housing_aid],
                            outcome=Outcome.approved, decided_by="zj-01", decided_at=now))
    async with running(app):
        await js.publish(subjects.for_department(subjects.TASK_DECIDED, "housing"),
                         stray.model_dump_json().encode())

        async def consumed() -> bool:
            info = await js.consumer_info(subjects.STREAM, "routing-decided")
            assert info.num_pending == 0 and info.num_ack_pending == 0
            assert info.delivered.stream_seq >= 1
            return True

        await eventually_async(consumed, timeout=15)
        async with app.state.runtime.db.reading() as session:
            assert (await session.execute(select(MESSAGING.dead_letters))).all() == []
            assert (await session.scalars(select(Handoff))).all() == []
    await nc.close()
