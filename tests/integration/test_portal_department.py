"""The department workbench (部门工作台, issue 10) over intake's screens, with civil affairs'
service in-process on a real nats-server: the tasks by time left (overdue first, marked),
accepting, the review (初审) and the decision (with its amount: 低保 pays) by three officers
through the pages — the API then shows the decision —, a refusal without its reason shown by
its field and changing nothing, another department's workbench refused, the A/B posts page."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.accounts.domain import Role
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.portal.peers import PeerError
from tests.integration.test_departments_rules import CIVIL, arrive, assigned, broker, settings_for
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, csrf_of, sign_in

BENCH = "/ui/department/civil_affairs"


async def test_officers_accept_review_and_decide_a_task_through_the_pages(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = settings_for(backend, nats_server)
    intake, civil = create_intake(settings), create_department(settings, CIVIL)
    async with running(intake), running(civil) as api, broker(nats_server) as js, \
            browser(intake) as a, browser(intake) as b, browser(intake) as c:
        intake.state.peers.attach("dept-civil_affairs", civil)
        for name in ("civil-a", "civil-b", "civil-c"):
            await add_person(intake, name, Role.department, "civil_affairs")
        now = datetime.now(UTC)  # due 20 days after assignment: overdue, in 2 days, in 10
        late, soon, later = (assigned(rng, ["dibao"], at=now - timedelta(days=days))
                             for days in (21, 18, 10))
        for message in (later, late, soon):
            await arrive(js, api, message)
        ids = [m.payload.task_id for m in (late, soon, later)]

        await sign_in(a, "civil-a")
        home = await a.get("/ui/department")
        assert home.status_code == 303 and home.headers["location"] == BENCH
        listed = await a.get(BENCH)
        assert listed.status_code == 200
        at = [listed.text.index(f'data-task="{i}"') for i in ids]
        assert at == sorted(at)  # the least time left first
        assert f'<tr class="overdue" data-task="{ids[0]}">' in listed.text
        assert f'<tr class="" data-task="{ids[1]}">' in listed.text
        assert "已超期" in listed.text and "超期 1 天" in listed.text  # said, not only coloured
        decided_list = await a.get(BENCH, params={"status": "decided"})
        assert ids[0] not in decided_list.text

        url = f"{BENCH}/tasks/{ids[1]}"
        shown = await a.get(url)
        assert f'action="{url}/accept"' in shown.text and f"{url}/decision" not in shown.text
        assert "收到任务" in shown.text  # its history
        accepted = await a.post(f"{url}/accept", data={"csrf": csrf_of(shown.text)})
        assert accepted.status_code == 303 and accepted.headers["location"] == f"{url}?done=accept"
        after = await a.get(accepted.headers["location"])
        assert "已受理。" in after.text and f"{url}/accept" not in after.text
        assert "初审须由受理人以外的人员进行" in after.text  # not a form for the acceptor
        assert (await a.post(f"{url}/review", data={"csrf": "0" * 32,
                                                   "opinion": "x"})).status_code == 403

        await sign_in(b, "civil-b")
        before_review = await b.get(url)
        assert f'action="{url}/review"' in before_review.text
        assert f'action="{url}/decision"' not in before_review.text  # reviewed first
        reviewed = await b.post(f"{url}/review", data={"csrf": csrf_of(before_review.text),
                                                       "opinion": "收入核实无误，同意"})
        assert reviewed.status_code == 303

        await sign_in(c, "civil-c")
        page = await c.get(url)
        assert f'action="{url}/decision"' in page.text and 'name="amount"' in page.text
        csrf = csrf_of(page.text)
        no_reason = await c.post(f"{url}/decision", data={"csrf": csrf, "outcome": "rejected"})
        assert no_reason.status_code == 422
        assert 'id="decision-reason-error">不予批准必须书面说明理由' in no_reason.text
        assert 'aria-invalid="true" aria-describedby="decision-reason-error"' in no_reason.text
        unchanged = (await api.get(f"/api/v1/tasks/{ids[1]}")).json()
        assert (unchanged["status"], unchanged["outcome"]) == ("accepted", None)
        no_amount = await c.post(f"{url}/decision", data={"csrf": csrf, "outcome": "approved"})
        assert no_amount.status_code == 422 and 'id="decision-amount-error">' in no_amount.text
        await c.get("/ui/lang", params={"to": "en"})
        english = await c.post(f"{url}/decision", data={"csrf": csrf, "outcome": "rejected"})
        assert "a rejection must give its reason in writing" in english.text

        decided = await c.post(f"{url}/decision", data={
            "csrf": csrf, "outcome": "approved", "amount": "1200.50", "reason": ""})
        assert decided.status_code == 303 and decided.headers["location"] == f"{url}?done=decision"
        task = (await api.get(f"/api/v1/tasks/{ids[1]}")).json()
        assert (task["status"], task["outcome"], task["decided_by"]) == (
            "decided", "approved", "civil-c")
        assert Decimal(str(task["amount"])) == Decimal("1200.50")
        final = await c.get(decided.headers["location"])
        assert "1,200.50" in final.text and f'action="{url}/decision"' not in final.text
        assert "The decision is recorded" in final.text


async def test_other_departments_refused_supervisors_read_and_the_posts_page(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = settings_for(backend, nats_server)
    intake, civil = create_intake(settings), create_department(settings, CIVIL)
    async with running(intake), running(civil) as api, broker(nats_server) as js, \
            browser(intake) as edu, browser(intake) as boss, browser(intake) as holder:
        intake.state.peers.attach("dept-civil_affairs", civil)
        await add_person(intake, "edu-1", Role.department, "education")
        await add_person(intake, "sup-1", Role.supervisor)
        for name in ("civil_dibao_a", "civil_dibao_b"):
            await add_person(intake, name, Role.department, "civil_affairs")
        task = await arrive(js, api, assigned(rng, ["dibao"]))

        await sign_in(edu, "edu-1")
        assert (await edu.get("/ui/department")).headers["location"] == "/ui/department/education"
        other = await edu.get(BENCH)
        assert other.status_code == 403 and "您只能打开本部门的工作台" in other.text
        assert (await edu.get(f"{BENCH}/tasks/{task['id']}")).status_code == 403
        with pytest.raises(PeerError) as refused:  # the API refuses the account too
            await intake.state.peers.call("dept-civil_affairs", "GET", "/api/v1/tasks",
                                          token=edu.cookies["onedoor_session"])
        assert refused.value.status == 403

        await sign_in(boss, "sup-1")
        choice = await boss.get("/ui/department")
        assert choice.status_code == 200 and f'href="{BENCH}"' in choice.text
        listed = await boss.get(BENCH)
        assert listed.status_code == 200 and task["id"] in listed.text
        read = await boss.get(f"{BENCH}/tasks/{task['id']}")
        assert read.status_code == 200 and "/accept" not in read.text and "只读" in read.text

        posts = await boss.get(f"{BENCH}/posts")
        assert posts.status_code == 200 and "城乡低保" in posts.text
        assert "civil_dibao_a" in posts.text and 'action="/ui/department/civil_affairs/posts/' \
            'dibao/away"' in posts.text
        csrf = csrf_of(posts.text)
        blank = await boss.post(f"{BENCH}/posts/dibao/away",
                                data={"csrf": csrf, "holder": "civil_dibao_a", "reason": ""})
        assert blank.status_code == 422 and 'id="away-reason-error"' in blank.text
        away = await boss.post(f"{BENCH}/posts/dibao/away",
                               data={"csrf": csrf, "holder": "civil_dibao_a", "reason": "病假"})
        assert away.status_code == 303 and away.headers["location"] == f"{BENCH}/posts?done=away"
        dibao = {p["post"]: p for p in (await api.get("/api/v1/posts")).json()}["dibao"]
        assert dibao["current"] == "civil_dibao_b" and dibao["away"][0]["approved_by"] == "sup-1"

        await sign_in(holder, "civil_dibao_a")
        mine = await holder.get(f"{BENCH}/posts")
        assert mine.status_code == 200 and "/away" not in mine.text  # supervisors approve
        assert f'action="{BENCH}/posts/dibao/back"' in mine.text
        back = await holder.post(f"{BENCH}/posts/dibao/back",
                                 data={"csrf": csrf_of(mine.text), "holder": "civil_dibao_a"})
        assert back.status_code == 303
        dibao = {p["post"]: p for p in (await api.get("/api/v1/posts")).json()}["dibao"]
        assert dibao["current"] == "civil_dibao_a" and dibao["away"] == []
