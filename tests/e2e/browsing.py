"""What the browser tests of the screens share: the demo's people and their passwords, signing
in and out as a person does, and every browser context watched for script errors."""

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page

from services.launcher.demo import identity_number
from tests.e2e.conftest import System

DESKTOP = {"width": 1280, "height": 800}
# The region's supervisor (default.toml [supervision]) and the 低保 post's holders (A and B):
# the demo makes their accounts; the test gives them passwords through the accounts API.
DIBAO_A, DIBAO_B = "civil_dibao_a", "civil_dibao_b"


@dataclass
class Person:
    username: str
    password: str


@dataclass
class Watched:
    """Script errors and console errors of every page of the contexts opened with it."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error.message}")

    @contextmanager
    def context(self, browser: Browser, **options: Any) -> Iterator[BrowserContext]:
        """A new browser context (desktop-sized unless told), closed after the block."""
        context = browser.new_context(**({"viewport": DESKTOP} | options))
        context.on("console", self.console)
        context.on("weberror", lambda web_error: self.page_error(web_error.error))
        try:
            yield context
        finally:
            context.close()

    def take(self, allowed: str = "") -> list[str]:
        """The errors seen so far (the ones containing ``allowed`` dropped), forgotten."""
        found = [e for e in self.errors if not (allowed and allowed in e)]
        self.errors.clear()
        return found


def demo_person(system: System, key: str) -> Person:
    """One of the demo's accounts in ``demo-accounts.json`` (window, supervisor, ops, admin,
    and each department's ``<code>-staff`` under its code)."""
    known = json.loads((system.data_dir / "demo-accounts.json").read_text(encoding="utf-8"))
    return Person(known[key]["username"], known[key]["password"])


def demo_token(system: System, key: str) -> str:
    tokens = json.loads((system.data_dir / "demo-tokens.json").read_text(encoding="utf-8"))
    return tokens[key]


def api(system: System, key: str) -> httpx.Client:
    """Intake's API as a demo account (its bearer token)."""
    return httpx.Client(base_url=system.intake, timeout=10,
                        headers={"Authorization": f"Bearer {demo_token(system, key)}"})


def with_password(system: System, username: str) -> Person:
    """An account the demo made without a password (a post holder), given one by the
    administrator through the accounts API."""
    with api(system, "admin") as admin:
        answer = admin.post(f"/api/v1/accounts/{username}/reset",
                            json={"password": True, "token": False})
    assert answer.status_code == 200, answer.text
    return Person(username, answer.json()["password"])


def sign_in(page: Page, person: Person) -> None:
    """Sign in on the sign-in page the browser is on."""
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.locator("form[action='/ui/login'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/ui/login" not in page.url, page.locator("main").inner_text()


def sign_out(page: Page) -> None:
    """The header's sign-out button: back on the sign-in page."""
    page.locator("form[action='/ui/logout'] button[type=submit]").click()
    page.wait_for_url("**/ui/login")


def new_applicant(seed: int = 10) -> dict[str, str]:
    """An applicant of the flow: a valid identity number, its wrong twin (another check
    digit), a phone number and a wrong one."""
    good = identity_number(random.Random(seed))
    wrong_digit = "0123456789X"[("0123456789X".index(good[-1]) + 1) % 11]
    return {"name": "陈春梅", "id_number": good, "bad_id_number": good[:-1] + wrong_digit,
            "phone": "13912345678", "bad_phone": "1391234"}
