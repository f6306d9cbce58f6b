"""The steps of one application through the screens, as the people at the window and in the
department take them in the browser (tests/e2e/test_screens_browser.py runs them)."""

import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

from tests.e2e.browsing import (
    DIBAO_A,
    DIBAO_B,
    demo_person,
    sign_in,
    sign_out,
    with_password,
)
from tests.e2e.conftest import System
from tests.support.browser import screenshots
from tests.support.waiting import eventually

# 低保 needs, besides what the system verifies itself (identity card, household register,
# never asked for), three papers: the applicant brings two, the income proof comes later.
BROUGHT = ("application_form", "economic_check_authorization")
MISSING, MISSING_NAME = "income_proof", "家庭收入证明"
NEEDED = ("救助申请书", "家庭经济状况核对授权书", MISSING_NAME)
REASON = "家庭人均收入低于当地低保标准，经入户调查核实，符合低保条件"
BENCH = "/ui/department/civil_affairs"


def fill_intake_form(page: Page, applicant: dict[str, str], *, check: bool = False) -> None:
    """Fill the intake form; ``check``: watch it judge the identity number and phone as typed
    and list what is missing as items and materials are ticked (Chinese)."""
    page.fill("#f-name", applicant["name"])
    for name in ("id_number", "phone"):
        field, message = page.locator(f"#f-{name}"), page.locator(f"#err-{name}")
        if check:
            field.fill(applicant[f"bad_{name}"])
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(message).to_have_class("field-error")
            expect(message).not_to_be_empty()
        field.fill(applicant[name])
        expect(field).to_have_attribute("aria-invalid", "false")
        expect(message).to_have_class("field-ok")
    page.fill("#f-village", "东风村")
    page.fill("#f-address", "东风村12号")
    page.fill("#f-size", "3")
    page.select_option("#f-residence", "rural")
    page.fill("#f-income", "420")
    page.check("#item-dibao")
    missing = page.locator("#missing li.missing")
    if check:
        expect(missing).to_have_count(len(NEEDED))
    for code in BROUGHT:
        page.check(f"#material-{code}")
    expect(missing).to_have_count(1)
    if check:
        expect(missing).to_contain_text(MISSING_NAME)
    page.fill("#f-description", "丈夫患病，家庭收入不足以维持基本生活。")


def register_at_the_window(page: Page, system: System,
                           applicant: dict[str, str]) -> tuple[str, str]:
    """The window clerk signs in, registers a 低保 application with one material missing,
    opens its receipt and one-time notice (printable, and as PDF), and records the material
    when it is brought; the page is left on the application. Its id and receipt number."""
    base = system.intake
    page.goto(base + "/")
    assert page.url == base + "/ui/login"
    sign_in(page, demo_person(system, "window"))
    page.locator("main a[href='/ui/window/new']").click()
    page.wait_for_url("**/ui/window/new")
    screenshots(page, base, "intake-form", "/ui/window/new",
                act=lambda p: fill_intake_form(p, applicant))
    fill_intake_form(page, applicant, check=True)
    page.locator("#intake-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ui/applications/[A-Za-z0-9-]+/receipt$"))
    app_id = urlparse(page.url).path.split("/")[3]
    receipt_no = page.locator(".receipt-no").inner_text().strip()
    assert re.fullmatch(r"YD\d{8}-[0-9A-Z]{6}", receipt_no), receipt_no

    receipt = f"/ui/applications/{app_id}/receipt"
    screenshots(page, base, "receipt", receipt)
    expect(page.locator("article.doc")).to_contain_text(MISSING_NAME)
    page.evaluate("window.print = () => { window.printAsked = true; }")  # no dialog here
    page.locator("main button[data-print]").click()
    assert page.evaluate("window.printAsked === true"), "the print button does nothing"
    page.emulate_media(media="print")  # what the printer gets: the document, no navigation
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("main .no-print").first).to_be_hidden()
    expect(page.locator("article.doc")).to_be_visible()
    page.emulate_media(media="screen")
    for document in ("receipt", "notice"):
        answer = page.request.get(f"{base}/ui/applications/{app_id}/{document}.pdf")
        assert answer.status == 200, document
        assert answer.headers["content-type"] == "application/pdf", answer.headers
        assert answer.body().startswith(b"%PDF"), document

    page.locator(f"main a[href='/ui/applications/{app_id}/notice']").click()
    page.wait_for_url(f"**/ui/applications/{app_id}/notice")
    notice = page.locator("article.doc")
    expect(notice).to_contain_text(MISSING_NAME)
    for given in NEEDED[:2]:
        expect(notice).not_to_contain_text(given)
    screenshots(page, base, "notice", f"/ui/applications/{app_id}/notice")

    page.goto(f"{base}/ui/applications/{app_id}")
    expect(page.locator("section[aria-labelledby='missing-h']")).to_contain_text(MISSING_NAME)
    page.check(f"#m-{MISSING}")
    page.locator(f"form[action='/ui/applications/{app_id}/materials'] "
                 "button[type=submit]").click()
    page.wait_for_url("**?done=materials")
    expect(page.locator("main p.success")).to_be_visible()
    expect(page.locator("section[aria-labelledby='missing-h'] li.missing")).to_have_count(0)
    return app_id, receipt_no


def _task_of(page: Page, system: System, receipt_no: str) -> str:
    """The workbench lists the application's task once routing handed it over; its path."""
    row = page.locator("main table tbody tr", has_text=receipt_no)

    def listed() -> bool:
        page.goto(system.intake + BENCH)
        return row.count() == 1

    eventually(listed, timeout=30, interval=0.5)
    row.get_by_role("link", name=receipt_no).click()
    page.wait_for_url(f"**{BENCH}/tasks/*")
    return urlparse(page.url).path


def _act(page: Page, action: str) -> None:
    page.locator(f"form[action$='/{action}'] button[type=submit]").click()
    page.wait_for_url(f"**?done={action}")
    expect(page.locator("main p.success")).to_be_visible()


def decide_in_the_department(page: Page, window: Page, system: System,
                             receipt_no: str) -> dict[str, str]:
    """Separation of duties for 低保 (default.toml): the post's A holder accepts, the B holder
    reviews (初审), the department's officer confirms the decision with its amount. The
    window's open page shows who accepted without being reloaded. The decision's reason."""
    base = system.intake
    page.goto(base + "/ui/login")
    sign_in(page, with_password(system, DIBAO_A))
    assert page.url == base + BENCH
    task = _task_of(page, system, receipt_no)
    expect(page.locator("main")).to_contain_text(DIBAO_A)  # the post's holder has it
    expect(page.locator("section[aria-labelledby='applicant']")).to_contain_text(MISSING_NAME)
    screenshots(page, base, "department-tasks", BENCH)
    screenshots(page, base, "department-posts", BENCH + "/posts")
    page.goto(base + task)
    _act(page, "accept")
    expect(window.locator("#parts tr[data-item='dibao']")).to_contain_text(DIBAO_A,
                                                                          timeout=20_000)
    sign_out(page)

    sign_in(page, with_password(system, DIBAO_B))
    page.goto(base + task)
    page.fill("#review-opinion", "材料齐全，收入情况属实，同意上报审核确认。")
    _act(page, "review")
    sign_out(page)

    sign_in(page, demo_person(system, "civil_affairs"))
    page.goto(base + task)
    expect(page.locator("#decision-amount")).to_be_visible()  # 低保 pays: the amount is asked
    screenshots(page, base, "department-task", task)
    page.check("#outcome-approved")
    page.fill("#decision-amount", "650")
    page.fill("#decision-reason", REASON)
    _act(page, "decision")
    expect(page.locator("main")).to_contain_text(REASON)
    return {"reason": REASON}
