"""At rest: each process's CPU and memory read from /proc — a fake one, and this very process."""

import os
from pathlib import Path

import pytest

from bench import at_rest
from services.launcher.topology import topology

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _process(proc: Path, pid: int, argv: list[str], *, ticks: tuple[int, int] = (0, 0),
             pages: int = 0, comm: str = "python3") -> None:
    d = proc / str(pid)
    d.mkdir(parents=True)
    (d / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
    # fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    rest = ["S", "1", "1", "1", "0", "-1", "0", "0", "0", "0", "0", str(ticks[0]),
            str(ticks[1]), "0", "0", "20", "0", "1", "0", "100"]
    (d / "stat").write_text(f"{pid} ({comm}) {' '.join(rest)}\n")
    (d / "statm").write_text(f"{pages * 3} {pages} 10 1 0 {pages} 0\n")
    (d / "status").write_text(f"Name:\t{comm}\nVmHWM:\t  {pages * PAGE // 1024 * 2} kB\n")


def _run(service: str, port: int) -> list[str]:
    return ["/venv/bin/python", "-m", "services.launcher", "run", *service.split(), "--http-port",
            str(port)]


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    _process(root, 100, ["/venv/bin/nats-server", "-c", "/d/nats/nats.conf", "-p", "4333"])
    _process(root, 101, _run("intake", 9000), ticks=(3 * TICK, TICK), pages=1000)
    _process(root, 102, _run("department education", topology(9000)[2].port))
    _process(root, 103, _run("intake", 8000))  # another system
    _process(root, 104, ["/venv/bin/nats-server", "-p", "4222"])  # another system's NATS
    _process(root, 105, ["/usr/bin/vim", "--http-port", "9000"])  # not ours
    (root / "self").mkdir()
    (root / "106").mkdir()  # gone before its command line was read
    return root


def test_the_processes_of_a_run_are_found_by_their_ports(proc: Path) -> None:
    assert at_rest.find_processes(9000, 4333, proc) == {
        "nats-server": 100, "intake": 101, "dept-education": 102}


def test_cpu_and_memory_are_read_from_stat_and_statm(proc: Path) -> None:
    assert at_rest.cpu_seconds(101, proc) == pytest.approx(4.0)
    assert at_rest.rss_mb(101, proc) == pytest.approx(1000 * PAGE / 1024 / 1024)
    assert at_rest.peak_rss_mb(101, proc) == pytest.approx(2 * 1000 * PAGE / 1024 / 1024, rel=0.01)


def test_a_command_name_with_spaces_and_parentheses_is_read_right(tmp_path: Path) -> None:
    _process(tmp_path, 7, ["x"], ticks=(TICK, 2 * TICK), comm="a b) (c")

    assert at_rest.cpu_seconds(7, tmp_path) == pytest.approx(3.0)


def test_usage_is_the_share_of_one_core_over_the_window(proc: Path) -> None:
    processes = {"intake": 101, "dept-education": 102, "gone": 999}
    before = {"intake": 4.0, "dept-education": 0.0, "gone": 1.0}
    after = {"intake": 4.5, "dept-education": 0.1}

    found = at_rest.usage(processes, before, after, 10.0, proc)

    assert [(u.name, round(u.cpu_percent, 3)) for u in found] == [
        ("intake", 5.0), ("dept-education", 1.0)]
    assert at_rest.total_cpu_percent(found) == pytest.approx(6.0)
    assert at_rest.table(found)[-1].startswith("total")


def test_a_process_that_ended_is_left_out(proc: Path) -> None:
    assert at_rest.cpu_of({"intake": 101, "gone": 999}, proc) == {"intake": 4.0}


def test_this_very_process_reads_as_a_running_one() -> None:
    pid = os.getpid()
    sum(range(200_000))  # some CPU of our own

    assert at_rest.cpu_seconds(pid) > 0
    assert 1 < at_rest.rss_mb(pid) <= at_rest.peak_rss_mb(pid) + 1
    [me] = at_rest.measure({"me": pid}, 0.01)
    assert me.name == "me" and me.cpu_percent >= 0 and me.rss_mb > 1
