"""``onedoor keys`` and the keys at start: a malformed key stops ``up`` in one line before
anything starts; ``keys new`` prints a key; the data directory is made private, or narrowed
when it is OneDoor's, never when it is someone else's."""

import base64
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.launcher.keys import private_data_dir
from services.launcher.preflight import CONFIG_ERROR
from services.launcher.topology import SIZE
from tests.support.processes import free_port_block

ROOT = Path(__file__).resolve().parents[2]


def _onedoor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.launcher", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_a_malformed_key_stops_up_in_one_line_before_anything_starts(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    done = _onedoor("up", "--data-dir", str(data_dir), "--http-port", str(free_port_block(SIZE)),
                    env={"ONEDOOR_DATA_KEY": "c2hvcnQ="})
    assert done.returncode == CONFIG_ERROR, done.stderr
    assert done.stderr.strip() == ("onedoor up: ONEDOOR_DATA_KEY (key 1 of 1) is 5 bytes; a key "
                                   "is 32 bytes (base64 of 32 random bytes, e.g. from 'onedoor "
                                   "keys new')")
    assert "Traceback" not in done.stdout + done.stderr
    assert not (data_dir / "nats").exists()  # no NATS, no service started


def test_keys_new_prints_a_key_of_32_random_bytes() -> None:
    first, second = (_onedoor("keys", "new").stdout.strip() for _ in range(2))
    assert len(base64.b64decode(first, validate=True)) == 32 and first != second


def test_rotating_without_a_key_file_says_so(tmp_path: Path) -> None:
    done = _onedoor("keys", "rotate", "--data-dir", str(tmp_path / "empty"))
    assert done.returncode == CONFIG_ERROR
    assert done.stderr.startswith("onedoor keys rotate: no key file ") and "Traceback" not in done.stderr


def test_the_data_directory_is_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fresh = tmp_path / "a" / "var"
    private_data_dir(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700

    ours = tmp_path / "ours"
    (ours / "keys").mkdir(parents=True)
    os.chmod(ours, 0o755)
    private_data_dir(ours)
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700

    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "someone-elses.txt").write_text("x")
    os.chmod(shared, 0o1777)
    with caplog.at_level(logging.WARNING, logger="onedoor"):
        private_data_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert "readable by others" in caplog.text
