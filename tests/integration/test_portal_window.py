"""The window desk's screens (issue 10) on a real nats-server, with intake, routing, notify and
a department in this process sharing one movable clock: the worklist searched and its late
work marked, the application page with every part and the history kept live by server-sent
events, the supplement and hand-over forms, and the window inbox."""

import asyncio
import contextlib
import html
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts import Department
from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.notify.app import create_app as create_notify
from services.portal.pages import application as application_page
from services.portal.pages import window as window_page
from services.routing.app import create_app as create_routing
from tests.integration.test_audit import audit_rows
from tests.support.apps import running
from tests.support.auth import StaffClient
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, csrf_of, sign_in
from tests.support.streaming import StreamingASGI
from tests.support.waiting import eventually_async

MONDAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # a Monday morning in Shanghai, no holiday near


@dataclass
class Desk:
    clock: MovableClock
    app: FastAPI  # intake's, serving the screens
    intake: StaffClient
    housing: StaffClient

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        created = await self.intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        return created.json()

    async def until(self, app_id: str, check: Any) -> dict[str, Any]:
        async def ready() -> dict[str, Any]:
            view = (await self.intake.get(f"/api/v1/applications/{app_id}")).json()
            assert check(view), view
            return view

        return await eventually_async(ready, timeout=20)


@contextlib.asynccontextmanager
async def desk(backend: Backend, nats_server: NatsServer) -> AsyncIterator[Desk]:
    clock = MovableClock(MONDAY)
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    intake = create_intake(settings, clock)
    others = {"routing": create_routing(settings, clock), "notify": create_notify(settings, clock),
              "dept-housing": create_department(settings, Department.housing, clock)}
    async with contextlib.AsyncExitStack() as stack:
        api = await stack.enter_async_context(running(intake))
        clients = {name: await stack.enter_async_context(running(app))
                   for name, app in others.items()}
        for name, app in others.items():
            intake.state.peers.attach(name, app)
        await add_person(intake, "desk-1", Role.window)
        yield Desk(clock, intake, api, clients["dept-housing"])


@contextlib.asynccontextmanager
async def signed_in(app: FastAPI, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as client:
        await sign_in(client, username)
        yield client


def _assigned(view: dict[str, Any]) -> bool:
    return all(i["status"] == "assigned" and i["due_at"] for i in view["items"])


async def test_worklist_searches_marks_overdue_work_and_refuses_departments(
        backend: Backend, nats_server: NatsServer, rng: random.Random,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with desk(backend, nats_server) as system:
        first = await system.submit(application(rng, ["housing_aid"], received_by="desk-1"))
        second = await system.submit(application(rng, ["housing_aid"], received_by="desk-1"))
        async with signed_in(system.app, "desk-1") as client:
            page = await client.get("/ui/window")
            assert page.status_code == 200
            assert first["receipt_no"] in page.text and second["receipt_no"] in page.text
            assert 'href="/ui/window/new"' in page.text
            assert f'href="/ui/applications/{first["id"]}"' in page.text

            by_receipt = await client.get("/ui/window", params={
                "q": first["receipt_no"].lower(), "field": "receipt_no"})
            assert first["receipt_no"] in by_receipt.text
            assert second["receipt_no"] not in by_receipt.text
            by_id = await client.get("/ui/window", params={  # the field guessed from the text
                "q": second["applicant"]["id_number"]})
            assert second["receipt_no"] in by_id.text and first["receipt_no"] not in by_id.text
            by_name = await client.get("/ui/window", params={
                "q": first["applicant"]["name"], "field": "name", "status": "in_progress",
                "item": "housing_aid", "department": "housing"})
            assert by_name.status_code == 200
            monkeypatch.setattr(window_page, "PAGE_SIZE", 1)
            one = await client.get("/ui/window")
            assert one.text.count('href="/ui/applications/') == 1 and 'rel="prev"' not in one.text
            following = re.search(r'href="([^"]+)" rel="next"', one.text)
            assert following and "offset=1" in following.group(1)
            other = await client.get(html.unescape(following.group(1)))
            assert other.text.count('href="/ui/applications/') == 1 and 'rel="prev"' in other.text
            monkeypatch.undo()
            filtered = await client.get("/ui/window", params={"status": "completed"})
            assert first["receipt_no"] not in filtered.text and "没有符合条件的申请" in filtered.text

            await system.until(first["id"], _assigned)
            await system.until(second["id"], _assigned)
            calm = await client.get("/ui/window")
            assert "已超期" not in calm.text and "办理中" in calm.text  # status by its name
            system.clock.advance(days=40)  # past 15 working days: both are late now
            late = await client.get("/ui/window")
            assert late.text.count('class="overdue"') == 2 and "已超期" in late.text
            english = await client.get("/ui/lang", params={"to": "en", "next": "/ui/window"})
            assert english.status_code == 303
            assert "Overdue" in (await client.get("/ui/window")).text

        await add_person(system.app, "sup-1", Role.supervisor)
        async with signed_in(system.app, "sup-1") as supervisor:
            board = await supervisor.get("/ui/window")  # every township's, with its name
            assert first["receipt_no"] in board.text and "测试镇" in board.text
            assert 'href="/ui/window/new"' not in board.text  # only a window registers
        await add_person(system.app, "hou-desk", Role.department, "housing")
        async with signed_in(system.app, "hou-desk") as department:
            assert (await department.get("/ui/window")).status_code == 403
            assert (await department.get(f"/ui/applications/{first['id']}")).status_code == 403


async def _next_event(lines: AsyncIterator[str], wanted: str) -> None:
    async for line in lines:
        if line.startswith(wanted):
            return
    raise AssertionError(f"the stream ended before {wanted!r}")


async def _decided_live(system: Desk, page: httpx.AsyncClient, live: httpx.AsyncClient,
                        app_id: str) -> str:
    """With the page's event stream open, the department accepts and decides: the parts
    section fetched after a ``changed`` event shows the decision."""
    async with live.stream("GET", f"/ui/applications/{app_id}/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        await asyncio.wait_for(_next_event(lines, ": keep-alive"), timeout=10)

        task = (await system.housing.get("/api/v1/tasks")).json()["items"][0]
        url = f"/api/v1/tasks/{task['id']}"
        accepted = await system.housing.post(f"{url}/accept", json={"by": "hou-01"})
        assert accepted.status_code == 200, accepted.text
        decided = await system.housing.post(f"{url}/decision", json={
            "outcome": "approved", "amount": "2000", "decided_by": "hou-02"})
        assert decided.status_code == 200, decided.text

        async def decision_shown() -> str:
            while True:
                await _next_event(lines, "event: changed")
                part = await page.get(f"/ui/applications/{app_id}", params={"part": "parts"})
                if "2,000.00" in part.text:
                    return part.text

        return await asyncio.wait_for(decision_shown(), timeout=30)


async def test_application_page_shows_each_part_and_updates_live(
        backend: Backend, nats_server: NatsServer, rng: random.Random,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application_page, "POLL_SECONDS", 0.2)
    monkeypatch.setattr(application_page, "KEEP_ALIVE_SECONDS", 0.6)
    async with desk(backend, nats_server) as system:
        view = await system.submit(application(rng, ["housing_aid"], received_by="desk-1"))
        app_id = view["id"]
        await system.until(app_id, _assigned)
        async with signed_in(system.app, "desk-1") as client:
            page = await client.get(f"/ui/applications/{app_id}")
            assert page.status_code == 200
            for shown in ("住房救助", "住建", "已转办", view["receipt_no"], "窗口登记", "转办",
                          f"/ui/applications/{app_id}/receipt",
                          "/ui/static/live.js",
                          'aria-live="polite"'):
                assert shown in page.text, shown
            # nothing missing: no one-time notice to print
            assert f"/ui/applications/{app_id}/notice" not in page.text
            by_receipt = await client.get(f"/ui/applications/{view['receipt_no']}")
            assert by_receipt.status_code == 200 and app_id in by_receipt.text
            assert (await client.get("/ui/applications/0123456789abcdef")).status_code == 404

            transport = StreamingASGI(system.app)
            async with httpx.AsyncClient(transport=transport, base_url="https://intake",
                                         cookies=client.cookies) as live:
                part = await _decided_live(system, client, live, app_id)
            assert transport.finished == [True]  # the stream stopped with the client
            assert "<html" not in part and "同意" in part and "hou-01" in part
            assert 'data-event="decided"' in part
            whole = await client.get(f"/ui/applications/{app_id}")
            assert "hou-02" in whole.text and "已办结" in whole.text

            # What the stream asks every few seconds reads no personal data out: no audit row.
            bearer = {"Authorization": f"Bearer {client.cookies['onedoor_session']}"}
            rows = len(await audit_rows(system.app))
            for _ in range(3):
                asked = await client.get(f"/api/v1/applications/{app_id}/version", headers=bearer)
                assert asked.status_code == 200 and set(asked.json()) == {"id", "status", "version"}
            assert len(await audit_rows(system.app)) == rows

        await add_person(system.app, "sup-1", Role.supervisor)
        async with signed_in(system.app, "sup-1") as supervisor:
            seen = await supervisor.get(f"/ui/applications/{app_id}")
            assert seen.status_code == 200 and "流转台账" in seen.text  # routing's ledger
            assert "移交同事" not in seen.text  # forms are the window's


async def test_supplement_and_hand_over_forms_and_the_inbox(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    async with desk(backend, nats_server) as system:
        body = application(rng, ["housing_aid"], received_by="desk-1")
        body["materials"] = ["id_card", "household_register", "application_form"]
        view = await system.submit(body)
        app_id = view["id"]
        assert view["status"] == "awaiting_materials"
        await add_person(system.app, "desk-2", Role.window)
        async with signed_in(system.app, "desk-1") as client:
            page = await client.get(f"/ui/applications/{app_id}")
            assert "待补齐材料" in page.text and 'value="housing_proof"' in page.text
            csrf = csrf_of(page.text)
            url = f"/ui/applications/{app_id}"

            unknown = await client.post(f"{url}/materials", data={"csrf": csrf,
                                                                   "other": "no_such_paper"})
            assert unknown.status_code == 422
            assert 'id="materials-error"' in unknown.text and "no_such_paper" in unknown.text
            assert 'value="no_such_paper"' in unknown.text  # what was typed is kept
            empty = await client.post(f"{url}/materials", data={"csrf": csrf})
            assert empty.status_code == 422 and 'id="materials-error"' in empty.text
            forged = await client.post(f"{url}/materials", data={"csrf": "0" * 32,
                                                                  "materials": "housing_proof"})
            assert forged.status_code == 403

            brought = await client.post(f"{url}/materials", data={
                "csrf": csrf, "materials": "housing_proof"})
            assert brought.status_code == 303 and brought.headers["location"] == (
                f"{url}?done=materials")
            after = await client.get(brought.headers["location"])
            assert "已登记补充材料" in after.text and "材料齐全" in after.text

            nobody = await client.post(f"{url}/handover", data={
                "csrf": csrf, "to_staff": "nobody-here", "reason": "调岗"})
            assert nobody.status_code == 422 and 'id="to_staff-error"' in nobody.text
            assert "接收人须为本乡镇在用的窗口账号" in nobody.text
            no_reason = await client.post(f"{url}/handover", data={
                "csrf": csrf, "to_staff": "desk-2", "reason": ""})
            assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
            moved = await client.post(f"{url}/handover", data={
                "csrf": csrf, "to_staff": "desk-2", "reason": "调岗，移交同事跟进"})
            assert moved.status_code == 303
            now = await client.get(moved.headers["location"])
            assert "已移交" in now.text and "只有首问责任人（desk-2）" in now.text

            async def materials_notice() -> str:
                inbox = await client.get("/ui/inbox")
                assert "已一次性告知补齐材料" in inbox.text, inbox.text
                return inbox.text

            mine = await eventually_async(materials_notice, timeout=20)
            assert f'href="/ui/applications/{app_id}"' in mine
            assert "移交给您" not in mine  # the hand-over notice is desk-2's

        async with signed_in(system.app, "desk-2") as colleague:
            async def handover_notice() -> str:
                inbox = await colleague.get("/ui/inbox")
                assert "移交给您" in inbox.text, inbox.text
                return inbox.text

            theirs = await eventually_async(handover_notice, timeout=20)
            assert "已一次性告知补齐材料" not in theirs
        await add_person(system.app, "sup-2", Role.supervisor)
        async with signed_in(system.app, "sup-2") as supervisor:
            assert (await supervisor.get("/ui/inbox")).status_code == 403
