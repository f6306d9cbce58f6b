"""The commands that answer a question print their answer alone on stdout (it can be piped);
any log line goes to stderr."""

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.launcher.topology import SIZE, topology
from tests.support.processes import free_port_block

ROOT = Path(__file__).resolve().parents[2]
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*\b(DEBUG|INFO|WARNING|ERROR)\b|HTTP Request")

LETTER = {"id": 3, "recorded_at": "2026-11-02T10:00:00+08:00", "replayed_at": None,
          "replay_error": None, "consumer": "routing", "subject": "onedoor.application.submitted",
          "attempts": 8, "error": "ValueError: broken"}
LETTER_AT: set[int] = set()  # the port of the stub service holding it


class _Answers(BaseHTTPRequestHandler):
    """What a ready service answers to the launcher's questions."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        body: object = {"error": {"code": "not_found", "message": "not found",
                                  "message_zh": "未找到", "fields": []}}
        status = 404
        if path == "/ready":
            status, body = 200, {"checks": {"nats": True, "database": True}}
        elif path == "/api/v1/ops/consumers":
            status, body = 200, [{"consumer": "c", "bound": True, "num_pending": 0,
                                  "num_ack_pending": 0, "lag": 0}]
        elif path == "/api/v1/ops/dead-letters":
            status, body = 200, [LETTER] if self.server.server_port in LETTER_AT else []
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def services() -> Iterator[int]:
    """Ten stub services where the system's would listen; the first port."""
    base = free_port_block(SIZE)
    servers = [ThreadingHTTPServer(("127.0.0.1", s.port), _Answers) for s in topology(base)]
    LETTER_AT.clear()
    LETTER_AT.update(s.port for s in topology(base) if s.name == "routing")
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield base
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def _onedoor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.launcher", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _no_log_lines(out: str) -> None:
    found = [line for line in out.splitlines() if LOG_LINE.search(line)]
    assert not found, f"log lines on stdout: {found}"


def test_dead_letters_prints_the_letters_only(services: int) -> None:
    result = _onedoor("dead-letters", "--http-port", str(services))

    assert result.returncode == 0, result.stderr
    _no_log_lines(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("routing:3 ") and "onedoor.application.submitted" in lines[0]
    assert lines[-1] == "1 dead letter(s) pending"
    assert len(lines) == 3, result.stdout


def test_status_prints_the_table_only(services: int) -> None:
    result = _onedoor("status", "--http-port", str(services))

    assert result.returncode == 0, result.stdout + result.stderr
    _no_log_lines(result.stdout)
    assert result.stdout.splitlines()[-1] == f"{SIZE} of {SIZE} service(s) ready"
    assert len(result.stdout.splitlines()) == 1 + SIZE + 1


def test_trace_keeps_log_lines_off_stdout(services: int, tmp_path: Path) -> None:
    result = _onedoor("trace", "0" * 32, "--data-dir", str(tmp_path), "--http-port", str(services))

    _no_log_lines(result.stdout)


def test_deadline_and_policy_print_their_answer_only() -> None:
    deadline = _onedoor("deadline", "--item", "dibao", "--received", "2030-03-02T09:00")
    listing = _onedoor("policy", "list")

    for result in (deadline, listing):
        assert result.returncode == 0, result.stderr
        _no_log_lines(result.stdout)
    assert re.fullmatch(r"2030-\d\d-\d\dT[\d:]+\+08:00", deadline.stdout.splitlines()[0])
    assert "warning" in deadline.stderr  # a year without an official schedule: said on stderr
