"""``onedoor up --demo``: the loop closes by itself, as a newcomer sees it on ``make up``,
and the demo's accounts are there to sign in with (demo-tokens.json, demo-accounts.json)."""

import json
import stat
from pathlib import Path

import httpx
import pytest

from services.accounts.demo import deciders
from tests.e2e.conftest import start_system
from tests.support.backends import Backend
from tests.support.waiting import eventually


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_applications_complete_without_anyone_at_a_desk(backend: Backend, tmp_path: Path) -> None:
    system = start_system(backend, tmp_path, "--demo")
    try:
        for name in ("demo-tokens.json", "demo-accounts.json"):
            assert stat.S_IMODE((system.data_dir / name).stat().st_mode) == 0o600
        tokens = json.loads((system.data_dir / "demo-tokens.json").read_text(encoding="utf-8"))
        window = {"Authorization": f"Bearer {tokens['window']}"}
        supervisor = {"Authorization": f"Bearer {tokens['supervisor']}"}
        with httpx.Client(timeout=10, headers=window) as http:
            def all_completed() -> list[dict]:
                page = http.get(f"{system.intake}/api/v1/applications").json()
                assert page["total"] >= 4, page["total"]
                assert {a["status"] for a in page["items"]} == {"completed"}
                return page["items"]

            apps = eventually(all_completed, timeout=60)
            # The samples were received by the window's demo account, in its township.
            assert {a["received_by"] for a in apps} == {"window-01"}
            refused = http.get(f"{system.intake}/api/v1/accounts")
            assert refused.status_code == 403
            listed = http.get(f"{system.intake}/api/v1/applications", headers=supervisor).json()
            assert listed["total"] == len(apps)
        assert all(a["outcome"] in {"approved", "rejected", "partially_approved"} for a in apps)
        # The demo stands in for staff as the departments' demo accounts: three different
        # ones where duties are separated.
        demo = {name for d in ("civil_affairs", "education", "hrss", "housing", "medical",
                               "federations", "window") for name in deciders(d)}
        assert all(i["decision"]["decided_by"] in demo | {"免申即享"}
                   for a in apps for i in a["items"])
    finally:
        assert system.stop() is not None
