"""The region policy's rules across services, on a real nats-server: every service in this
process with one movable clock (days of deadlines pass in seconds, nobody sleeps)."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

from services.accounts.domain import Role
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import InProcessSystem, in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

# A Monday morning in Shanghai, away from holidays.
MONDAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)


async def _submit(system: InProcessSystem, body: dict) -> dict:
    response = await system.intake.post("/api/v1/applications", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _statuses(view: dict) -> dict[str, str]:
    return {i["item"]: i["status"] for i in view["items"]}


async def _decide(system: InProcessSystem, department: str, task_id: str, **body: object) -> dict:
    client = system.departments[department]
    response = await client.post(f"/api/v1/tasks/{task_id}/decision", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_joint_meeting_assigns_an_item_with_no_owner(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "housing", start=MONDAY) as system:
        view = await _submit(system, application(rng, ["other"]))
        await system.until(view["id"], lambda v: _statuses(v) == {"other": "joint_meeting"})

        cases = (await system.routing.get("/api/v1/joint-meeting",
                                          params={"status": "open"})).json()
        (case,) = [c for c in cases if c["application_id"] == view["id"]]
        window = system.routing.as_("window-01", role=Role.window)  # not a supervisor
        refused = await window.post(f"/api/v1/joint-meeting/{case['case_id']}/assign",
                                    json={"department": "housing", "note": "住房困难"})
        assert refused.status_code == 403
        assigned = await system.routing.post(f"/api/v1/joint-meeting/{case['case_id']}/assign",
                                             json={"department": "housing",
                                                   "by": "joint_meeting_office",
                                                   "note": "房屋倒塌，住房救助牵头"})
        assert assigned.status_code == 200, assigned.text

        task = await system.task_of("housing", view["id"])
        assert task["items"] == ["other"]
        await system.departments["housing"].post(f"/api/v1/tasks/{task['id']}/accept",
                                                 json={"by": "hou-01"})
        await _decide(system, "housing", task["id"], outcome="approved", amount="2000",
                      decided_by="hou-02")
        done = await system.until(view["id"], lambda v: v["status"] == "completed")
        assert done["items"][0]["department"] == "housing"
        assert any(h["event"] == "joint_meeting" for h in done["history"])


async def test_a_returned_task_is_re_routed_and_a_second_return_goes_to_the_joint_meeting(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "medical", "hrss", start=MONDAY) as system:
        view = await _submit(system, application(rng, ["medical_aid"]))
        first = await system.task_of("medical", view["id"])
        returned = await system.departments["medical"].post(
            f"/api/v1/tasks/{first['id']}/return",
            json={"by": "med-01", "reason": "本地医疗救助由人社部门办理",
                  "suggested_department": "hrss"})
        assert returned.status_code == 200, returned.text

        second = await system.task_of("hrss", view["id"])
        assert second["id"] != first["id"] and second["items"] == ["medical_aid"]
        # The legal clock does not restart with the re-routing.
        assert second["due_at"] == first["due_at"]
        await system.until(view["id"], lambda v: v["items"][0]["department"] == "hrss")

        again = await system.departments["hrss"].post(
            f"/api/v1/tasks/{second['id']}/return", json={"by": "hr-01", "reason": "也不属于本部门"})
        assert again.status_code == 200, again.text
        final = await system.until(view["id"],
                                   lambda v: _statuses(v) == {"medical_aid": "joint_meeting"})
        events = [h["event"] for h in final["history"]]
        assert events.count("returned") == 2 and "joint_meeting" in events
        ledger = (await system.routing.get(f"/api/v1/applications/{view['id']}/handoffs")).json()
        assert [h["to_department"] for h in ledger][:2] == ["medical", "hrss"]


async def test_dibao_needs_three_people_and_its_approval_gives_students_education_aid(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "civil_affairs", "education",
                          start=MONDAY) as system:
        body = application(rng, ["dibao"])
        body["household"]["members"] = [{"name": "王小明", "relation": "子女", "student": True,
                                         "school": "县第一中学"}]
        body["household"]["size"] = 3
        view = await _submit(system, body)
        task = await system.task_of("civil_affairs", view["id"])
        civil = system.departments["civil_affairs"]
        url = f"/api/v1/tasks/{task['id']}"
        assert (await civil.post(f"{url}/accept", json={"by": "ca-01"})).status_code == 200
        same = await civil.post(f"{url}/review", json={"by": "ca-01", "opinion": "符合条件"})
        assert same.status_code == 409 and same.json()["error"]["message_zh"]
        assert (await civil.post(f"{url}/review",
                                 json={"by": "ca-02", "opinion": "符合条件"})).status_code == 200
        for twice in ("ca-01", "ca-02"):
            refused = await civil.post(f"{url}/decision", json={
                "outcome": "approved", "amount": "600", "decided_by": twice})
            assert refused.status_code == 409, refused.text
        await _decide(system, "civil_affairs", task["id"], outcome="approved", amount="600",
                      decided_by="ca-03")

        done = await system.until(view["id"], lambda v: _statuses(v).get("education_aid")
                                  == "decided" and v["status"] == "completed")
        granted = next(i for i in done["items"] if i["item"] == "education_aid")
        assert granted["decision"]["decided_by"] == "免申即享"
        # Decided in March: the students have it from next month, and the reason says so. The
        # reason goes to the ledger and the window: the student's name masked.
        assert "受益学生：王**" in granted["decision"]["reason"]
        assert "王小明" not in granted["decision"]["reason"]
        assert "自2026年4月起" in granted["decision"]["reason"]


async def test_emergency_aid_small_amount_first_and_paperwork_tracked(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "civil_affairs", start=MONDAY) as system:
        body = application(rng, ["emergency_aid"]) | {"materials": []}  # paperwork comes later
        view = await _submit(system, body)
        assert view["status"] != "awaiting_materials"
        task = await system.task_of("civil_affairs", view["id"])
        assert datetime.fromisoformat(task["due_at"]) - MONDAY == timedelta(hours=24)
        civil = system.departments["civil_affairs"]
        await civil.post(f"/api/v1/tasks/{task['id']}/accept", json={"by": "ca-01"})
        over = await civil.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "6000", "decided_by": "ca-01"})
        assert over.status_code == 422 and "5000" in over.json()["error"]["message_zh"] + str(
            over.json()["error"]["fields"])
        decided = await _decide(system, "civil_affairs", task["id"], outcome="approved",
                                amount="3000", decided_by="ca-01", paperwork_pending=True)
        assert datetime.fromisoformat(decided["paperwork_due_at"]).date() == \
            (MONDAY + timedelta(days=7)).date()
        await system.until(view["id"], lambda v: v["status"] == "completed")

        system.clock.advance(days=8)

        async def overdue() -> list:
            rows = (await system.routing.get("/api/v1/supervision/overdue")).json()
            found = [r for r in rows if r["stage"] == "paperwork"]
            assert found, rows
            return found

        await eventually_async(overdue, timeout=20)
        done = await civil.post(f"/api/v1/tasks/{task['id']}/paperwork", json={"by": "ca-01"})
        assert done.status_code == 200, done.text

        async def cleared() -> bool:
            rows = (await system.routing.get("/api/v1/supervision/overdue")).json()
            assert not [r for r in rows if r["stage"] == "paperwork"], rows
            return True

        await eventually_async(cleared, timeout=20)


async def test_tasks_of_a_post_whose_a_holder_is_away_go_to_b(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "civil_affairs", start=MONDAY) as system:
        civil = system.departments["civil_affairs"]
        before = await _submit(system, application(rng, ["temporary_aid"]))
        assert (await system.task_of("civil_affairs", before["id"]))["assignee"] == "civil_temp_a"
        for holder in ("civil_temp_a", "civil_temp_b"):
            await civil.staff.account(holder, Role.department, "civil_affairs")
        leader = civil.as_("deputy_head", role=Role.supervisor)
        away = await leader.post("/api/v1/posts/temporary_aid/away", json={
            "holder": "civil_temp_a", "approved_by": "deputy_head", "reason": "外出培训"})
        assert away.status_code == 200, away.text
        assert (await system.task_of("civil_affairs", before["id"]))["assignee"] == "civil_temp_b"
        after = await _submit(system, application(rng, ["temporary_aid"]))
        assert (await system.task_of("civil_affairs", after["id"]))["assignee"] == "civil_temp_b"


async def test_a_department_asks_for_materials_through_the_window(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "housing", start=MONDAY) as system:
        view = await _submit(system, application(rng, ["housing_aid"]))
        task = await system.task_of("housing", view["id"])
        housing = system.departments["housing"]
        asked = await housing.post(f"/api/v1/tasks/{task['id']}/materials-request", json={
            "by": "hou-01", "materials": ["income_proof"], "note": "需核实家庭收入"})
        assert asked.status_code == 200, asked.text

        waiting = await system.until(view["id"], lambda v: _statuses(v) == {
            "housing_aid": "awaiting_materials"} and any(
                n["kind"] == "materials" and n["channel"] == "sms" for n in v["notifications"]))
        sms = next(n for n in waiting["notifications"] if n["kind"] == "materials")
        assert "家庭收入证明" in sms["text"]

        await system.intake.post(f"/api/v1/applications/{view['id']}/materials", json={
            "received_by": "window-01", "materials": ["income_proof"]})

        async def resumed() -> dict:
            t = (await housing.get(f"/api/v1/tasks/{task['id']}")).json()
            assert t["status"] == "assigned" and "income_proof" in t["materials"], t
            return t

        await eventually_async(resumed, timeout=20)


async def test_an_overdue_task_is_escalated_to_the_supervisors_in_turn(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "medical", start=MONDAY) as system:
        view = await _submit(system, application(rng, ["medical_aid"]))
        task = await system.task_of("medical", view["id"])
        await system.departments["medical"].post(f"/api/v1/tasks/{task['id']}/accept",
                                                 json={"by": "med-01"})
        due = datetime.fromisoformat(task["due_at"])
        assert due.isoformat().endswith("+08:00") and due.date().isoformat() == "2026-03-16"

        async def acceptance_in_ledger() -> bool:
            # Else moving the clock could find the accept stage open too (its own alerts).
            ledger = (await system.routing.get(
                f"/api/v1/applications/{view['id']}/handoffs")).json()
            assert ledger and all(h["accepted_by"] for h in ledger), ledger
            return True

        await eventually_async(acceptance_in_ledger, timeout=20)

        async def alerts(kind: str, count: int) -> list[dict]:
            async def arrived() -> list[dict]:
                found = [n for n in (await system.view(view["id"]))["notifications"]
                         if n["kind"] == kind]
                assert len(found) >= count, found
                return found
            return await eventually_async(arrived, timeout=30)

        system.clock.set(due - timedelta(hours=20))  # past 3/4 of five working days
        (warning,) = await alerts("warning", 1)
        assert warning["recipient"] == "center_director" and "预警" in warning["text"]

        system.clock.set(due + timedelta(minutes=1))
        (first,) = await alerts("escalation", 1)
        assert first["recipient"] == "center_director" and "第1次" in first["text"]
        overdue = (await system.routing.get("/api/v1/supervision/overdue")).json()
        assert [r["task_id"] for r in overdue if r["stage"] == "decide"] == [task["id"]]

        system.clock.set(due + timedelta(days=8))  # five more working days
        escalations = await alerts("escalation", 2)
        assert {e["recipient"] for e in escalations} == {"center_director", "deputy_head"}
        # Rescans (every 0.2 s here) raise nothing twice.
        system.clock.advance(minutes=5)
        await asyncio.sleep(1.5)
        kinds = [n["kind"] for n in (await system.view(view["id"]))["notifications"]]
        assert (kinds.count("warning"), kinds.count("escalation")) == (1, 2)
