"""``onedoor up --demo``: the loop closes by itself, as a newcomer sees it on ``make up``."""

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import start_system
from tests.support.backends import Backend
from tests.support.waiting import eventually


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_applications_complete_without_anyone_at_a_desk(backend: Backend, tmp_path: Path) -> None:
    system = start_system(backend, tmp_path, "--demo")
    try:
        with httpx.Client(timeout=10) as http:
            def all_completed() -> list[dict]:
                page = http.get(f"{system.intake}/api/v1/applications").json()
                assert page["total"] >= 4, page["total"]
                assert {a["status"] for a in page["items"]} == {"completed"}
                return page["items"]

            apps = eventually(all_completed, timeout=60)
        assert all(a["outcome"] in {"approved", "rejected", "partially_approved"} for a in apps)
        # The demo stands in for staff: three different people where duties are separated.
        assert all(i["decision"]["decided_by"] in ("demo-auto", "demo-confirm", "免申即享")
                   for a in apps for i in a["items"])
    finally:
        assert system.stop() is not None
