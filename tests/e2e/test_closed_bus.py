"""`onedoor up` on its closed bus: every process as its own NATS user, the flow completes
without one refused publish or subscription, nobody gets in without a password, and the
JetStream store under the data directory holds no applicant's personal data in clear."""

import asyncio
import random
import stat
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from tests.e2e.conftest import start_system
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.waiting import eventually

ITEMS = [["dibao", "education_aid", "medical_aid"], ["temporary_aid"], ["housing_aid"]]


async def _anonymous(url: str) -> None:
    async def quiet(exc: Exception) -> None:
        pass

    await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, error_cb=quiet)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_flow_completes_on_the_closed_bus_and_the_store_is_encrypted(
        backend: Backend, tmp_path: Path, rng: random.Random) -> None:
    system = start_system(backend, tmp_path, "--auto-decide-after", "0")
    bodies = [application(rng, items) for items in ITEMS]
    try:
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            asyncio.run(_anonymous(f"nats://127.0.0.1:{system.nats_port}"))
        with httpx.Client(timeout=10, auth=system.auth) as http:
            ids = []
            for body in bodies:
                created = http.post(f"{system.intake}/api/v1/applications", json=body)
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])

            def all_completed() -> bool:
                for app_id in ids:
                    view = http.get(f"{system.intake}/api/v1/applications/{app_id}").json()
                    assert view["status"] == "completed", (app_id, view["status"])
                return True

            eventually(all_completed, timeout=90, interval=0.5)
    finally:
        code = system.stop()
    assert code == 0, system.process.log()[-5000:]
    log = system.process.log()
    assert "Violation" not in log, [line for line in log.splitlines() if "Violation" in line]

    nats_dir = system.data_dir / "nats"
    personal = {value for body in bodies for value in (
        body["applicant"]["name"], body["applicant"]["id_number"], body["applicant"]["phone"])}
    stored = [p for p in nats_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".blk" for p in stored), "no JetStream message block in the store"
    for path in stored:
        data = path.read_bytes()
        assert not [v for v in personal if v.encode() in data], f"personal data in clear in {path}"
    credentials = nats_dir / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    for path in [*credentials.iterdir(), *nats_dir.glob("*.conf")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
