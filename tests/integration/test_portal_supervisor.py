"""The supervisor board (issue 10), on intake's screens with routing in this process (a
MovableClock) and a real nats-server: overdue stages by department, the departments' figures
naming the slowest, extensions and the joint meeting's cases through the page's forms."""

import random
import re

import nats

from contracts import subjects
from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.routing.app import create_app as create_routing
from tests.integration.test_routing import _submitted, publish
from tests.integration.test_supervision import _line, bj
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, csrf_of, sign_in
from tests.support.waiting import eventually_async


def _group(html: str, heading: str) -> str:
    """The part of the board under one department's heading (up to the next heading)."""
    start = html.index(f">{heading} <")
    end = html.find("<h3", start)
    return html[start:end if end > 0 else len(html)]


def _apps(backend: Backend, nats_server: NatsServer, clock: MovableClock) -> tuple:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    routing = create_routing(settings, clock=clock, supervision_interval=3600)
    intake = create_intake(settings)
    intake.state.peers.attach("routing", routing)
    return intake, routing


async def test_the_board_shows_overdue_by_department_the_slowest_and_extensions(
        backend: Backend, nats_server: NatsServer) -> None:
    intake, routing = _apps(backend, nats_server, MovableClock(bj(3, 20)))
    async with running(routing), running(intake), browser(intake) as client:
        mon, due = bj(3, 2, 10), bj(3, 9, 23, 59, 59)
        accepted = {"accepted_by": "jy-01", "accepted_at": mon}
        async with routing.state.runtime.db.writing() as session:
            session.add_all([
                _line("e1", "education", "education_aid", mon, due, decided_at=bj(3, 3, 10),
                      **accepted),
                _line("e3", "education", "education_aid", mon, due, decided_at=bj(3, 12, 10),
                      **accepted),  # 8 working days: late
                _line("e4", "education", "education_aid", mon, due, **accepted),  # overdue
                _line("m1", "medical", "medical_aid", mon, due, decided_at=bj(3, 4, 10),
                      **accepted),  # 2 working days
                _line("h2", "housing", "housing_aid", bj(3, 16, 10), bj(3, 23, 23, 59, 59)),
                _line("d1", "civil_affairs", "dibao", bj(3, 16, 10), bj(4, 13, 23, 59, 59),
                      **accepted),
            ])
        assert await routing.state.watcher.scan_once() > 0  # escalations raised
        await add_person(intake, "sv-1", Role.supervisor)
        await add_person(intake, "desk-1", Role.window)
        await sign_in(client, "sv-1")

        board = await client.get("/ui/supervisor")
        assert board.status_code == 200, board.text
        assert "YD-e4" in _group(board.text, "教育") and "部门办结" in _group(board.text, "教育")
        assert "YD-h2" in _group(board.text, "住建") and "YD-e4" not in _group(board.text, "住建")
        assert "YD-d1" not in board.text and "YD-e1" not in board.text  # in time, decided
        assert 'href="/ui/supervisor?extend=e4#extension"' in board.text  # its decision
        assert "extend=h2" not in board.text  # not accepted yet: nothing to extend
        raised = board.text[board.text.index('id="alerts-h"'):board.text.index('id="extension"')]
        assert "第 1 级督办" in raised and "center_director" in raised and "住房救助" in raised

        figures = await client.get("/ui/supervisor/figures")
        assert figures.status_code == 200, figures.text
        (named,) = re.findall(r'<p class="notice" id="slowest">([^<]*)</p>', figures.text)
        assert named.startswith("办理最慢的部门：教育（90% 用时 8 个工作日")
        assert named.index("教育") < named.index("医保") and "住建" not in named
        assert '<desc id="chart-p90-desc">办理最慢的部门：教育' in figures.text
        assert re.search(r'<rect class="bar slow"[^>]*><title>教育: ', figures.text)
        assert "<svg" in figures.text  # drawn on the server: no chart script
        assert re.findall(r"<script[^>]*>", figures.text) == [
            '<script src="/ui/static/app.js" defer>']
        bad_day = await client.get("/ui/supervisor/figures", params={"since": "2026-13-01"})
        assert bad_day.status_code == 422 and 'aria-invalid="true"' in bad_day.text

        csrf = csrf_of(board.text)
        wrong = await client.post("/ui/supervisor/extensions", data={
            "csrf": csrf, "task_id": "d1", "amount": "0", "unit": "working_days",
            "reason": "家庭经济状况核对"})
        assert wrong.status_code == 422
        assert re.search(r'id="ext-amount"[^>]*aria-invalid="true"', wrong.text)
        assert '<span class="field-error" id="ext-amount-error">不能小于 1</span>' in wrong.text
        assert "家庭经济状况核对" in wrong.text  # what was typed stays
        await client.get("/ui/lang", params={"to": "en"})
        english = await client.post("/ui/supervisor/extensions", data={
            "csrf": csrf, "task_id": "d1", "amount": "2", "unit": "working_days", "reason": " "})
        assert english.status_code == 422
        assert re.search(r'id="ext-reason-error">[A-Za-z ]+</span>', english.text)
        in_english = await client.get("/ui/supervisor/figures")
        assert "Slowest departments: Education (p90 8 working days" in in_english.text
        await client.get("/ui/lang", params={"to": "zh"})

        done = await client.post("/ui/supervisor/extensions", data={
            "csrf": csrf, "task_id": "d1", "amount": "5", "unit": "working_days",
            "reason": "家庭经济状况核对超过15日"})
        assert done.status_code == 303, done.text
        assert done.headers["location"].startswith("/ui/supervisor?extended=d1")
        back = await client.get(done.headers["location"])
        assert "任务 d1 的时限延至 2026-04-20 23:59" in back.text
        no_token = await client.post("/ui/supervisor/extensions", data={"task_id": "d1"})
        assert no_token.status_code == 403

        await client.post("/ui/logout", data={"csrf": csrf})
        await sign_in(client, "desk-1")
        for page in ("/ui/supervisor", "/ui/supervisor/figures", "/ui/supervisor/meeting",
                     "/ui/ops", "/ui/ops/trace"):
            refused = await client.get(page)
            assert refused.status_code == 403 and "无权打开此页" in refused.text, page


async def test_a_joint_meeting_case_is_assigned_through_the_page(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    intake, routing = _apps(backend, nats_server, MovableClock(bj(3, 2)))
    nc = await nats.connect(nats_server.url)
    async with running(routing) as api, running(intake), browser(intake) as client:
        message = _submitted(rng, ["other"], at=bj(3, 2))
        await publish(nc.jetstream(), subjects.APPLICATION_SUBMITTED, message)

        async def queued() -> dict:
            cases = (await api.get("/api/v1/joint-meeting")).json()
            assert len(cases) == 1, cases
            return cases[0]

        case = await eventually_async(queued, timeout=15)
        await add_person(intake, "sv-2", Role.supervisor)
        await sign_in(client, "sv-2")
        page = await client.get("/ui/supervisor/meeting")
        assert page.status_code == 200 and f'id="case-{case["case_id"]}"' in page.text
        assert case["receipt_no"] in page.text and "其他困难（实施主体待定）" in page.text
        action = f"/ui/supervisor/meeting/{case['case_id']}/assign"
        assert f'action="{action}"' in page.text

        none_chosen = await client.post(action, data={"csrf": csrf_of(page.text),
                                                      "department": "", "note": ""})
        assert none_chosen.status_code == 422
        assert re.search(r'id="assign-dept-[^"]+-error">[^<]+</span>', none_chosen.text)

        nowhere = await client.post(f"/ui/supervisor/meeting/{case['case_id']}/refer", data={
            "csrf": csrf_of(page.text), "organisation": " "})
        assert nowhere.status_code == 422
        assert re.search(r'id="refer-org-[^"]+-error">[^<]+</span>', nowhere.text)

        assigned = await client.post(action, data={"csrf": csrf_of(page.text),
                                                   "department": "federations",
                                                   "note": "困难职工帮扶"})
        assert assigned.status_code == 303, assigned.text
        after = await client.get(assigned.headers["location"])
        assert f"已指派：{case['receipt_no']} 交由群团办理" in after.text
        assert f'id="case-{case["case_id"]}"' not in after.text
        (resolved,) = (await api.get("/api/v1/joint-meeting",
                                     params={"status": "resolved"})).json()
        assert (resolved["resolution"], resolved["resolved_to"], resolved["resolved_by"]) == (
            "assigned", "federations", "sv-2")
        again = await client.post(action, data={"csrf": csrf_of(page.text),
                                                "department": "education"})
        assert again.status_code == 409 and "已由 sv-2 处理" in again.text
    await nc.close()
