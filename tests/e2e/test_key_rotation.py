"""``onedoor keys rotate`` while the system runs: applications stay readable before, during and
after, new ones go through meanwhile, every value ends under the new key; ``--retire`` leaves
no value under an old key and the system goes on. A wrong or missing key stops a service at
start with one line."""

import asyncio
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from services.common import keystore
from services.common.crypto import encode_key, new_key
from services.common.rekey import reseal
from services.common.settings import Settings
from services.launcher.keys import service_databases
from tests.e2e.conftest import start_system
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.processes import Process, free_port_block
from tests.support.system import Submitter
from tests.support.waiting import eventually

ITEMS = [["temporary_aid"], ["medical_aid"], ["housing_aid"]]


def _onedoor(backend: Backend, *args: str) -> subprocess.CompletedProcess[str]:
    extra = ["--database-url", backend.database_url] if backend.database_url else []
    return subprocess.run([sys.executable, "-m", "services.launcher", *args, "--data-dir",
                           str(backend.data_dir), *extra], env=_env(backend),
                          capture_output=True, text=True, timeout=300)


def _env(backend: Backend) -> dict[str, str]:
    import os
    return {**os.environ, **backend.env()}


def keys_in_use(backend: Backend) -> Counter[str]:
    """How many values every service's database holds under each key id."""
    settings = Settings(**backend.settings_kwargs())

    async def count() -> Counter[str]:
        ring = keystore.keyring(keystore.DATA, None, settings.data_dir, create=False)
        found: Counter[str] = Counter()
        for _, db in await service_databases(settings, ring):
            try:
                found += (await reseal(db, ring, count_only=True)).by_key
            finally:
                await db.dispose()
        return found

    return asyncio.run(count())


def _completed(http: httpx.Client, intake: str, ids: list[str]) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]]:
        views = [http.get(f"{intake}/api/v1/applications/{i}").json() for i in ids]
        assert all(v["status"] == "completed" for v in views), [v["status"] for v in views]
        assert all(len([n for n in v["notifications"] if n["kind"] == "completion"]) == 2
                   for v in views)  # every notice recorded: the view stays as it is
        return views

    return eventually(check, timeout=120)


def _private(view: dict[str, Any]) -> tuple[Any, ...]:
    return view["applicant"], view["household"], view["description"], view["notifications"]


def test_rotation_while_the_system_runs_then_retire(backend: Backend, tmp_path: Path,
                                                    rng: random.Random) -> None:
    system = start_system(backend, tmp_path, "--auto-decide-after", "0")
    http = httpx.Client(timeout=10, auth=system.auth)  # signed in as each service's caller
    try:
        first = [http.post(f"{system.intake}/api/v1/applications",
                           json=application(rng, items)).json()["id"] for items in ITEMS]
        before = {v["id"]: _private(v) for v in _completed(http, system.intake, first)}
        old = keystore.read_key_file(keystore.key_file(backend.data_dir, keystore.DATA)).primary
        assert set(keys_in_use(backend)) == {old}

        # Applications keep coming while the keys rotate.
        during = Submitter(system.intake, 8, rng, ITEMS, pause=0.3, auth=system.auth)
        during.start()
        rotated = _onedoor(backend, "keys", "rotate", "--grace", "2")
        during.join(120)
        assert rotated.returncode == 0, rotated.stderr
        new = keystore.read_key_file(keystore.key_file(backend.data_dir, keystore.DATA)).primary
        assert new != old and f"new primary key {new}" in rotated.stderr
        assert "re-encrypted" in rotated.stderr

        views = _completed(http, system.intake, first + during.ids)
        assert {v["id"]: _private(v) for v in views[:len(first)]} == before
        assert set(keys_in_use(backend)) == {new}

        retired = _onedoor(backend, "keys", "rotate", "--retire", "--grace", "2")
        assert retired.returncode == 0, retired.stderr
        newest = keystore.read_key_file(keystore.key_file(backend.data_dir, keystore.DATA))
        assert newest.ids == [newest.primary] and newest.primary not in (old, new)
        assert set(keys_in_use(backend)) == {newest.primary}

        # The running services go on: old applications read, a new one goes through, and an
        # applicant is still found by the exact identity number.
        body = application(rng, ["temporary_aid"])
        last = http.post(f"{system.intake}/api/v1/applications", json=body).json()["id"]
        views = _completed(http, system.intake, [*first, last])
        assert {v["id"]: _private(v) for v in views[:len(first)]} == before
        found = http.get(f"{system.intake}/api/v1/applications",
                         params={"id_number": body["applicant"]["id_number"]}).json()
        assert [a["id"] for a in found["items"]] == [last]
    finally:
        http.close()
        system.stop()

    # A key that does not open the data, a missing key file, a malformed key: one line each.
    port = free_port_block(3)
    key_file = keystore.key_file(backend.data_dir, keystore.DATA)
    wrong = _refused(backend, tmp_path, "wrong-key", port, {"ONEDOOR_DATA_KEY": encode_key(new_key())})
    assert f"sealed under key {newest.primary}, which ONEDOOR_DATA_KEY does not have" in wrong
    key_file.rename(key_file.with_name("kept.json"))
    missing = _refused(backend, tmp_path, "missing-key", port + 1, {})
    assert f"sealed under key {newest.primary}, which {key_file} does not have" in missing
    malformed = _refused(backend, tmp_path, "malformed-key", port + 2,
                         {"ONEDOOR_DATA_KEY": "not a key"})
    assert "ONEDOOR_DATA_KEY (key 1 of 1) is not base64" in malformed


def _refused(backend: Backend, log_dir: Path, name: str, port: int, env: dict[str, str]) -> str:
    """The one line ``onedoor run intake`` printed, refusing to start (exit 78)."""
    args = ["run", "intake", "--data-dir", str(backend.data_dir), "--http-port", str(port),
            "--nats-url", "nats://127.0.0.1:1"]
    process = Process(name, args, backend.env() | {"ONEDOOR_LOG_FORMAT": "text"} | env,
                      log_dir).start()
    assert process.process is not None
    code = process.process.wait(60)
    output = process.log()
    assert code == 78, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("onedoor run intake: ")]
    assert len(lines) == 1, output
    return lines[0]
