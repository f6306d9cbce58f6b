"""The screens in a real browser (Chromium, driven by Playwright) against the whole system as
``onedoor up --demo`` runs it, started once for this module with departments that never decide
by themselves: the way in through the sign-in page to the window desk listing the demo's
applications; one application from the intake form to a department's decision, seen live on
the window's open page and by the applicant on a phone; the supervisor's and operations'
screens; an account refused a page not its own. No page may log a script error. Each screen is
saved in Chinese and in English under test-artifacts/screens/ (tests/support/browser.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import Watched, api, demo_person, new_applicant, sign_in
from tests.e2e.conftest import System, start_system
from tests.e2e.screens_flow import decide_in_the_department, register_at_the_window
from tests.support.backends import Backend
from tests.support.browser import PHONE, chromium, chromium_or_skip, failure_screenshot, screenshots
from tests.support.waiting import eventually

NEVER = "86400"  # seconds: departments decide by hand only, the module lasts far less
LIVE = 20_000  # ms for a department's act to reach the window's open page (polled every 2 s)
expect.set_options(timeout=10_000)  # ms: two cores shared by several test runs at times


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    chromium_or_skip()  # before starting anything
    root = tmp_path_factory.mktemp("screens")
    system = start_system(Backend("sqlite", root / "data"), root, "--demo",
                          "--auto-decide-after", NEVER)
    try:
        yield system
    finally:
        assert system.stop() is not None


@pytest.fixture(scope="module")
def browser(demo: System) -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def watched() -> Iterator[Watched]:
    """Every page's console and script errors: a test leaving any fails."""
    seen = Watched()
    yield seen
    assert not seen.errors, seen.errors


def _demo_applications(system: System) -> list[dict[str, Any]]:
    """The demo's four applications, each item handed to its department (none decided)."""
    with api(system, "window") as window:
        def loaded() -> list[dict[str, Any]]:
            page = window.get("/api/v1/applications").json()
            assert page["total"] >= 4, page["total"]
            assert all(i["department"] and i["due_at"] for a in page["items"]
                       for i in a["items"]), page["items"]
            return page["items"]

        return eventually(loaded, timeout=60, interval=0.5)


def _check_status(page: Page, receipt_no: str, id_number: str) -> None:
    """The applicant's progress check, as typed on the phone (lower-case x is accepted)."""
    page.fill("#receipt_no", receipt_no)
    page.fill("#id_last4", id_number[-4:].lower())
    page.locator("form[action='/status'] button[type=submit]").click()
    page.wait_for_load_state()


def test_sign_in_to_the_window_desk_listing_the_demo(demo: System, browser: Browser,
                                                     watched: Watched) -> None:
    applications = _demo_applications(demo)
    with watched.context(browser) as context:
        page = context.new_page()
        with failure_screenshot(page, "window"):
            page.goto(demo.intake + "/")
            assert page.url == demo.intake + "/ui/login"
            assert page.locator("#username").is_visible() and page.locator("#password").is_visible()
            screenshots(page, demo.intake, "login", "/ui/login")

            sign_in(page, demo_person(demo, "window"))
            assert page.url == demo.intake + "/ui/window"
            listed = page.locator("main table").inner_text()
            assert all(a["receipt_no"] in listed for a in applications)
            assert page.locator("main table tbody tr").count() >= len(applications)
            screenshots(page, demo.intake, "window-worklist", "/ui/window")


def test_an_application_from_the_window_to_a_decision_seen_live(demo: System, browser: Browser,
                                                                watched: Watched) -> None:
    applicant = new_applicant()
    with watched.context(browser) as window_context:
        window = window_context.new_page()
        with failure_screenshot(window, "flow-window"):
            app_id, receipt_no = register_at_the_window(window, demo, applicant)
            # From here the application page stays open: only the server's events change it.
            opened = window.url
            window.evaluate("window.flowMarker = 'not reloaded'")
            with watched.context(browser) as department_context:
                officer = department_context.new_page()
                with failure_screenshot(officer, "flow-department"):
                    decision = decide_in_the_department(officer, window, demo, receipt_no)
            row = window.locator("#parts tr[data-item='dibao']")
            expect(row).to_contain_text("同意", timeout=LIVE)
            expect(row).to_contain_text(decision["reason"])
            expect(row).to_contain_text("650.00")
            expect(window.locator("#live-status")).not_to_be_empty()
            assert window.evaluate("window.flowMarker") == "not reloaded"
            assert window.url == opened
            screenshots(window, demo.intake, "application", f"/ui/applications/{app_id}")
            screenshots(window, demo.intake, "inbox", "/ui/inbox")

    with watched.context(browser, viewport=PHONE) as phone_context:  # no account
        phone = phone_context.new_page()
        with failure_screenshot(phone, "flow-status"):
            screenshots(phone, demo.intake, "status-form", "/status")
            screenshots(phone, demo.intake, "status-result", "/status", act=lambda p: (
                _check_status(p, receipt_no, applicant["id_number"])))
            _check_status(phone, receipt_no, applicant["id_number"])
            answer = phone.locator("main")
            expect(answer).to_contain_text(receipt_no)
            expect(answer).to_contain_text("同意")
            expect(answer).to_contain_text(decision["reason"])
            assert applicant["name"] not in phone.content()


def test_the_applicant_status_page_on_a_phone(demo: System, browser: Browser,
                                              watched: Watched) -> None:
    # One still with its departments: the page says when each part is due.
    chosen = next(a for a in _demo_applications(demo)
                  if not any(i["decision"] for i in a["items"]))
    with api(demo, "window") as window:
        full = window.get(f"/api/v1/applications/{chosen['id']}").json()
    id_number = full["applicant"]["id_number"]
    with watched.context(browser, viewport=PHONE) as context:
        page = context.new_page()
        with failure_screenshot(page, "status"):
            page.goto(demo.intake + "/status")
            _check_status(page, chosen["receipt_no"], id_number)
            text = page.locator("main").inner_text()
            assert chosen["receipt_no"] in text
            assert all(i["item_name"] in text for i in chosen["items"])
            assert page.locator("main section.card h3").count() == len(chosen["items"])
            for secret in (id_number, full["applicant"]["phone"][-8:], full["applicant"]["name"]):
                assert secret not in page.content(), "the status page shows personal data"
            # Laid out for the phone: nothing wider than the screen.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], width


def test_the_supervisor_and_operations_screens(demo: System, browser: Browser,
                                               watched: Watched) -> None:
    receipt_no = _demo_applications(demo)[0]["receipt_no"]  # the newest: the flow's, if run
    with watched.context(browser) as context:
        page = context.new_page()
        with failure_screenshot(page, "supervisor"):
            page.goto(demo.intake + "/ui/login")
            sign_in(page, demo_person(demo, "supervisor"))
            assert page.url == demo.intake + "/ui/supervisor"
            for name, path in (("supervisor-board", "/ui/supervisor"),
                               ("supervisor-meeting", "/ui/supervisor/meeting"),
                               ("supervisor-figures", "/ui/supervisor/figures")):
                screenshots(page, demo.intake, name, path)
                expect(page.locator("main h1")).to_be_visible()
    with watched.context(browser) as context:
        page = context.new_page()
        with failure_screenshot(page, "ops"):
            page.goto(demo.intake + "/ui/login")
            sign_in(page, demo_person(demo, "ops"))
            assert page.url == demo.intake + "/ui/ops"
            screenshots(page, demo.intake, "ops-overview", "/ui/ops")
            trace = f"/ui/ops/trace?key={receipt_no}"
            screenshots(page, demo.intake, "ops-trace", trace)
            expect(page.locator("main")).to_contain_text(receipt_no)
            expect(page.locator("main svg").first).to_be_visible()


def test_a_department_account_is_refused_another_departments_page(demo: System,
                                                                  browser: Browser,
                                                                  watched: Watched) -> None:
    with watched.context(browser) as context:
        page = context.new_page()
        with failure_screenshot(page, "refused"):
            page.goto(demo.intake + "/ui/login")
            sign_in(page, demo_person(demo, "education"))
            assert page.url == demo.intake + "/ui/department/education"
            refused = page.goto(demo.intake + "/ui/window")  # the window's desk
            assert refused is not None and refused.status == 403
            assert "无权打开此页" in page.locator("main").inner_text()
            other = page.goto(demo.intake + "/ui/department/civil_affairs")
            assert other is not None and other.status == 403
            assert "只能打开本部门的工作台" in page.locator("main").inner_text()
            screenshots(page, demo.intake, "department-refused", "/ui/department/civil_affairs")
    # The browser reports each refused page as a failed load: expected here, nothing else.
    assert not watched.take(allowed="status of 403")
