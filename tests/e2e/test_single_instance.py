"""With SQLite a service runs once: a second ``onedoor run`` of it, on the same data directory
or another one on the same NATS, stops at start with one clear line; a restart after a
SIGKILL starts. PostgreSQL instances of a service share their database and may run together."""

import signal
from pathlib import Path

import pytest

from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.processes import Process, free_port_block, wait_ready


def _intake(name: str, data_dir: Path, port: int, nats_server: NatsServer, env: dict[str, str],
            log_dir: Path) -> Process:
    args = ["run", "intake", "--data-dir", str(data_dir), "--http-port", str(port),
            "--nats-url", nats_server.url]
    return Process(name, args, env, log_dir).start()


def _refused(process: Process) -> str:
    """The one line a refused process printed, once it has exited non-zero."""
    assert process.process is not None
    code = process.process.wait(60)
    output = process.log()
    assert code != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_a_second_sqlite_instance_is_refused_in_one_line(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    env = {"ONEDOOR_LOG_FORMAT": "text"}
    first_dir, other_dir = tmp_path / "var", tmp_path / "elsewhere"
    port = free_port_block(4)
    first = _intake("first", first_dir, port, nats_server, env, tmp_path)
    started = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", timeout=90, process=first)
        assert first.process is not None
        pid = first.process.pid

        same = _refused(_intake("same-dir", first_dir, port + 1, nats_server, env, tmp_path))
        assert "intake" in same and str(first_dir.resolve()) in same, same
        assert f"pid {pid}" in same and "PostgreSQL" in same, same

        other = _refused(_intake("other-dir", other_dir, port + 2, nats_server, env, tmp_path))
        assert "intake" in other and str(first_dir.resolve()) in other, other
        assert f"pid {pid}" in other and "PostgreSQL" in other, other

        # A crash leaves its lock file and its record on NATS: the same directory starts again.
        first.stop(signal.SIGKILL)
        again = _intake("again", first_dir, port + 3, nats_server, env, tmp_path)
        started.append(again)
        wait_ready(f"http://127.0.0.1:{port + 3}", timeout=90, process=again)
        assert "PostgreSQL" in _refused(
            _intake("other-again", other_dir, port + 2, nats_server, env, tmp_path))
    finally:
        for process in (first, *started):
            process.stop()


@pytest.mark.postgres
def test_postgresql_instances_of_a_service_run_together(
    backend: Backend, nats_server: NatsServer, tmp_path: Path
) -> None:
    if backend.kind != "postgres":
        pytest.skip("several instances are for PostgreSQL")
    port = free_port_block(2)
    processes = [_intake(f"pg-{n}", tmp_path / f"var{n}", port + n, nats_server, backend.env(),
                         tmp_path) for n in range(2)]
    try:
        for n, process in enumerate(processes):
            wait_ready(f"http://127.0.0.1:{port + n}", timeout=90, process=process)
    finally:
        for process in processes:
            process.stop()
