"""The window's intake form (issue 10): it offers the region's items and materials, registers
an application through intake's API even with materials missing, and leads to the printable
receipt and one-time notice (pages and PDFs); the identity number and phone are checked by
the API's own validators, and a refused field comes back next to itself with nothing created."""

import re
from typing import Any

import httpx

from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, csrf_of, sign_in

_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def _form(csrf: str, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf": csrf, "name": "王秀英", "id_number": "341321199904120020",
        "phone": "13912345678", "village": "东风村", "address": "东风村三组12号",
        "size": "3", "residence": "rural", "income": "320.00", "channel": "window",
        "member-0-name": "王小明", "member-0-relation": "子女", "member-0-student": "1",
        "member-0-school": "县第一中学", "description": "丈夫去世，本人患慢性病。",
        "items": ["dibao", "medical_aid"], "materials": ["application_form"]}
    return form | changes


async def _api(client: httpx.AsyncClient, path: str) -> Any:
    token = client.cookies["onedoor_session"]
    answer = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_register_with_missing_materials_then_receipt_notice_and_pdfs(
        backend: Backend, nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app), browser(app) as client:
        await add_person(app, "desk-form", Role.window)
        await sign_in(client, "desk-form")

        page = await client.get("/ui/window/new")
        assert page.status_code == 200 and "窗口受理登记" in page.text
        for text in ('value="dibao"', "最低生活保障（低保）", 'value="medical_aid"', "医疗救助",
                     'value="income_proof"', "家庭收入证明", 'id="catalogue"'):
            assert text in page.text, text
        assert 'value="id_card"' not in page.text  # verified by the system: never asked for
        for attributes in _SCRIPT.findall(page.text):  # no inline script: CSP script-src 'self'
            assert "src=" in attributes or 'type="application/json"' in attributes, attributes

        first = _form(csrf_of(page.text), key="a" * 32)
        sent = await client.post("/ui/window/new", data=first)
        assert sent.status_code == 303, sent.text
        again = await client.post("/ui/window/new", data=first)  # a double click
        assert again.headers["location"] == sent.headers["location"]
        changed = await client.post("/ui/window/new", data=first | {"items": ["dibao"]})
        assert changed.status_code == 422 and "这张表已登记过一次" in changed.text
        assert (await _api(client, "/api/v1/applications"))["total"] == 1
        found = re.fullmatch(r"/ui/applications/([0-9a-f]+)/receipt", sent.headers["location"])
        assert found, sent.headers["location"]
        stored = await _api(client, f"/api/v1/applications/{found.group(1)}")
        assert stored["status"] == "awaiting_materials" and stored["received_by"] == "desk-form"
        assert stored["household"]["members"][0]["student"] is True
        missing = {m["name"] for m in stored["missing_materials"]}
        assert {"家庭经济状况核对授权书", "家庭收入证明", "住院病历及医疗费用票据"} <= missing

        receipt = await client.get(sent.headers["location"])
        assert receipt.status_code == 200
        for text in (stored["receipt_no"], "社会救助受理回执", "最低生活保障（低保）", "医疗救助",
                     "民政（社会事务办）", "20个工作日", "材料补齐后起算", "测试镇", "/status",
                     f"/ui/applications/{stored['id']}/notice", "data-print"):
            assert text in receipt.text, text

        notice = await client.get(f"/ui/applications/{stored['id']}/notice")
        assert notice.status_code == 200 and "一次性告知书" in notice.text
        for name in missing:
            assert name in notice.text, name
        listed = notice.text.split("<article", 1)[1]
        assert listed.count("<li>") == len(missing)  # every one, once

        for path in ("receipt.pdf", "notice.pdf"):
            paper = await client.get(f"/ui/applications/{stored['id']}/{path}")
            assert paper.status_code == 200
            assert paper.headers["content-type"] == "application/pdf"
            assert paper.headers["content-disposition"].startswith("inline; filename=")
            assert stored["receipt_no"] in paper.headers["content-disposition"]
            assert paper.content.startswith(b"%PDF")
            assert stored["receipt_no"].encode() in paper.content

        # Everything brought: accepted at once, so the receipt gives each item's due time.
        whole = _form(csrf_of(page.text), items=["medical_aid"],
                      materials=["medical_records"], key="")
        done = await client.post("/ui/window/new", data=whole)
        assert done.status_code == 303
        complete = await client.get(done.headers["location"])
        assert "材料补齐后起算" not in complete.text and "一次性告知书" not in complete.text
        assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>", complete.text)
        other = done.headers["location"].removesuffix("receipt") + "notice"
        assert (await client.get(other)).status_code == 404  # nothing is missing


async def test_refused_fields_come_back_and_live_checks_agree_with_the_api(
        backend: Backend, nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app), browser(app) as client:
        await add_person(app, "desk-check", Role.window)
        await add_person(app, "civil-1", Role.department, "civil_affairs")
        await sign_in(client, "desk-check")
        page = await client.get("/ui/window/new")

        bad = await client.post("/ui/window/new", data=_form(
            csrf_of(page.text), id_number="341321199904120021", size="", items=[]))
        assert bad.status_code == 422
        assert "身份证号码校验位错误，请核对" in bad.text
        assert re.search(r'id="f-id_number"[^>]*aria-invalid="true"', bad.text, re.S)
        assert 'id="err-size"' in bad.text and 'value="王秀英"' in bad.text  # kept
        assert 'value="341321199904120021"' in bad.text
        assert re.search(r'value="medical_aid"', bad.text)
        assert (await _api(client, "/api/v1/applications"))["total"] == 0  # nothing created

        forged = await client.post("/ui/window/new", data=_form("0" * 32))
        assert forged.status_code == 403

        valid = await client.get("/ui/check/id-number", params={"value": "320281198001010017"})
        assert valid.json() == {"ok": True, "reason": ""}
        wrong = await client.get("/ui/check/id-number", params={"value": "320281198001010018"})
        assert wrong.json() == {"ok": False, "reason": "身份证号码校验位错误，请核对"}
        phone = await client.get("/ui/check/phone", params={"value": "139 1234 5678"})
        assert phone.json()["ok"] is True
        no_phone = await client.get("/ui/check/phone", params={"value": "12345"})
        assert no_phone.json() == {"ok": False, "reason": "不是有效的手机号或固定电话号码"}
        await client.get("/ui/lang", params={"to": "en"})
        english = await client.get("/ui/check/id-number", params={"value": "320281198001010018"})
        assert english.json()["reason"] == "identity number check digit is wrong"

        async with browser(app, address="10.9.8.8") as other:
            await sign_in(other, "civil-1")
            assert (await other.get("/ui/window/new")).status_code == 403
            refused = await other.get("/ui/check/id-number", params={"value": "1"})
            assert refused.status_code == 403
