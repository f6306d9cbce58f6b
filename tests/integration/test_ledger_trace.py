"""The ledger through a real flow (intake, routing, departments in this process, a real
nats-server): every line carries the application's trace id — tasks, a re-route after a
return, a referral, the joint meeting and its assignment — and each reason column holds
only what its header says, in JSON and in the CSV."""

import csv
import io
import random
import secrets
from typing import Any

from services.common.policy import load_policy
from services.routing import ledger_csv
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import InProcessSystem, in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

APPROVAL_NOTE = "家中有两名在读学生，符合教育救助条件，按学期发放"
REFUSAL = "家庭人均收入高于当地标准，不符合教育救助条件"
CONVENER = load_policy("default").joint_meeting.convener


async def _submit(system: InProcessSystem, rng: random.Random, items: list[str],
                  trace_id: str) -> str:
    """Registered at the window in a trace the test chose (a W3C traceparent header)."""
    created = await system.intake.post(
        "/api/v1/applications", json=application(rng, items),
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def _decide(system: InProcessSystem, app_id: str, outcome: str, reason: str,
                  amount: str | None) -> None:
    education = system.departments["education"]
    task = await system.task_of("education", app_id)
    accepted = await education.post(f"/api/v1/tasks/{task['id']}/accept", json={"by": "jy-01"})
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = {"outcome": outcome, "reason": reason, "decided_by": "jy-02"}
    if amount:
        body["amount"] = amount
    decided = await education.post(f"/api/v1/tasks/{task['id']}/decision", json=body)
    assert decided.status_code == 200, decided.text


async def _ledger(system: InProcessSystem, app_id: str, check: Any) -> list[dict[str, Any]]:
    async def ready() -> list[dict[str, Any]]:
        lines = (await system.routing.get(f"/api/v1/applications/{app_id}/ledger")).json()
        assert check(lines), lines
        return lines

    return await eventually_async(ready, timeout=30)


def _kinds(lines: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return sorted((ln["kind"], ln["to"], ln["result"]) for ln in lines)


async def test_every_ledger_line_has_its_trace_and_reasons_in_their_own_columns(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
) -> None:
    traces = {"approved": secrets.token_hex(16), "rejected": secrets.token_hex(16)}
    async with in_process(backend, nats_server, "education", "medical") as system:
        approved = await _submit(system, rng, ["education_aid", "medical_aid",
                                               "charity_referral", "other"], traces["approved"])
        rejected = await _submit(system, rng, ["education_aid"], traces["rejected"])
        await _decide(system, approved, "approved", APPROVAL_NOTE, "1500.00")
        await _decide(system, rejected, "rejected", REFUSAL, None)

        # Medical returns its task (not theirs): routing re-routes it to HR & social security.
        medical = system.departments["medical"]
        task = await system.task_of("medical", approved)
        returned = await medical.post(f"/api/v1/tasks/{task['id']}/return", json={
            "by": "yb-01", "reason": "医疗救助由人社局办理", "suggested_department": "hrss"})
        assert returned.status_code == 200, returned.text
        # The joint meeting assigns "other" in a request of its own, days later maybe.
        (case,) = [c for c in (await system.routing.get("/api/v1/joint-meeting")).json()
                   if c["application_id"] == approved]
        assigned = await system.routing.post(
            f"/api/v1/joint-meeting/{case['case_id']}/assign",
            json={"department": "civil_affairs", "by": CONVENER, "note": "由民政临时救助办理"})
        assert assigned.status_code == 200, assigned.text

        lines = await _ledger(system, approved, lambda ls: len(ls) == 6 and any(
            ln["result"] == "approved" for ln in ls))
        assert _kinds(lines) == sorted([
            ("task", "education", "approved"), ("task", "medical", None),
            ("task", "hrss", None), ("referral", "慈善总会（慈善项目化救助）", "referred"),
            ("joint_meeting", "joint_meeting", "assigned"), ("task", "civil_affairs", None)])
        # One trace per application, whoever acted and when.
        assert [ln["trace_id"] for ln in lines] == [traces["approved"]] * 6
        (refused,) = await _ledger(system, rejected, lambda ls: ls and ls[0]["result"])
        assert refused["trace_id"] == traces["rejected"]

        by_to = {ln["to"]: ln for ln in lines}
        edu = by_to["education"]
        assert (edu["refusal_reason"], edu["result_note"], edu["amount"]) == (
            None, APPROVAL_NOTE, "1500.00")
        assert (refused["result"], refused["refusal_reason"], refused["result_note"]) == (
            "rejected", REFUSAL, None)
        meeting = by_to["joint_meeting"]
        assert (meeting["refusal_reason"], meeting["result_note"]) == (None, "由民政临时救助办理")
        assert by_to["medical"]["refusal_reason"] is None  # a return has its own columns
        assert by_to["medical"]["returned_reason"] == "医疗救助由人社局办理"

        day = edu["handed_at"][:10]
        exported = await system.routing.get("/api/v1/ledger", params={
            "from": day, "to": day, "format": "csv"})
        assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [header for header, _ in ledger_csv.COLUMNS]
    assert len(rows) == 7
    assert {(r["申请编号"], r["追踪编号"]) for r in rows} == {
        (approved, traces["approved"]), (rejected, traces["rejected"])}
    rows_by = {(r["申请编号"], r["承办部门代码"]): r for r in rows}
    ok, no = rows_by[(approved, "education")], rows_by[(rejected, "education")]
    assert (ok["办理结果"], ok["不予批准理由"], ok["办理说明"], ok["救助金额（元）"]) == (
        "批准", "", APPROVAL_NOTE, "1500.00")
    assert (no["办理结果"], no["不予批准理由"], no["办理说明"], no["救助金额（元）"]) == (
        "不予批准", REFUSAL, "", "")
    assert rows_by[(approved, "joint_meeting")]["不予批准理由"] == ""
    assert rows_by[(approved, "joint_meeting")]["办理说明"] == "由民政临时救助办理"
