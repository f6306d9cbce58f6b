"""``onedoor status`` against the running system, and against nothing at all."""

import subprocess
import sys

import pytest

from services.launcher.topology import topology
from tests.e2e.conftest import System
from tests.support.processes import free_port_block


def _status(http_port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.launcher", "status", "--http-port", str(http_port),
         *extra], capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_status_reports_every_service_ready_with_its_consumers(system: System) -> None:
    # The consumers are the ops API's: status sends the ops token `up` left in the data dir.
    result = _status(system.http_port, "--data-dir", str(system.data_dir))

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SERVICE", "STATE", "CONSUMER", "PENDING", "ACK", "PENDING",
                                "LAG", "DETAIL"]
    states, lags = _table(lines[1:-1])
    assert states == {spec.name: "ready" for spec in topology(system.http_port)}, result.stdout
    # Every consumer has its row, with its lag as a number (the server answered).
    assert {"intake-routed", "department-education", "routing", "notify-decided"} <= set(lags)
    assert all(lag.isdigit() for lag in lags.values()), result.stdout
    n = len(topology(system.http_port))
    assert lines[-1] == f"{n} of {n} service(s) ready"


def _table(rows: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(service -> state, consumer -> lag) from the table's rows."""
    states, lags = {}, {}
    for row in rows:
        cells = row.split()
        if not row.startswith(" "):  # a service's first row: SERVICE STATE CONSUMER ...
            states[cells[0]] = cells[1]
            cells = cells[2:]
        lags[cells[0]] = cells[3]
    return states, lags


def test_status_exits_1_when_services_are_unreachable() -> None:
    result = _status(free_port_block(10))

    assert result.returncode == 1
    body = result.stdout.splitlines()[1:-1]
    assert len(body) == 10 and all(line.split()[1] == "unreachable" for line in body), result.stdout
    assert result.stdout.splitlines()[-1] == "0 of 10 service(s) ready"
