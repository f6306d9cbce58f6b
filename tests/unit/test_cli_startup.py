"""``onedoor up`` and ``onedoor run`` refuse a bad configuration at once, in one line.

A wrong region or a port already taken is found before anything starts; a child that still
meets a configuration error exits with its own code and is not restarted in a loop.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.policy import known_regions
from services.launcher.preflight import CONFIG_ERROR
from services.launcher.supervisor import Supervisor
from services.launcher.topology import SIZE, topology
from tests.support.processes import free_port_block

ROOT = Path(__file__).resolve().parents[2]


def _onedoor(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``onedoor ARGS`` to its end; a run still going after ``timeout`` (the bug: children
    restarted for ever) is stopped with its whole process group and fails the test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "services.launcher", *args], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # a child deaf to Ctrl-C: no survivor either way
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        pytest.fail(f"onedoor {' '.join(args)} was still running after {timeout}s:\n{out[-3000:]}"
                    f"\n{err[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture
def taken_port() -> Iterator[tuple[int, socket.socket]]:
    """A block of ports for the system, one of them (a department's) held by someone else."""
    base = free_port_block(SIZE)
    holder = socket.socket()
    holder.bind(("127.0.0.1", base + 3))
    holder.listen()
    try:
        yield base, holder
    finally:
        holder.close()


def _up(tmp_path: Path, *extra: str, http_port: int | None = None) -> subprocess.CompletedProcess[str]:
    return _onedoor("up", "--data-dir", str(tmp_path / "var"),
                    "--http-port", str(http_port or free_port_block(SIZE)),
                    "--nats-port", str(free_port_block(1)), *extra)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_up_with_an_unknown_region_names_the_regions_and_starts_nothing(tmp_path: Path) -> None:
    result = _up(tmp_path, "--region", "nowhere")

    assert result.returncode == CONFIG_ERROR
    line = _one_line(result)
    assert "nowhere" in line
    assert all(region in line for region in known_regions()), line
    assert not (tmp_path / "var" / "nats").exists(), "NATS was started for a run that cannot work"


def test_up_with_an_invalid_policy_file_names_the_file(tmp_path: Path) -> None:
    policy = tmp_path / "my-town.toml"
    policy.write_text('region = "my-town"\nname = "某镇"\n', encoding="utf-8")

    result = _up(tmp_path, "--region", str(policy))

    assert result.returncode == CONFIG_ERROR
    line = _one_line(result)
    assert str(policy) in line and "onedoor policy check" in line, line


def test_up_with_a_port_taken_names_the_port_and_the_service_that_needs_it(
    tmp_path: Path, taken_port: tuple[int, socket.socket]
) -> None:
    base, _ = taken_port
    needs_it = next(s.name for s in topology(base) if s.port == base + 3)

    result = _up(tmp_path, http_port=base)

    assert result.returncode == CONFIG_ERROR
    line = _one_line(result)
    assert f"port {base + 3} (for {needs_it}) is already in use" in line, line
    assert not (tmp_path / "var" / "nats").exists()


def test_run_with_an_unknown_region_says_so_in_one_line(tmp_path: Path) -> None:
    result = _onedoor("run", "intake", "--region", "nowhere", "--data-dir", str(tmp_path),
                      "--http-port", str(free_port_block(1)))

    assert result.returncode == CONFIG_ERROR
    line = _one_line(result)
    assert "nowhere" in line and "default" in line, line


def test_run_on_a_taken_port_says_so_in_one_line(tmp_path: Path,
                                                  taken_port: tuple[int, socket.socket]) -> None:
    base, _ = taken_port
    result = _onedoor("run", "department", "hrss", "--data-dir", str(tmp_path),
                      "--http-port", str(base + 3), "--nats-url", "nats://127.0.0.1:1")

    assert result.returncode == CONFIG_ERROR
    assert f"port {base + 3} is already in use" in _one_line(result)


async def test_supervisor_does_not_restart_a_child_with_a_configuration_error() -> None:
    supervisor = Supervisor()
    child = supervisor.add("dept-x", [sys.executable, "-c",
                                      "import sys; print('starting'); "
                                      "print('onedoor run: no policy for region x', file=sys.stderr); "
                                      f"sys.exit({CONFIG_ERROR})"])
    await supervisor.start(child)

    await asyncio.wait_for(supervisor.stopping.wait(), 30)

    assert child.restarts == 0
    assert supervisor.failure == ("dept-x", "onedoor run: no policy for region x")
    await supervisor.stop()
