"""``onedoor trace``: its table, the spans it gathers, rotated span files, receipt numbers."""

import argparse
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from services.launcher import trace
from services.launcher.natsserver import free_port

APP, OTHER = "a" * 32, "b" * 32
MAIN, LATER = "1" * 32, "2" * 32
T0 = 1_764_547_200_000_000_000  # ns


def span(name: str, trace_id: str = MAIN, *, at_ms: float = 0, took_ms: float = 1,
         service: str = "routing", kind: str = "CONSUMER", **attributes: Any) -> dict[str, Any]:
    start = T0 + int(at_ms * 1e6)
    return {"trace_id": trace_id, "span_id": f"{abs(hash((name, at_ms))):016x}"[:16],
            "parent_id": None, "name": name, "kind": kind, "service": service,
            "start_ns": start, "end_ns": start + int(took_ms * 1e6), "status": "UNSET",
            "attributes": attributes, "links": []}


def fields(line: str) -> list[str]:
    return re.split(r" {2,}", line.strip())


def test_no_two_columns_ever_touch() -> None:
    spans = [
        span("POST /api/v1/applications", service="intake", kind="SERVER",
             **{"onedoor.application_id": APP, "onedoor.department": "window"}),
        # As the span files of the old naming have it: shown as `up` names the process.
        span("onedoor.task.assigned.civil_affairs process", at_ms=12.5, took_ms=123456.7,
             service="department_civil_affairs",
             **{"onedoor.department": "civil_affairs", "messaging.nats.delivery_count": 3}),
        span("onedoor.task.decided.federations process " + "x" * 120, at_ms=99999.9,
             service="a-process-with-a-name-longer-than-any-column-should-be",
             **{"onedoor.department": "federations_and_a_department_code_far_too_long"}),
    ]
    lines = trace.timeline(MAIN, spans)
    assert lines[0] == f"trace {MAIN}"
    assert "department_civil_affairsonedoor" not in "\n".join(lines)
    for line in lines[1:]:
        assert len(fields(line)) == len(trace.COLUMNS), line
    header, _, second, third = (fields(line) for line in lines[1:])
    assert header == ["at (Asia/Shanghai)", "+ms", "took ms", "service", "hop", "department",
                      "retries"]
    assert second[3:] == ["dept-civil_affairs", "onedoor.task.assigned.civil_affairs process",
                          "civil_affairs", "2"]
    assert second[1:3] == ["12.5", "123456.7"]
    # Values past a column's limit are cut, and say so.
    assert third[3].endswith("…") and len(third[3]) == 24
    assert third[4].endswith("…") and third[4].startswith("onedoor.task.decided.federations")
    assert third[5].endswith("…") and len(third[5]) == 16
    # Every line starts its (left-aligned) text columns at the same places.
    starts = {tuple(m.start() for m in re.finditer(r"(?<=  )\S", line))[2:5] for line in lines[1:]}
    assert len(starts) == 1, starts


def test_chinese_text_is_counted_two_columns_wide() -> None:
    lines = trace.table([("2026-12-01 10:00:00.000", "0.0", "1.0", "intake", "初审 review",
                          "民政", "0"),
                         ("2026-12-01 10:00:00.000", "0.0", "1.0", "intake", "accept",
                          "civil", "0")])
    assert [trace.width(line) for line in lines[1:]] == [trace.width(lines[0])] * 2
    assert trace.cut("初审初审初审", 7) == "初审初…"


def test_the_application_and_the_requests_that_acted_on_it() -> None:
    spans = [
        span("POST /api/v1/applications", service="intake", kind="SERVER",
             **{"onedoor.application_id": APP}),
        span("onedoor.application.submitted process", at_ms=5, **{"onedoor.application_id": APP}),
        # A post's hand-over: one request, the tasks of two applications.
        span("POST /api/v1/posts/{post}/away", LATER, at_ms=50, service="dept-civil_affairs",
             kind="SERVER", **{"onedoor.department": "civil_affairs"}),
        span("task reassign", LATER, at_ms=51, kind="INTERNAL", **{"onedoor.application_id": APP}),
        span("task reassign", LATER, at_ms=52, kind="INTERNAL",
             **{"onedoor.application_id": OTHER}),
        span("unrelated", "3" * 32, at_ms=60, **{"onedoor.application_id": OTHER}),
    ]
    main, mine = trace.application_spans(spans, APP)
    assert main == MAIN
    assert [(s["name"], s["attributes"].get("onedoor.application_id")) for s in mine] == [
        ("POST /api/v1/applications", APP), ("onedoor.application.submitted process", APP),
        ("POST /api/v1/posts/{post}/away", None), ("task reassign", APP)]
    assert trace.application_spans(spans, "c" * 32) == ("", [])


def args(data_dir: Path, key: str, http_port: int) -> argparse.Namespace:
    return argparse.Namespace(application_id=key, data_dir=data_dir, http_port=http_port,
                              host="127.0.0.1", all=False)


def write_spans(path: Path, spans: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(s) + "\n" for s in spans))


def test_rotated_span_files_are_read_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_spans(tmp_path / "traces" / "intake.jsonl.1", [
        span("POST /api/v1/applications", service="intake", kind="SERVER",
             **{"onedoor.application_id": APP})])
    write_spans(tmp_path / "traces" / "intake.jsonl", [
        span("onedoor.application.completed process", at_ms=900, service="intake",
             **{"onedoor.application_id": APP})])
    assert trace.run(args(tmp_path, APP, free_port())) == 0
    out = capsys.readouterr().out
    assert "POST /api/v1/applications" in out and "onedoor.application.completed process" in out


class FakeIntake:
    """Answers as intake does for an application by id or receipt number (``by_path``), or
    only through the list's ``receipt_no`` filter, or (``ignores_filter``) lists everything."""

    def __init__(self, receipt: str, *, by_path: bool, ignores_filter: bool = False) -> None:
        self.asked: list[str] = []
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                intake.asked.append(self.path)
                url = urlsplit(self.path)
                one = {"id": APP, "receipt_no": receipt}
                if url.path == f"/api/v1/applications/{receipt}" and by_path:
                    self._answer(200, one)
                elif url.path == "/api/v1/applications":
                    wanted = parse_qs(url.query).get("receipt_no", [None])[0]
                    every = [{"id": OTHER, "receipt_no": "YD20261130-ZZZZZZ"}, one]
                    items = every if ignores_filter else [i for i in every
                                                          if i["receipt_no"] == wanted]
                    self._answer(200, {"items": items, "total": len(items)})
                else:
                    self._answer(404, {"error": {"code": "application_not_found"}})

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RECEIPT = "YD20261201-ABCDEF"


@pytest.fixture
def spans_on_disk(tmp_path: Path) -> Path:
    write_spans(tmp_path / "traces" / "intake.jsonl", [
        span("POST /api/v1/applications", service="intake", kind="SERVER",
             **{"onedoor.application_id": APP})])
    return tmp_path


@pytest.fixture(params=["by path", "by the list's filter"])
def intake(request: pytest.FixtureRequest) -> Iterator[FakeIntake]:
    fake = FakeIntake(RECEIPT, by_path=request.param == "by path")
    yield fake
    fake.close()


def test_a_receipt_number_is_resolved_through_intake(
        spans_on_disk: Path, intake: FakeIntake, capsys: pytest.CaptureFixture[str]) -> None:
    assert trace.run(args(spans_on_disk, RECEIPT, intake.port)) == 0
    out = capsys.readouterr().out
    assert f"{RECEIPT}: application {APP}" in out and f"trace {MAIN}" in out


def test_an_id_with_spans_needs_no_intake(spans_on_disk: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert trace.run(args(spans_on_disk, APP, free_port())) == 0  # nothing listens there
    assert f"trace {MAIN}" in capsys.readouterr().out


def test_an_intake_ignoring_the_filter_resolves_nothing(
        spans_on_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeIntake(RECEIPT, by_path=False, ignores_filter=True)
    try:
        assert trace.resolve(f"http://127.0.0.1:{fake.port}", "YD20260101-NOSUCH") is None
        assert trace.resolve(f"http://127.0.0.1:{fake.port}", RECEIPT) == APP
    finally:
        fake.close()
