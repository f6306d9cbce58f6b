"""The applicant's progress check (办理进度查询, issue 10), no account: the receipt number and
the last four characters of the identity number (x or X alike) show every part of the
application, its decision with the reason, and what to do next; a wrong receipt number and wrong
last four get one same answer; nothing names or reaches the applicant; misses from one address
are limited (429); every lookup leaves an audit row; English on the switch."""

import random
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.intake.models import ApplicationItem
from tests.integration.test_audit import audit_rows, one_row
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application, resident_id
from tests.support.nats import NatsServer
from tests.support.screens import browser

REASON = "家庭月人均收入 1200 元，高于当地标准 800 元，{name}名下另有住房"


def _body(rng: random.Random) -> dict[str, Any]:
    body = application(rng, ["dibao", "medical_aid"])
    while not (number := resident_id(rng)).endswith("X"):  # the check digit letter
        pass
    body["applicant"]["id_number"] = number
    return body


async def _refuse_dibao(app: FastAPI, application_id: str, reason: str) -> None:
    """The department's refusal of 低保, as intake records it (its projection's columns)."""
    async with app.state.runtime.db.writing() as session:
        row = await session.scalar(select(ApplicationItem).where(
            ApplicationItem.application_id == application_id, ApplicationItem.item == "dibao"))
        assert row is not None
        row.status, row.outcome, row.reason = "decided", "rejected", reason
        row.department, row.decided_by = "civil_affairs", "mz-01"


def _api(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://intake")


async def test_the_right_last_four_show_the_parts_and_nothing_personal(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as window, browser(app) as page:
        body = _body(rng)
        made = (await window.post("/api/v1/applications", json=body)).json()
        applicant = body["applicant"]
        await _refuse_dibao(app, made["id"], REASON.format(name=applicant["name"]))
        receipt, last4 = made["receipt_no"], applicant["id_number"][-4:]

        form = await page.get("/status")
        assert form.status_code == 200 and 'name="receipt_no"' in form.text
        assert 'name="id_last4"' in form.text and 'class="phone"' in form.text
        shown = await page.post("/status", data={"receipt_no": receipt.lower(),
                                                 "id_last4": last4.lower()})
        assert shown.status_code == 200, shown.text
        text = shown.text
        for expected in (receipt, "最低生活保障（低保）", "医疗救助", "不予批准", "申请复核",
                         "测试镇社会救助服务窗口", "名下另有住房"):
            assert expected in text, expected
        national = applicant["phone"].removeprefix("+86")
        for secret in (applicant["id_number"], applicant["id_number"][:6], national[-8:],
                       applicant["name"], applicant["address"], "1200", "800"):
            assert secret not in text, secret

        api = await window.anonymous().post("/api/v1/status", json={
            "receipt_no": receipt, "id_last4": last4.lower()})
        assert api.status_code == 200, api.text
        found = api.json()
        assert found["next_steps"] == ["ask_review", "wait"]
        assert [i["item"] for i in found["items"]] == ["dibao", "medical_aid"]
        assert found["items"][0]["decision"]["reason"] == "家庭月人均收入 * 元，高于当地标准 * 元，" \
            f"{applicant['name'][0]}{'*' * (len(applicant['name']) - 1)}名下另有住房"
        rows = await audit_rows(app, route="POST /api/v1/status", status=200)
        assert len(rows) == 2  # the page's lookup, then the API's
        assert all(r["action"] == "read" and r["application_id"] == made["id"]
                   and r["username"] is None for r in rows)
        assert rows[0]["client"] == "10.9.8.7"  # the applicant's address, through the page

        switched = await page.get("/ui/lang", params={"to": "en", "next": "/status"})
        assert switched.status_code == 303 and switched.headers["location"] == "/status"
        english = await page.get("/status")
        assert "Check an application&#39;s progress" in english.text and 'lang="en"' in english.text
        shown = await page.post("/status", data={"receipt_no": receipt, "id_last4": last4})
        assert shown.status_code == 200
        for expected in ("Minimum living allowance", "Medical aid", "Refused",
                         "ask for a review", "Civil affairs"):
            assert expected in shown.text, expected


async def test_a_wrong_receipt_or_wrong_digits_get_one_answer(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as window, browser(app) as page, _api(app, "10.2.2.2") as api:
        body = _body(rng)
        made = (await window.post("/api/v1/applications", json=body)).json()
        receipt, last4 = made["receipt_no"], body["applicant"]["id_number"][-4:]
        other = receipt[:-1] + ("2" if receipt[-1] != "2" else "3")
        answers = [await api.post("/api/v1/status", json={"receipt_no": r, "id_last4": d})
                   for r, d in ((receipt, "123X" if last4 != "123X" else "456X"),
                                (other, last4), ("not-a-receipt", last4))]
        assert {a.status_code for a in answers} == {404}
        assert len({a.text for a in answers}) == 1
        assert "applicant" not in answers[0].text

        pages = [await page.post("/status", data={"receipt_no": r, "id_last4": d})
                 for r, d in ((receipt, "0000"), (other, last4))]
        assert {p.status_code for p in pages} == {404}
        assert all("未找到与该受理编号和身份证号码后四位相符的申请" in p.text for p in pages)
        bad = await page.post("/status", data={"receipt_no": receipt, "id_last4": "12"})
        assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
        assert "身份证号码最后四位" in bad.text
        rows = await audit_rows(app, route="POST /api/v1/status", status=404)
        assert len(rows) == 5 and not any(r["application_id"] for r in rows)


async def test_too_many_misses_from_one_address_are_refused(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as window, browser(app, "10.3.3.3") as page, \
            _api(app, "10.4.4.4") as elsewhere:
        body = _body(rng)
        made = (await window.post("/api/v1/applications", json=body)).json()
        right = {"receipt_no": made["receipt_no"], "id_last4": body["applicant"]["id_number"][-4:]}
        for _ in range(9):
            assert (await page.post("/status", data=right | {"id_last4": "0000"})).status_code \
                == 404
        locked = await page.post("/status", data=right | {"id_last4": "0000"})
        assert locked.status_code == 429 and "查询已暂停" in locked.text and "分钟后再试" in locked.text
        refused = await page.post("/status", data=right)  # even the right digits, for now
        assert refused.status_code == 429
        one_row(await audit_rows(app, action="lockout"), route="POST /api/v1/status",
                client="10.3.3.3", status=429)
        assert (await elsewhere.post("/api/v1/status", json=right)).status_code == 200
