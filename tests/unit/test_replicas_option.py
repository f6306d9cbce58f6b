"""``onedoor up --replicas``: what a count means, where each copy listens, and the one line
(Chinese and English) that refuses copies on SQLite before anything starts."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services.launcher import replicas
from services.launcher.preflight import CONFIG_ERROR, ConfigError
from services.launcher.topology import SIZE, topology
from tests.support.processes import free_port_block

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = {s.name for s in topology(8000) if s.service == "department"}


def test_department_counts_every_department_and_a_named_one_overrides_it() -> None:
    counts = replicas.parse("civil_affairs=2,department=3,intake=2", topology(8000))
    assert counts == {**dict.fromkeys(DEPARTMENTS, 3), "dept-civil_affairs": 2, "intake": 2}
    assert replicas.parse("dept-window=2", topology(8000)) == {"dept-window": 2}
    assert replicas.parse(None, topology(8000)) == {}


@pytest.mark.parametrize("text", ["department", "intake=two", "intake=0", "intake=99",
                                  "payroll=2"])
def test_a_wrong_count_or_name_is_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as refused:
        replicas.parse(text, topology(8000))
    assert "\n" not in str(refused.value) and text.partition("=")[0] in str(refused.value)


def test_copies_share_the_service_port_and_each_has_its_own_after_the_ten() -> None:
    specs = topology(8000)
    processes = replicas.expand(specs, {"intake": 2, "dept-education": 3})
    intake = [p for p in processes if p.name == "intake"]
    education = [p for p in processes if p.name == "dept-education"]
    assert [p.port for p in intake] == [8000, 8000]
    assert [p.own_port for p in intake + education] == list(range(8000 + SIZE, 8000 + SIZE + 5))
    assert [p.label for p in education] == ["dept-education.1", "dept-education.2",
                                            "dept-education.3"]
    assert "--instance-port" in education[2].run_args()
    alone = next(p for p in processes if p.name == "routing")
    assert alone.label == "routing" and "--instance-port" not in alone.run_args()
    assert len(processes) == len(specs) + 3
    assert replicas.readiness_urls(intake) == ["http://127.0.0.1:8010", "http://127.0.0.1:8011"]
    shown = "\n".join(replicas.listing(processes))
    assert "http://127.0.0.1:8000  ×2 (each copy also on :8010, :8011)" in shown


def test_copies_on_sqlite_are_refused_in_one_line_of_chinese_and_english(tmp_path: Path) -> None:
    base = free_port_block(SIZE)
    done = subprocess.run(
        [sys.executable, "-m", "services.launcher", "up", "--data-dir", str(tmp_path),
         "--http-port", str(base), "--replicas", "department=3,intake=2"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == CONFIG_ERROR
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "PostgreSQL" in lines[0] and "SQLite" in lines[0] and "副本" in lines[0]
    assert "OneDoor" not in done.stdout  # nothing started, nothing listed


def test_the_copies_of_a_service_serve_one_port_and_each_its_own() -> None:
    shared = free_port_block(3)
    own_a, own_b = shared + 1, shared + 2
    first = replicas.sockets("127.0.0.1", shared, own_a)
    second = replicas.sockets("127.0.0.1", shared, own_b)
    try:
        for sock in first + second:
            sock.listen()
        with pytest.raises(ConfigError, match=str(own_a)):  # a copy's own port is its alone
            replicas.sockets("127.0.0.1", shared, own_a)
        with socket.create_connection(("127.0.0.1", shared), timeout=5):
            pass
        plain = socket.socket()  # a process not sharing the port keeps the copies out
        plain.bind(("127.0.0.1", own_b + 1))
        plain.listen()
        with pytest.raises(ConfigError, match="does not share"):
            replicas.sockets("127.0.0.1", own_b + 1, free_port_block(1))
        plain.close()
    finally:
        for sock in first + second:
            sock.close()
