"""Browser tests: Playwright driving Debian's Chromium at /usr/bin/chromium (Playwright's own
browser download does not work on these machines: never ``playwright install``; ``make test``
installs Chromium with apt-get), and screenshots of a screen in Chinese and in English, full
page, under test-artifacts/screens/<name>.zh.png and <name>.en.png (not in git).

In a test or fixture::

    with chromium() as browser:           # skips, saying why, where there is no Chromium
        page = browser.new_page(viewport=PHONE)
        screenshots(page, base_url, "status", "/status", act=fill_and_submit)
"""

import contextlib
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no sandbox (root in CI), no GPU, and nothing fetched from the network
# behind the test's back (QUIC, updates, sync, first-run pages).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}  # a common phone, in CSS pixels
LANGS = {"zh": "zh-CN", "en": "en"}  # the switch's code → the page's <html lang>


def chromium_or_skip() -> Path:
    """Chromium's path; the test is skipped, with the reason, where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed: `make test` installs it with apt-get; skipped")
    return CHROMIUM


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the ``with`` block (skipped where it is not installed)."""
    path = chromium_or_skip()
    _warn_without_chinese_font()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(path), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def switch_language(page: Page, base_url: str, lang: str, path: str) -> None:
    """Switch the screens to ``lang`` as a person does (``/ui/lang``), landing on ``path``."""
    page.goto(f"{base_url}/ui/lang?to={lang}&next={quote(path, safe='')}")
    shown = page.locator("html").get_attribute("lang")
    assert shown == LANGS[lang], f"{path}: <html lang={shown!r}> after switching to {lang}"


def screenshots(page: Page, base_url: str, name: str, path: str,
                act: Callable[[Page], None] | None = None) -> list[Path]:
    """``path`` in Chinese, then in English, then back to Chinese: each full page, saved as
    ``<name>.zh.png`` and ``<name>.en.png``; ``act`` runs after each switch (posting a form
    whose answer is the screen: the switch itself lands on ``path``)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    saved = []
    for lang in LANGS:
        switch_language(page, base_url, lang, path)
        if act is not None:
            act(page)
        assert not (nameless := unlabelled(page)), f"{name} ({lang}): no label: {nameless}"
        target = SCREENS / f"{name}.{lang}.png"
        page.screenshot(path=str(target), full_page=True)
        saved.append(target)
    switch_language(page, base_url, "zh", path)
    return saved


# Each visible form control with no accessible name: no <label for>, no wrapping <label>, no
# aria-label or aria-labelledby (a screen reader would say only "edit text").
_UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea')]
  .filter(e => e.offsetParent !== null || e.getClientRects().length)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120))"""


def unlabelled(page: Page) -> list[str]:
    """The page's visible form controls that have no label."""
    return page.evaluate(_UNLABELLED)


@contextlib.contextmanager
def failure_screenshot(page: Page, name: str) -> Iterator[None]:
    """On an assertion failing inside the block: the page as it was, ``<name>.failed.png``."""
    try:
        yield
    except BaseException:
        SCREENS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENS / f"{name}.failed.png"), full_page=True)
        raise


def _warn_without_chinese_font() -> None:
    """Without a Chinese font the .zh screenshots show boxes (the tests still pass)."""
    if not shutil.which("fc-list"):
        return
    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False).stdout.strip()
    if not found:
        warnings.warn("no Chinese font installed (`make browser` installs Debian's "
                      "fonts-wqy-zenhei): the .zh.png screenshots show boxes instead of "
                      "characters", stacklevel=4)
