"""The window's documents as PDF (services/portal/pdf.py): a PDF with the receipt number as
findable text, Chinese set in the CJK font the readers supply, long lists running onto more
pages; and what the intake form sends the API and where the API's refusals are shown."""

import re

from services.portal.catalogue import build
from services.portal.pages.intake_form import body_of, check_field, form_field
from services.portal.pdf import FONT, Document, render

NUMBER = "YD20261201-ABC234"


def _receipt(missing: int = 3) -> Document:
    return Document(
        title="社会救助受理回执", number_label="受理编号：", number=NUMBER,
        facts=[("申请人", "王秀英"), ("受理时间", "2026-12-01 14:05")],
        intro="您的申请已登记 <b>&",  # markup-like text is printed as text
        table=[["申请事项", "办理部门", "办理时限", "应办结时间"],
               ["最低生活保障（低保）", "民政（社会事务办）", "20个工作日", "2027-01-04 23:59"]],
        widths=[0.28, 0.34, 0.16, 0.22],
        lists=[("尚缺材料", [f"家庭收入证明（用于：低保）{n}" for n in range(missing)])],
        paragraphs=[f"凭受理编号 {NUMBER} 可在 https://onedoor.example/status 查询办理进度。"],
        signatures=["受理窗口（盖章）：", "申请人签收："])


def test_a_receipt_is_a_pdf_with_its_number_as_text() -> None:
    paper = render(_receipt())
    assert paper.startswith(b"%PDF-")
    assert NUMBER.encode() in paper  # uncompressed, in a Latin font
    assert f"/BaseFont /{FONT}".encode() in paper
    assert render(_receipt()) == paper  # invariant: the same document, the same bytes


def test_a_long_notice_runs_onto_more_pages() -> None:
    pages = re.compile(rb"/Type /Page\b(?!s)")
    assert len(pages.findall(render(_receipt(3)))) == 1
    assert len(pages.findall(render(_receipt(120)))) > 1


def test_the_form_sends_what_was_typed_and_shows_refusals_at_their_fields() -> None:
    values = {"name": "王秀英", "id_number": "341321199904120020", "phone": "13912345678",
              "address": "", "village": "", "size": "3", "residence": "rural", "income": "320",
              "description": "", "channel": "window", "on_behalf_name": "",
              "on_behalf_role": "", "items": ["dibao"], "materials": [],
              "members": [{"name": "", "relation": "", "school": "", "student": False}]}
    body = body_of(values)
    assert body["household"] == {"size": "3", "residence": "rural",
                                 "monthly_income_per_capita": "320", "members": []}
    assert "on_behalf_of" not in body
    assert body_of(values | {"on_behalf_role": "协理员"})["on_behalf_of"]["role"] == "协理员"
    assert form_field("applicant.id_number") == "id_number"
    assert form_field("household.members.2.name") == "member-2-name"
    assert form_field("household.monthly_income_per_capita") == "income"
    assert form_field("on_behalf_of.name") == "on_behalf_name"
    assert form_field("materials.3") == "materials"
    assert check_field("id_number", "320281198001010017", "zh") == {"ok": True, "reason": ""}
    assert check_field("phone", "12345", "en")["ok"] is False


def test_the_catalogue_counts_missing_materials_as_the_api_does() -> None:
    catalogue = build(
        [{"code": "civil_affairs", "name": "民政", "items": [
            {"code": "dibao", "name": "低保", "limit_text": "20个工作日",
             "required_materials": ["id_card", "application_form", "income_proof"]}]}],
        [{"code": "id_card", "name": "居民身份证", "verifiable": True,
          "required_by": [{"code": "dibao", "name": "低保"}], "accepted_by": []},
         {"code": "application_form", "name": "救助申请书", "verifiable": False,
          "required_by": [{"code": "dibao", "name": "低保"},
                          {"code": "temporary_aid", "name": "临时救助"}], "accepted_by": []},
         {"code": "income_proof", "name": "家庭收入证明", "verifiable": False,
          "required_by": [{"code": "dibao", "name": "低保"}], "accepted_by": []}])
    assert catalogue.missing(["dibao"], ["application_form"]) == [("家庭收入证明", ["低保"])]
    assert [m.code for m in catalogue.asked] == ["application_form", "income_proof"]
    others = catalogue.groups[-1]
    assert others.code == "other" and "temporary_aid" in [i.code for i in others.items]
    assert catalogue.missing(["temporary_aid"], []) == [("救助申请书", ["临时救助"])]
