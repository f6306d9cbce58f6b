"""JetStream's store under the data directory, encrypted at rest: a store from before (open
server, no encryption) is kept and encrypted; one whose key is gone is refused in one line."""

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import nats
from nats.js.api import StreamConfig

from contracts import subjects
from services.launcher.natsconfig import CREDENTIALS, KEY_FILE
from services.launcher.natsperms import ADMIN
from services.launcher.natsserver import free_port
from services.launcher.preflight import CONFIG_ERROR
from tests.support.factories import resident_id
from tests.support.nats import ClosedBus, NatsServer
from tests.support.processes import free_port_block


def _files_holding(directory: Path, secret: str) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


async def _publish_open(url: str, data: bytes) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=subjects.STREAM, subjects=list(subjects.STREAM_SUBJECTS)))
    await js.publish(subjects.APPLICATION_SUBMITTED, data)
    await nc.close()


async def _first_message(bus: ClosedBus) -> bytes:
    nc = await bus.connect(ADMIN)
    try:
        return (await nc.jetstream().get_msg(subjects.STREAM, 1)).data or b""
    finally:
        await nc.close()


def test_a_store_from_before_encryption_is_kept_and_encrypted(tmp_path: Path,
                                                              rng: random.Random) -> None:
    nats_dir = tmp_path / "nats"
    secret = resident_id(rng)
    old = NatsServer(nats_dir).start()  # as `onedoor up` ran it before: open, in clear
    try:
        asyncio.run(_publish_open(old.url, f'{{"id_number": "{secret}"}}'.encode()))
    finally:
        old.stop()
    assert _files_holding(nats_dir, secret), "the old store should hold it in clear"

    bus = ClosedBus(nats_dir).start()
    try:
        assert secret.encode() in asyncio.run(_first_message(bus))  # still there, readable
    finally:
        bus.stop()
    assert _files_holding(nats_dir, secret) == []


def test_an_encrypted_store_whose_key_is_gone_is_refused_in_one_line(tmp_path: Path) -> None:
    nats_dir = tmp_path / "data" / "nats"
    ClosedBus(nats_dir).start().stop()
    (nats_dir / CREDENTIALS / KEY_FILE).unlink()

    result = subprocess.run(
        [sys.executable, "-m", "services.launcher", "up", "--data-dir", str(tmp_path / "data"),
         "--http-port", str(free_port_block(10)), "--nats-port", str(free_port())],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == CONFIG_ERROR, result.stdout + result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "encrypted" in line and KEY_FILE in line, line
    assert not (nats_dir / CREDENTIALS / KEY_FILE).exists()  # no new key over the old store
