"""Referrals, the joint meeting and returned tasks, on a real nats-server with routing in this
process (a MovableClock): what routing publishes, and what its API and ledger show."""

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from contracts import Department, Item, TaskReturned, TaskReturnedMessage, subjects
from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.policy import POLICY_DIR, load_policy
from services.common.settings import Settings
from services.common.workdays import SHANGHAI
from services.routing import domain
from services.routing.app import create_app as create_routing
from tests.integration.test_routing import Listener, _submitted, envelope, publish
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer

POLICY = load_policy("default")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # no holiday for weeks either side
CONVENER = POLICY.joint_meeting.convener


def region_without_housing(tmp_path: Path) -> str:
    """The default policy, but housing aid has no department here: the joint meeting's."""
    text = (POLICY_DIR / "default.toml").read_text(encoding="utf-8")
    text = text.replace('[departments.housing]\nitems = ["housing_aid"]\n', "")
    text = text.replace("[items.housing_aid]\n", '[items.housing_aid]\nroute = "joint_meeting"\n')
    text = text.replace('region = "default"', 'region = "no-housing"')
    path = tmp_path / "no-housing.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(MONDAY)


def _routing(settings: Settings, clock: MovableClock) -> Any:
    return create_routing(settings, clock=clock, supervision_interval=3600)


async def _submit(js: Any, rng: random.Random, items: list[str], clock: MovableClock) -> str:
    message = _submitted(rng, items, at=clock.now())
    await publish(js, subjects.APPLICATION_SUBMITTED, message)
    return message.application_id


async def _ledger(routing: httpx.AsyncClient, app_id: str) -> list[dict[str, Any]]:
    got = await routing.get(f"/api/v1/applications/{app_id}/ledger")
    assert got.status_code == 200, got.text
    return got.json()


async def test_referral_and_joint_meeting_at_routing_then_the_meeting_assigns(
    backend: Backend, nats_server: NatsServer, rng: random.Random, clock: MovableClock,
    tmp_path: Path,
) -> None:
    region = region_without_housing(tmp_path)
    settings = Settings(nats_url=nats_server.url, region=region, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(_routing(settings, clock)) as routing:
        heard = await Listener(js, "onedoor.>").start()
        message = _submitted(rng, ["dibao", "charity_referral", "other"], at=clock.now())
        await publish(js, subjects.APPLICATION_SUBMITTED, message)
        app_id, start = message.application_id, message.payload.received_at

        def first_routing(h: Listener) -> bool:
            assert h.of(app_id, "joint_meeting.queued") and h.of(app_id, "items_referred")
            assert h.of(app_id, "task.assigned") and h.of(app_id, "application.routed")
            return True

        await heard.until(first_routing)
        (routed,) = heard.of(app_id, "application.routed")
        assert routed["revision"] == 0 and [t["items"] for t in routed["tasks"]] == [["dibao"]]
        (referred,) = heard.of(app_id, "items_referred")
        assert referred["items"] == ["charity_referral"]
        assert referred["organisation"] == POLICY.items[Item.charity_referral].referral_to
        assert referred["referred_by"] == message.payload.received_by
        assert f"{app_id}:referred:charity_referral" in [i for _, i, _ in heard.seen]
        (queued,) = heard.of(app_id, "joint_meeting.queued")
        assert (queued["items"], queued["reason"]) == (["other"], domain.UNCLEAR_OWNER)
        # The meeting has two working days: to the end of Wednesday.
        assert datetime.fromisoformat(queued["assign_due_at"]) == datetime(
            2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)

        (case,) = (await routing.get("/api/v1/joint-meeting")).json()
        assert case | {"case_id": queued["case_id"], "application_id": app_id, "items": ["other"],
                       "status": "open", "assign_due_at": "2026-03-04T23:59:59+08:00",
                       "resolution": None, "task_id": None} == case
        lines = {ln["kind"]: ln for ln in await _ledger(routing, app_id)}
        assert lines["task"]["to"] == "civil_affairs"
        assert lines["referral"]["to"] == referred["organisation"]
        assert lines["referral"]["result"] == "referred" and lines["referral"]["late"] is False
        assert (lines["joint_meeting"]["to"], lines["joint_meeting"]["case_id"]) == (
            "joint_meeting", case["case_id"])

        clock.advance(hours=5)
        assign = f"/api/v1/joint-meeting/{case['case_id']}/assign"
        refused = await routing.post(assign, json={"department": "housing", "by": CONVENER})
        assert refused.status_code == 422, refused.text  # no housing department in this region
        assert refused.json()["error"]["fields"][0]["field"] == "department"
        # Decided by a supervisor's account (the convener's office signs in as one).
        staff = routing.as_("ck-01", role=Role.department, department="civil_affairs")
        refused = await staff.post(assign, json={"department": "education"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
        assert "督办" in refused.json()["error"]["message_zh"]
        claimed = await routing.as_(CONVENER).post(assign, json={"department": "education",
                                                                 "by": "ck-01"})
        assert claimed.status_code == 422, claimed.text  # the body names someone else
        assert claimed.json()["error"]["fields"][0]["field"] == "by"
        missing = await routing.post("/api/v1/joint-meeting/nope/assign",
                                     json={"department": "education", "by": CONVENER})
        assert missing.status_code == 404

        body = {"department": "education", "by": CONVENER, "note": "家中有在读学生"}
        done = await routing.post(assign, json=body)
        assert done.status_code == 200, done.text
        resolved = done.json()
        assert resolved | {"status": "resolved", "resolution": "assigned",
                           "resolved_to": "education", "resolved_by": CONVENER} == resolved
        again = await routing.post(assign, json=body)  # a retried request: the same answer
        assert again.status_code == 200 and again.json() == resolved
        for other in ({"department": "hrss", "by": CONVENER},
                      {"department": "education", "by": "deputy_head"}):
            assert (await routing.post(assign, json=other)).status_code == 409
        conflict = await routing.post(f"/api/v1/joint-meeting/{case['case_id']}/refer",
                                      json={"organisation": "慈善总会", "by": CONVENER})
        assert conflict.status_code == 409 and conflict.json()["error"]["message_zh"]

        await heard.until(lambda h: h.of(app_id, "task.assigned.education")
                          and len(h.of(app_id, "application.routed")) == 2)
        await heard.poll(0.5)
        (task,) = heard.of(app_id, "task.assigned.education")  # once, however often asked
        assert task["task_id"] == resolved["task_id"] != routed["tasks"][0]["task_id"]
        assert task["routing_note"].startswith("联席会议指派：教育") and "在读学生" in task["routing_note"]
        # The legal clock runs from acceptance at the window, not from the meeting.
        assert datetime.fromisoformat(task["accepted_at"]) == start
        assert datetime.fromisoformat(task["due_at"]) == POLICY.due_at(Item.other, start)
        assert datetime.fromisoformat(task["assigned_at"]) == clock.now()
        revision = heard.of(app_id, "application.routed")[1]
        assert revision["revision"] == 1 and revision["reason"].startswith("联席会议指派：教育")
        assert [t["task_id"] for t in revision["tasks"]] == [task["task_id"]]

        assert (await routing.get("/api/v1/joint-meeting")).json() == []
        assert [c["case_id"] for c in (await routing.get(
            "/api/v1/joint-meeting", params={"status": "resolved"})).json()] == [case["case_id"]]
        lines = await _ledger(routing, app_id)
        meeting = next(ln for ln in lines if ln["kind"] == "joint_meeting")
        assert (meeting["result"], meeting["decided_by"], meeting["rerouted_to"]) == (
            "assigned", CONVENER, "education")
        new = next(ln for ln in lines if ln["task_id"] == task["task_id"])
        assert (new["from"], new["to"], new["case_id"]) == (
            f"joint_meeting:{CONVENER}", "education", case["case_id"])
    await nc.close()


async def test_the_joint_meeting_refers_a_case(
    backend: Backend, nats_server: NatsServer, rng: random.Random, clock: MovableClock,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(_routing(settings, clock)) as routing:
        heard = await Listener(js, "onedoor.>").start()
        app_id = await _submit(js, rng, ["other"], clock)
        (queued,) = await heard.until(lambda h: h.of(app_id, "joint_meeting.queued"))
        await heard.poll(0.5)
        # Nothing for a department: no task, and no ApplicationRouted (it lists tasks).
        assert heard.of(app_id, "task.assigned") == heard.of(app_id, "application.routed") == []

        refer = f"/api/v1/joint-meeting/{queued['case_id']}/refer"
        body = {"organisation": "红十字会", "by": "center_director", "note": "人道应急救助"}
        done = await routing.post(refer, json=body)
        assert done.status_code == 200, done.text
        assert done.json()["resolution"] == "referred" and done.json()["resolved_to"] == "红十字会"
        assert (await routing.post(refer, json=body)).json() == done.json()
        assign = await routing.post(f"/api/v1/joint-meeting/{queued['case_id']}/assign",
                                    json={"department": "federations", "by": "center_director"})
        assert assign.status_code == 409

        (referred,) = await heard.until(lambda h: h.of(app_id, "items_referred"))
        assert referred | {"items": ["other"], "organisation": "红十字会",
                           "referred_by": "center_director", "note": "人道应急救助"} == referred
        assert f"{app_id}:referred:{queued['case_id']}" in [i for _, i, _ in heard.seen]
        line = next(ln for ln in await _ledger(routing, app_id) if ln["kind"] == "referral")
        assert (line["from"], line["to"]) == ("joint_meeting:center_director", "红十字会")
    await nc.close()


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _returned(task: dict[str, Any], reason: str, by: str, when: datetime,
              suggested: str | None = None) -> TaskReturnedMessage:
    payload = TaskReturned(task_id=task["task_id"], application_id=task["application_id"],
                           department=Department(task["department"]), items=task["items"],
                           reason=reason, suggested_department=suggested, returned_by=by,
                           returned_at=when)
    return envelope(TaskReturnedMessage, payload, f"{task['task_id']}:returned")  # type: ignore[return-value]


async def _return(js: Any, task: dict[str, Any], reason: str, clock: MovableClock,
                  suggested: str | None = None) -> None:
    message = _returned(task, reason, f"{task['department'][:4]}-01", clock.now(), suggested)
    await publish(js, subjects.for_department(subjects.TASK_RETURNED, task["department"]), message)


async def test_a_returned_task_is_rerouted_once_then_goes_to_the_joint_meeting(
    backend: Backend, nats_server: NatsServer, rng: random.Random, clock: MovableClock,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(_routing(settings, clock)) as routing:
        heard = await Listener(js, "onedoor.>").start()
        app_id = await _submit(js, rng, ["medical_aid"], clock)
        (first,) = await heard.until(lambda h: h.of(app_id, "task.assigned.medical"))

        clock.advance(days=1)
        reason = "本地医疗救助由人社部门承办"
        await _return(js, first, reason, clock)
        # No suggestion: the item's first alternate (hrss).
        (second,) = await heard.until(lambda h: h.of(app_id, "task.assigned.hrss"))
        assert second["task_id"] != first["task_id"]
        assert second["routing_note"].startswith(f"退回改派：{reason}")
        # The legal clock does not restart: the same due time, from the same acceptance.
        for field in ("due_at", "accepted_at"):
            assert _when(second[field]) == _when(first[field])
        assert _when(second["assigned_at"]) == _when(first["assigned_at"]) + timedelta(days=1)
        routed = await heard.until(lambda h: len(h.of(app_id, "application.routed")) == 2
                                   and h.of(app_id, "application.routed"))
        assert (routed[1]["revision"], routed[1]["reason"]) == (1, f"退回改派：{reason}")
        assert [t["task_id"] for t in routed[1]["tasks"]] == [second["task_id"]]
        lines = {ln["task_id"]: ln for ln in await _ledger(routing, app_id)}
        old, new = lines[first["task_id"]], lines[second["task_id"]]
        assert (old["returned_by"], old["returned_reason"], old["rerouted_to"]) == (
            "medi-01", reason, "hrss")
        assert old["result"] is None and old["late"] is False
        assert (new["from"], new["to"]) == ("routing:reroute", "hrss")

        # A second return, whatever it suggests: the joint meeting.
        clock.advance(hours=3)
        await _return(js, second, "不属于就业救助", clock, suggested="education")
        (queued,) = await heard.until(lambda h: h.of(app_id, "joint_meeting.queued"))
        assert (queued["items"], queued["reason"]) == (["medical_aid"], "二次退回")
        # The first task returned again (another message): already handled, nothing new.
        await publish(js, subjects.for_department(subjects.TASK_RETURNED, "medical"),
                      envelope(TaskReturnedMessage, _returned(first, "again", "medi-02",
                                                              clock.now()).payload))
        await heard.poll(1.0)
        assert heard.of(app_id, "task.assigned.education") == []
        assert len(heard.of(app_id, "task.assigned")) == 2
        assert len(heard.of(app_id, "joint_meeting.queued")) == 1
        (case,) = (await routing.get("/api/v1/joint-meeting")).json()
        assert (case["case_id"], case["reason"]) == (queued["case_id"], "二次退回")
        lines = {ln["task_id"]: ln for ln in await _ledger(routing, app_id)}
        assert lines[second["task_id"]]["rerouted_to"] == f"joint_meeting:{case['case_id']}"
        assert lines[first["task_id"]]["returned_by"] == "medi-01"
        assert lines[f"joint_meeting:{case['case_id']}"]["from"] == "routing:reroute"
    await nc.close()


async def test_a_return_goes_to_the_suggested_department_or_else_the_meeting(
    backend: Backend, nats_server: NatsServer, rng: random.Random, clock: MovableClock,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(_routing(settings, clock)):
        heard = await Listener(js, "onedoor.>").start()
        suggested = await _submit(js, rng, ["dibao"], clock)
        stuck = await _submit(js, rng, ["education_aid"], clock)
        (civil,) = await heard.until(lambda h: h.of(suggested, "task.assigned.civil_affairs"))
        (education,) = await heard.until(lambda h: h.of(stuck, "task.assigned.education"))

        await _return(js, civil, "学生资助归教育部门", clock, suggested="education")
        await _return(js, education, "申请人非在读学生", clock)
        (moved,) = await heard.until(lambda h: h.of(suggested, "task.assigned.education"))
        assert moved["items"] == ["dibao"] and moved["routing_note"].startswith("退回改派：")
        (queued,) = await heard.until(lambda h: h.of(stuck, "joint_meeting.queued"))
        assert (queued["items"], queued["reason"]) == (["education_aid"], "无其他承办部门")
        assert heard.of(stuck, "application.routed")[1:] == []  # nothing re-routed
    await nc.close()
