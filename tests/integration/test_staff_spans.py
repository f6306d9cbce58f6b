"""Every staff action of every service names the application it acted on (and the task and
department where it has them) on its span, so ``onedoor trace`` shows it in the timeline —
the 初审 review step included."""

import random
from datetime import UTC, datetime
from typing import Any

import httpx

from services.accounts.domain import Role
from services.common.span_files import read_spans
from services.launcher import trace
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import InProcessSystem, in_process
from tests.support.nats import NatsServer

MONDAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, away from holidays
APP, TASK, DEPT = "onedoor.application_id", "onedoor.task_id", "onedoor.department"


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def submit(system: InProcessSystem, rng: random.Random, items: list[str],
                 **overrides: Any) -> dict[str, Any]:
    return await ok(await system.intake.post("/api/v1/applications",
                                             json=application(rng, items, **overrides)))


async def test_every_staff_action_carries_its_application(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """accept, 初审, decide, return, materials request and supplement, paperwork, a post's
    hand-over, the window's hand-over, the joint meeting's assignment, an extension."""
    done: list[tuple[str, str, str | None, str | None]] = []  # span name, app, task, department
    async with in_process(backend, nats_server, "civil_affairs", "housing",
                          start=MONDAY) as system:
        civil, housing = system.departments["civil_affairs"], system.departments["housing"]

        dibao = await submit(system, rng, ["dibao"])
        task = await system.task_of("civil_affairs", dibao["id"])
        url = f"/api/v1/tasks/{task['id']}"
        await ok(await civil.post(f"{url}/accept", json={"by": "ca-01"}))
        await ok(await system.routing.post("/api/v1/supervision/extensions", json={
            "task_id": task["id"], "extend_by": {"working_days": 1},
            "approved_by": "center_director", "reason": "家庭经济状况核对"}))
        await ok(await civil.post(f"{url}/review", json={"by": "ca-02", "opinion": "符合条件"}))
        await ok(await civil.post(f"{url}/decision", json={
            "outcome": "approved", "amount": "600", "decided_by": "ca-03"}))
        for name in ("accept", "review", "decision"):
            done.append((f"POST /api/v1/tasks/{{task_id}}/{name}", dibao["id"], task["id"],
                         "civil_affairs"))
        done.append(("POST /api/v1/supervision/extensions", dibao["id"], task["id"],
                     "civil_affairs"))

        emergency = await submit(system, rng, ["emergency_aid"], materials=[])
        task = await system.task_of("civil_affairs", emergency["id"])
        url = f"/api/v1/tasks/{task['id']}"
        await ok(await civil.post(f"{url}/accept", json={"by": "ca-01"}))
        await ok(await civil.post(f"{url}/decision", json={
            "outcome": "approved", "amount": "3000", "decided_by": "ca-01",
            "paperwork_pending": True}))
        await ok(await civil.post(f"{url}/paperwork", json={"by": "ca-01"}))
        done.append(("POST /api/v1/tasks/{task_id}/paperwork", emergency["id"], task["id"],
                     "civil_affairs"))

        house = await submit(system, rng, ["housing_aid"], received_by="window-01")
        task = await system.task_of("housing", house["id"])
        url = f"/api/v1/tasks/{task['id']}"
        await ok(await housing.post(f"{url}/materials-request", json={
            "by": "hou-01", "materials": ["income_proof"], "note": "需核实家庭收入"}))
        await system.until(house["id"], lambda v: v["items"][0]["status"] == "awaiting_materials")
        await ok(await system.intake.post(f"/api/v1/applications/{house['id']}/materials", json={
            "received_by": "window-01", "materials": ["income_proof"]}))
        await system.intake.staff.account("window-02", Role.window)  # the colleague handed to
        await ok(await system.intake.post(f"/api/v1/applications/{house['id']}/handover", json={
            "from_staff": "window-01", "to_staff": "window-02", "reason": "调岗"}))
        await ok(await housing.post(f"{url}/return", json={
            "by": "hou-01", "reason": "属于临时救助，应由民政办理",
            "suggested_department": "civil_affairs"}))
        done += [
            ("POST /api/v1/tasks/{task_id}/materials-request", house["id"], task["id"], "housing"),
            ("POST /api/v1/tasks/{task_id}/return", house["id"], task["id"], "housing"),
            ("POST /api/v1/applications/{application_id}/materials", house["id"], None, None),
            ("POST /api/v1/applications/{application_id}/handover", house["id"], None, None)]

        other = await submit(system, rng, ["other"])
        await system.until(other["id"], lambda v: v["items"][0]["status"] == "joint_meeting")
        cases = (await system.routing.get("/api/v1/joint-meeting")).json()
        [case] = [c for c in cases if c["application_id"] == other["id"]]
        assigned = await ok(await system.routing.post(
            f"/api/v1/joint-meeting/{case['case_id']}/assign",
            json={"department": "housing", "by": "joint_meeting_office", "note": "住房困难"}))
        done.append(("POST /api/v1/joint-meeting/{case_id}/assign", other["id"],
                     assigned["task_id"], "housing"))

        temporary = await submit(system, rng, ["temporary_aid"])
        task = await system.task_of("civil_affairs", temporary["id"])
        assert task["assignee"] == "civil_temp_a"
        for holder in ("civil_temp_a", "civil_temp_b"):
            await civil.staff.account(holder, Role.department, "civil_affairs")
        leader = civil.as_("deputy_head", role=Role.supervisor)
        await ok(await leader.post("/api/v1/posts/temporary_aid/away", json={
            "holder": "civil_temp_a", "approved_by": "deputy_head", "reason": "外出培训"}))
        reassigned = (temporary["id"], task["id"], "civil_affairs")
    # Out of the system: every service has shut down, its last spans written.

    spans = list(read_spans(backend.data_dir / "traces"))
    for name, app_id, task_id, department in done:
        requests = [s["attributes"] for s in spans if s["name"] == name
                    and s["attributes"].get("http.response.status_code") in (200, 201)]
        assert all(APP in attributes for attributes in requests), (name, requests)
        expected = {APP: app_id, TASK: task_id, DEPT: department}
        assert any({k: r.get(k) for k in expected} == expected for r in requests), (
            name, expected, requests)

    [away] = [s for s in spans if s["name"] == "POST /api/v1/posts/{post}/away"]
    assert away["attributes"].get(DEPT) == "civil_affairs"
    [moved] = [s for s in spans if s["name"] == "task reassign"]
    assert (moved["attributes"][APP], moved["attributes"][TASK],
            moved["attributes"][DEPT]) == reassigned
    assert moved["links"] == [{"trace_id": away["trace_id"], "span_id": away["span_id"]}]

    # The timeline shows the 初审 step, and the post's hand-over of the task.
    main, mine = trace.application_spans(spans, dibao["id"])
    shown = "\n".join(trace.timeline(main, mine))
    assert "POST /api/v1/tasks/{task_id}/review" in shown and "task review" in shown
    assert "POST /api/v1/supervision/extensions" in shown
    main, mine = trace.application_spans(spans, temporary["id"])
    assert "task reassign" in "\n".join(trace.timeline(main, mine))
    # Service names as `onedoor up` shows them.
    assert {s["service"] for s in spans} == {"intake", "routing", "notify", "dept-civil_affairs",
                                             "dept-housing"}
