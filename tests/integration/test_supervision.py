"""Supervision on a real nats-server with routing in this process and a MovableClock: warnings
and escalations up the supervisors' chain (never twice), extensions, and the reports."""

import random
from datetime import datetime, timedelta
from typing import Any

import httpx
import nats
from sqlalchemy import select

from contracts import (
    Department,
    Outcome,
    TaskAccepted,
    TaskAcceptedMessage,
    TaskDecided,
    TaskDecidedMessage,
    TaskPaperworkCompleted,
    TaskPaperworkCompletedMessage,
    subjects,
)
from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.policy import load_policy
from services.common.settings import Settings
from services.common.workdays import SHANGHAI
from services.routing.app import create_app as create_routing
from services.routing.models import Alert, Handoff, JointMeetingCase
from tests.integration.test_routing import Listener, _submitted, envelope, publish
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

POLICY = load_policy("default")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # no holiday until Qingming (4-6 April)


def bj(month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def alerts(heard: Listener, app_id: str, stages: tuple[str, ...] = ()) -> list[tuple]:
    """(warned/escalated, stage, level, supervisor) of the application, in stream order."""
    return [(s.rsplit(".", 1)[-1], m["payload"]["stage"], m["payload"]["level"],
             m["payload"]["supervisor"]) for s, _, m in heard.seen
            if s.startswith("onedoor.supervision.") and m["application_id"] == app_id
            and (not stages or m["payload"]["stage"] in stages)]


async def _submit(js: Any, rng: random.Random, items: list[str], clock: MovableClock) -> str:
    message = _submitted(rng, items, at=clock.now())
    await publish(js, subjects.APPLICATION_SUBMITTED, message)
    return message.application_id


async def _accept(js: Any, task: dict[str, Any], by: str, when: datetime) -> None:
    message = envelope(TaskAcceptedMessage, TaskAccepted(
        task_id=task["task_id"], application_id=task["application_id"],
        department=Department(task["department"]), accepted_by=by, accepted_at=when))
    await publish(js, subjects.for_department(subjects.TASK_ACCEPTED, task["department"]), message)


async def _handoff(routing: httpx.AsyncClient, app_id: str, task_id: str) -> dict[str, Any]:
    got = (await routing.get(f"/api/v1/applications/{app_id}/handoffs")).json()
    return next(h for h in got if h["task_id"] == task_id)


async def test_a_task_is_warned_then_escalated_up_the_chain_once_each(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    clock = MovableClock(MONDAY)
    app = create_routing(settings, clock=clock, supervision_interval=0.1)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(app) as routing:
        heard = await Listener(js, "onedoor.>").start()
        app_id = await _submit(js, rng, ["medical_aid"], clock)  # 5 working days
        (task,) = await heard.until(lambda h: h.of(app_id, "task.assigned.medical"))
        # Accepted by the end of the next working day; decided by the end of the fifth.
        assert datetime.fromisoformat(task["accept_due_at"]) == bj(3, 3, 23, 59, 59)
        assert datetime.fromisoformat(task["due_at"]) == bj(3, 9, 23, 59, 59)
        await heard.poll(0.5)
        assert alerts(heard, app_id) == []

        expected = [("warned", "accept", 0, "center_director")]
        clock.set(bj(3, 3, 15))  # three quarters of the accept limit have passed
        await heard.until(lambda h: alerts(h, app_id) == expected)
        expected.append(("escalated", "accept", 1, "center_director"))
        clock.set(bj(3, 4))  # not accepted in time
        await heard.until(lambda h: alerts(h, app_id) == expected)
        expected.append(("escalated", "accept", 2, "deputy_head"))
        clock.set(bj(3, 5))  # one more working day: the next supervisor
        await heard.until(lambda h: alerts(h, app_id) == expected)
        for _ in range(3):  # rescans, however many, raise nothing more
            assert await app.state.watcher.scan_once() == 0

        await _accept(js, task, "yb-01", clock.now())

        async def accepted() -> bool:
            assert (await _handoff(routing, app_id, task["task_id"]))["accepted_by"] == "yb-01"
            return True

        await eventually_async(accepted, timeout=15)
        expected.append(("warned", "decide", 0, "center_director"))
        clock.set(bj(3, 8, 3))  # the accept stage is closed; 3/4 of the decide span passed
        await heard.until(lambda h: alerts(h, app_id) == expected)
        expected.append(("escalated", "decide", 1, "center_director"))
        clock.set(bj(3, 10))
        await heard.until(lambda h: alerts(h, app_id) == expected)
        clock.set(bj(3, 16, 23, 59))  # level 2 is five more working days after the due time
        assert await app.state.watcher.scan_once() == 0
        expected.append(("escalated", "decide", 2, "deputy_head"))
        clock.set(bj(3, 17))
        await heard.until(lambda h: alerts(h, app_id) == expected)

        decided = envelope(TaskDecidedMessage, TaskDecided(
            task_id=task["task_id"], application_id=app_id, department=Department.medical,
            items=task["items"], outcome=Outcome.approved, decided_by="yb-01",
            decided_at=clock.now()))
        await publish(js, subjects.for_department(subjects.TASK_DECIDED, "medical"), decided)

        async def closed() -> bool:
            assert (await _handoff(routing, app_id, task["task_id"]))["result"] == "approved"
            return True

        await eventually_async(closed, timeout=15)
        clock.set(bj(5, 29))
        await app.state.watcher.scan_once()
        await heard.poll(0.5)
        assert alerts(heard, app_id) == expected  # each once, and nothing once decided
        log = (await routing.get("/api/v1/supervision/alerts",
                                 params={"application_id": app_id})).json()
        assert sorted((a["stage"], a["level"], a["supervisor"]) for a in log) == sorted(
            (stage, level, who) for _, stage, level, who in expected)
        ids = {i for s, i, _ in heard.seen if s.startswith("onedoor.supervision.")}
        assert {a["alert_id"] for a in log} == ids  # the message id is the alert id
        assert all(a["task_id"] == task["task_id"] and a["department"] == "medical" for a in log)
    await nc.close()


async def test_paperwork_and_joint_meeting_stages_escalate_until_closed(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    clock = MovableClock(MONDAY)
    app = create_routing(settings, clock=clock, supervision_interval=3600)
    scan = app.state.watcher.scan_once
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(app) as routing:
        heard = await Listener(js, "onedoor.>").start()
        urgent = await _submit(js, rng, ["emergency_aid"], clock)
        unclear = await _submit(js, rng, ["other"], clock)
        (task,) = await heard.until(lambda h: h.of(urgent, "task.assigned.civil_affairs"))
        (case,) = await heard.until(lambda h: h.of(unclear, "joint_meeting.queued"))

        decided_at = bj(3, 2, 12)  # aid given at once; the paperwork within 7 days
        await _accept(js, task, "mz-01", decided_at)
        await publish(js, subjects.for_department(subjects.TASK_DECIDED, "civil_affairs"),
                      envelope(TaskDecidedMessage, TaskDecided(
                          task_id=task["task_id"], application_id=urgent,
                          department=Department.civil_affairs, items=["emergency_aid"],
                          outcome=Outcome.approved, decided_by="mz-01", decided_at=decided_at,
                          paperwork_due_at=bj(3, 9, 23, 59, 59))))

        async def decided() -> bool:
            h = await _handoff(routing, urgent, task["task_id"])
            assert h["paperwork_due_at"] == "2026-03-09T23:59:59+08:00"
            return True

        await eventually_async(decided, timeout=15)
        # Tuesday 10 March: the paperwork is late (first seen late: no warning first); the
        # meeting's case, due Wednesday 4 March (2 working days), has passed two limits.
        clock.set(bj(3, 10))
        assert await scan() == 3
        await heard.until(lambda h: len(alerts(h, urgent) + alerts(h, unclear)) == 3)
        assert alerts(heard, urgent) == [("escalated", "paperwork", 1, "center_director")]
        assert alerts(heard, unclear) == [("escalated", "assign", 1, "center_director"),
                                          ("escalated", "assign", 2, "deputy_head")]

        done = envelope(TaskPaperworkCompletedMessage, TaskPaperworkCompleted(
            task_id=task["task_id"], application_id=urgent, department=Department.civil_affairs,
            completed_by="mz-01", completed_at=clock.now()))
        await publish(js, subjects.for_department(subjects.TASK_PAPERWORK_COMPLETED,
                                                  "civil_affairs"), done)
        assigned = await routing.post(f"/api/v1/joint-meeting/{case['case_id']}/assign",
                                      json={"department": "federations", "by": "deputy_head"})
        assert assigned.status_code == 200, assigned.text

        async def paperwork_in() -> bool:
            h = await _handoff(routing, urgent, task["task_id"])
            assert h["paperwork_completed_at"] is not None
            return True

        await eventually_async(paperwork_in, timeout=15)
        clock.set(bj(4, 30))
        await scan()
        # The meeting's task is a task like any other: its own stages from now on.
        await heard.until(lambda h: {s for _, s, _, _ in alerts(h, unclear)} == {
            "assign", "accept", "decide"})
        await heard.poll(0.5)
        assert len(alerts(heard, urgent)) == 1  # closed stages raise nothing more
        assert len(alerts(heard, unclear, ("assign",))) == 2
    await nc.close()


async def _extend(routing: httpx.AsyncClient, task_id: str, by: str = "center_director",
                  reason: str = "家庭经济状况核对超过15日", **extend_by: int) -> httpx.Response:
    return await routing.post("/api/v1/supervision/extensions", json={
        "task_id": task_id, "extend_by": extend_by, "approved_by": by, "reason": reason})


async def test_an_extension_moves_the_due_time_within_the_policy(
    backend: Backend, nats_server: NatsServer, rng: random.Random,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    clock = MovableClock(MONDAY)
    app = create_routing(settings, clock=clock, supervision_interval=3600)
    scan = app.state.watcher.scan_once
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(app) as routing:
        heard = await Listener(js, "onedoor.>").start()
        dibao = await _submit(js, rng, ["dibao"], clock)  # 20 working days, 10 more at most
        medical = await _submit(js, rng, ["medical_aid"], clock)  # no extension in the policy
        (task,) = await heard.until(lambda h: h.of(dibao, "task.assigned.civil_affairs"))
        (other,) = await heard.until(lambda h: h.of(medical, "task.assigned.medical"))
        assert datetime.fromisoformat(task["due_at"]) == bj(3, 30, 23, 59, 59)

        # Approved by a supervisor's account: a department's staff may not extend its own time.
        staff = routing.as_("mz-01", role=Role.department, department="civil_affairs")
        refused = await _extend(staff, task["task_id"], by="mz-01", working_days=5)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
        assert "督办" in refused.json()["error"]["message_zh"]
        for units, reason in (({"working_days": 1}, "  "),  # a reason is required
                              ({}, "理由"), ({"working_days": 1, "days": 1}, "理由")):
            got = await _extend(routing, task["task_id"], reason=reason, **units)
            assert got.status_code == 422, (units, reason, got.text)
            assert got.json()["error"]["fields"][0]["reason_zh"]
        assert (await _extend(routing, "nope", working_days=1)).status_code == 404
        no_extension = await _extend(routing, other["task_id"], working_days=1)
        assert no_extension.status_code == 422
        assert "不允许延期" in no_extension.json()["error"]["message_zh"]

        first = await _extend(routing, task["task_id"], working_days=5)
        assert first.status_code == 201, first.text
        assert first.json() | {"from_due_at": "2026-03-30T23:59:59+08:00",
                               "to_due_at": "2026-04-07T23:59:59+08:00",  # Qingming skipped
                               "approved_by": "center_director",
                               "extend_by": {"working_days": 5}} == first.json()
        (extended,) = await heard.until(lambda h: h.of(dibao, "deadline_extended.civil_affairs"))
        assert extended | {"task_id": task["task_id"], "approved_by": "center_director",
                           "reason": "家庭经济状况核对超过15日", "items": ["dibao"]} == extended
        assert datetime.fromisoformat(extended["previous_due_at"]) == bj(3, 30, 23, 59, 59)
        assert datetime.fromisoformat(extended["due_at"]) == bj(4, 7, 23, 59, 59)

        # Past the old due time, not the new one: no escalation of the decision.
        clock.set(bj(3, 31))
        await scan()
        warned = [("warned", "decide", 0, "center_director")]
        await heard.until(lambda h: alerts(h, dibao, ("decide",)) == warned)
        await heard.poll(0.3)
        assert alerts(heard, dibao, ("decide",)) == warned
        clock.set(bj(4, 8))
        await scan()
        await heard.until(lambda h: alerts(h, dibao, ("decide",))[1:] == [
            ("escalated", "decide", 1, "center_director")])

        # Ten working days in all: five more may be granted, then no more.
        over = await _extend(routing, task["task_id"], by="deputy_head", days=8)
        assert over.status_code == 422, over.text
        assert over.json()["error"]["code"] == "extension_over_limit"
        assert "10个工作日" in over.json()["error"]["message_zh"]
        second = await _extend(routing, task["task_id"], by="deputy_head", working_days=5)
        assert second.status_code == 201, second.text
        assert second.json()["to_due_at"] == "2026-04-14T23:59:59+08:00"
        assert (await _extend(routing, task["task_id"], hours=1)).status_code == 422
        await heard.until(lambda h: len(h.of(dibao, "deadline_extended")) == 2)
        ids = [i for s, i, _ in heard.seen if "deadline_extended" in s]
        assert ids == [f"{task['task_id']}:extended:1", f"{task['task_id']}:extended:2"]
        (line,) = (await routing.get(f"/api/v1/applications/{dibao}/ledger")).json()
        assert line["due_at"] == "2026-04-14T23:59:59+08:00"

        # The level-1 escalation stays on record; level 2 follows the new due time.
        level2 = POLICY.limit_of("dibao").due_at(bj(4, 14, 23, 59, 59), POLICY.calendar)
        clock.set(level2)
        await scan()  # (the tasks' acceptance, never given, keeps escalating meanwhile)
        await heard.poll(0.3)
        assert len(alerts(heard, dibao, ("decide",))) == 2
        clock.set(level2 + timedelta(seconds=1))
        await scan()
        await heard.until(lambda h: alerts(h, dibao, ("decide",)) == [
            ("warned", "decide", 0, "center_director"),
            ("escalated", "decide", 1, "center_director"),
            ("escalated", "decide", 2, "deputy_head")])
        async with app.state.runtime.db.reading() as session:
            levels = (await session.scalars(select(Alert.level).where(
                Alert.subject_id == task["task_id"], Alert.stage == "decide"))).all()
        assert sorted(levels) == [0, 1, 2]
    await nc.close()


def _line(task_id: str, department: str, item: str, handed: datetime, due: datetime,
          **fields: Any) -> Handoff:
    return Handoff(application_id=f"app-{task_id}", receipt_no=f"YD-{task_id}", task_id=task_id,
                   kind="task", from_party="window:ck-01", to_department=department,
                   items=[item], handed_at=handed, due_at=due, limits_from=handed,
                   accept_due_at=POLICY.accept_due_at(handed), **fields)


async def test_the_overdue_and_department_reports(
    backend: Backend, nats_server: NatsServer,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    now = bj(3, 20)  # a Friday
    clock = MovableClock(now)
    app = create_routing(settings, clock=clock, supervision_interval=3600)
    async with running(app) as routing:
        mon, due = bj(3, 2, 10), bj(3, 9, 23, 59, 59)
        accepted = {"accepted_by": "jy-01", "accepted_at": mon}
        async with app.state.runtime.db.writing() as session:
            session.add_all([
                _line("e0", "education", "education_aid", bj(2, 27, 10), due,
                      decided_at=bj(3, 2, 10), **accepted),  # 2: Sat 28 Feb is a make-up day
                _line("e1", "education", "education_aid", mon, due, decided_at=bj(3, 3, 10),
                      **accepted),  # 1
                _line("e2", "education", "education_aid", mon, due, decided_at=bj(3, 6, 10),
                      **accepted),  # 4
                _line("e3", "education", "education_aid", mon, due, decided_at=bj(3, 12, 10),
                      **accepted),  # 8, late
                _line("e4", "education", "education_aid", mon, due, **accepted),  # open, late
                _line("e5", "education", "education_aid", mon, due, returned_at=bj(3, 3),
                      returned_by="jy-02"),
                _line("h1", "housing", "housing_aid", bj(3, 16, 10), bj(3, 23, 23, 59, 59),
                      decided_at=bj(3, 16, 15), **accepted),  # 0
                _line("h2", "housing", "housing_aid", bj(3, 16, 10), bj(3, 23, 23, 59, 59)),
                JointMeetingCase(case_id="c1", application_id="app-c1", receipt_no="YD-c1",
                                 items=["other"], reason="实施主体不明确", queued_at=bj(3, 16, 10),
                                 assign_due_at=bj(3, 18, 23, 59, 59), status="open"),
            ])

        report = (await routing.get("/api/v1/supervision/departments")).json()
        rows = {r["department"]: r for r in report["departments"]}
        assert list(rows) == [str(d) for d in POLICY.departments]
        assert rows["education"] | {
            "department_name": "教育", "received": 6, "decided": 4, "decided_on_time": 3,
            "decided_late": 1, "returned": 1, "open": 1, "overdue": 1,
            "average_working_days": 3.75, "p90_working_days": 8} == rows["education"]
        assert rows["housing"] | {"received": 2, "decided": 1, "decided_on_time": 1,
                                  "open": 1, "overdue": 0, "average_working_days": 0.0,
                                  "p90_working_days": 0} == rows["housing"]
        assert rows["civil_affairs"] | {"department_name": "民政（社会事务办）", "received": 0,
                                        "average_working_days": None,
                                        "p90_working_days": None} == rows["civil_affairs"]
        assert report["generated_at"] == "2026-03-20T09:00:00+08:00"

        march = (await routing.get("/api/v1/supervision/departments",
                                   params={"since": "2026-03-01", "until": "2026-03-15"})).json()
        rows = {r["department"]: r for r in march["departments"]}
        assert (rows["education"]["received"], rows["housing"]["received"]) == (5, 0)
        assert rows["education"]["p90_working_days"] == 8
        assert rows["education"]["average_working_days"] == round((1 + 4 + 8) / 3, 2)
        wrong = await routing.get("/api/v1/supervision/departments",
                                  params={"since": "2026-03-10", "until": "2026-03-01"})
        assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "until"

        overdue = (await routing.get("/api/v1/supervision/overdue")).json()
        assert [(o["stage"], o["task_id"] or o["case_id"]) for o in overdue] == [
            ("decide", "e4"), ("accept", "h2"), ("assign", "c1")]
        e4, h2, c1 = overdue
        assert e4 | {"department": "education", "department_name": "教育",
                     "items": ["education_aid"], "due_at": "2026-03-09T23:59:59+08:00",
                     "overdue_working_days": 9, "escalation_level": 1,
                     "supervisor": "center_director", "receipt_no": "YD-e4"} == e4
        assert e4["overdue_hours"] == round((now - due).total_seconds() / 3600, 1) == 249.0
        # Accept within a working day (by the 17th): three more working days have passed.
        assert (h2["overdue_working_days"], h2["escalation_level"], h2["supervisor"]) == (
            3, 3, "deputy_head")
        assert (c1["department"], c1["escalation_level"], c1["supervisor"]) == (
            None, 1, "center_director")
