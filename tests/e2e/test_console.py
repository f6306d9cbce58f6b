"""The console of ``make up`` (``onedoor up --demo``) is for people: from start to Ctrl-C it
shows what happens, without the libraries' chatter."""

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import start_system
from tests.support.backends import Backend
from tests.support.waiting import eventually

CHATTER = {
    "alembic naming its plugins": re.compile(r"alembic\.runtime\.plugins|setup plugin"),
    "alembic naming its dialect": re.compile(r"Context impl |Will assume (non-)?transactional"),
    "a line per HTTP request of the launcher": re.compile(r"httpx: HTTP Request"),
    "faststream's task callbacks at Ctrl-C": re.compile(r"callback for .* is being executed"),
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a warning or an error in a demo that goes well": re.compile(r" (WARNING|ERROR) "),
    "a line per migration revision": re.compile(r"Running upgrade "),
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_console_from_start_to_ctrl_c_holds_no_library_chatter(backend: Backend,
                                                                     tmp_path: Path) -> None:
    system = start_system(backend, tmp_path, "--demo")
    try:
        # The demo's applications are in and the departments have begun deciding them.
        eventually(lambda: "demo application" in system.process.log()
                   and "decided" in system.process.log(), timeout=60)
    finally:
        assert system.stop() == 0
    console = system.process.log()

    found = {what: [line for line in console.splitlines() if pattern.search(line)][:3]
             for what, pattern in CHATTER.items()}
    assert not any(found.values()), {what: lines for what, lines in found.items() if lines}
    # What a person needs is still there.
    assert "every service is ready" in console
    assert "database schema upgraded from empty to" in console
    assert "onedoor: stopped" in console
