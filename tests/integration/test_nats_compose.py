"""docker-compose.yml's NATS (deploy/nats/nats-N.conf and the secrets `onedoor nats config`
writes), run with the real nats-server on loopback: a cluster whose routes authenticate over
TLS, clients over TLS with a user each, nobody without one. Docker is not needed."""

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import pytest

from contracts import subjects
from services.common.natsauth import connect_options
from services.launcher import natsserver
from tests.support.certs import make_certificates

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def onedoor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.launcher", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def compose_nats(tmp_path: Path) -> Iterator[tuple[Path, list[int]]]:
    """The three nodes of docker-compose.yml, /etc/nats and /data moved under ``tmp_path``
    and each given loopback ports of its own."""
    make_certificates(tmp_path / "certs")
    client, cluster, monitor = ([natsserver.free_port() for _ in range(3)] for _ in range(3))
    routes = ",".join(f"127.0.0.1:{p}" for p in cluster)
    made = onedoor("nats", "config", "--out", str(tmp_path / "secrets"), "--routes", routes)
    assert made.returncode == 0, made.stderr
    processes = []
    for n in range(3):
        text = (REPO / "deploy" / "nats" / f"nats-{n + 1}.conf").read_text()
        for old, new in (("/etc/nats/", f"{tmp_path}/"), ('"/data"', f'"{tmp_path}/data-{n}"'),
                         ("0.0.0.0:4222", f"127.0.0.1:{client[n]}"),
                         ("0.0.0.0:6222", f"127.0.0.1:{cluster[n]}"),
                         ("0.0.0.0:8222", f"127.0.0.1:{monitor[n]}")):
            assert old in text, old
            text = text.replace(old, new)
        config = tmp_path / f"nats-{n + 1}.conf"
        config.write_text(text)
        log = (tmp_path / f"nats-{n + 1}.log").open("wb")
        processes.append(subprocess.Popen([natsserver.binary(), "-c", str(config)], stdout=log,
                                          stderr=subprocess.STDOUT))
    try:
        for port in client:
            natsserver.wait_until_listening(port)
        yield tmp_path, client
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


async def _connect(url: str, **options: object) -> nats.aio.client.Client:
    async def quiet(exc: Exception) -> None:
        pass

    return await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0,
                              error_cb=quiet, **options)


def test_compose_nats_is_a_closed_tls_cluster(compose_nats: tuple[Path, list[int]]) -> None:
    directory, ports = compose_nats
    urls = ",".join(f"tls://127.0.0.1:{p}" for p in ports)
    ca = directory / "certs" / "ca.pem"
    credentials = directory / "secrets" / "credentials"
    # Replicas 3: only a cluster whose routes authenticated (over TLS) can hold the stream.
    declared = onedoor("nats", "declare", "--nats-url", urls, "--replicas", "3",
                       "--nats-credentials", str(credentials / "admin.json"),
                       env={**os.environ, "ONEDOOR_NATS_CA_FILE": str(ca)})
    assert declared.returncode == 0, declared.stdout + declared.stderr

    async def check() -> None:
        url = f"tls://127.0.0.1:{ports[1]}"
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await _connect(url, **connect_options(None, ca))
        nc = await _connect(url, **connect_options(credentials / "dept-education.json", ca))
        info = await nc.jetstream().consumer_info(subjects.STREAM, "department-education")
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        await nc.close()

    asyncio.run(check())
