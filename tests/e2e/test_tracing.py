"""One trace per application, across every service as its own process; the hand-off timeline."""

import random
import subprocess
import sys

import httpx

from services.common.span_files import read_spans, span_files
from tests.e2e.conftest import System
from tests.e2e.test_full_loop import _task_for
from tests.support.factories import application
from tests.support.waiting import eventually

DEPARTMENTS = ("civil_affairs", "education", "medical")


def spans(system: System) -> list[dict]:
    return list(read_spans(system.data_dir / "traces"))


def test_one_trace_joins_every_hop_and_holds_no_personal_data(
    system: System, http: httpx.Client, rng: random.Random
) -> None:
    body = application(rng, ["temporary_aid", "education_aid", "medical_aid"])
    app = http.post(f"{system.intake}/api/v1/applications", json=body).json()
    for department in DEPARTMENTS:
        base = system.department(department)
        task = _task_for(http, base, app["id"])
        http.post(f"{base}/api/v1/tasks/{task['id']}/accept", json={"by": f"{department}-1"})
        # An account belongs to one department: each decides as one of its own.
        decider = f"{department}-2"
        http.post(f"{base}/api/v1/tasks/{task['id']}/decision",
                  json={"outcome": "rejected", "reason": "收入超过标准", "decided_by": decider}
                  if department == "education" else
                  {"outcome": "approved", "amount": "500", "decided_by": decider})
    eventually(lambda: http.get(f"{system.intake}/api/v1/applications/{app['id']}").json()
               ["status"] == "completed", timeout=30)

    def complete_trace() -> tuple[str, list[dict]]:
        every = spans(system)
        request = next(s for s in every if s["name"] == "POST /api/v1/applications"
                       and s["attributes"].get("onedoor.application_id") == app["id"])
        mine = [s for s in every if s["trace_id"] == request["trace_id"]]
        names = {(s["service"], s["name"]) for s in mine}
        expected = {("routing", "onedoor.application.submitted process")}
        expected |= {(f"dept-{d}", f"onedoor.task.assigned.{d} process") for d in DEPARTMENTS}
        expected |= {("notify", f"onedoor.task.decided.{d} process") for d in DEPARTMENTS}
        expected |= {("intake", "onedoor.notification.sent process"),
                     ("intake", "onedoor.application.completed process"),
                     ("notify", "onedoor.application.completed publish")}
        assert expected <= names, expected - names
        return request["trace_id"], mine

    trace_id, mine = eventually(complete_trace, timeout=30)
    assert all(s["attributes"].get("onedoor.application_id") in (None, app["id"]) for s in mine)

    # Each decision is its own request (another trace), linked to the task's span, and the
    # application's trace goes on from a span linked back to that request.
    def three_decisions() -> tuple[list[dict], list[dict]]:
        # Each process writes its spans in batches: the departments' may come a little later.
        every = spans(system)
        decisions = [s for s in every if s["name"] == "POST /api/v1/tasks/{task_id}/decision"
                     and s["attributes"].get("onedoor.application_id") == app["id"]]
        assert len(decisions) == 3
        decides = [s for s in every if s["trace_id"] == trace_id and s["name"] == "task decide"]
        assert len(decides) == 3
        return every, decisions

    every, decisions = eventually(three_decisions, timeout=30)
    by_id = {s["span_id"]: s for s in every}
    mine = [s for s in every if s["trace_id"] == trace_id]
    for request in decisions:
        assert request["trace_id"] != trace_id
        linked = [by_id[link["span_id"]] for link in request["links"]]
        assert [(s["trace_id"], s["name"].split(" ")[0].rsplit(".", 1)[0]) for s in linked] == [
            (trace_id, "onedoor.task.assigned")]
        decide = [s for s in mine if s["name"] == "task decide"
                  and {link["span_id"] for link in s["links"]} == {request["span_id"]}]
        assert len(decide) == 1

    def whole_timeline() -> str:
        # (spans are written in batches by each process: the last hops may come a little later)
        printed = onedoor_trace(system, app["id"])
        assert f"trace {trace_id}" in printed
        for hop in ("POST /api/v1/applications", "onedoor.application.submitted process",
                    "onedoor.task.assigned.education process",
                    "onedoor.task.decided.medical process", "onedoor.notification.sent publish",
                    "(linked, trace", "POST /api/v1/tasks/{task_id}/accept", "dept-education"):
            assert hop in printed, hop
        return printed

    def settled() -> str:
        printed = whole_timeline()
        assert onedoor_trace(system, app["id"]) == printed  # nothing more is coming
        return printed

    printed = eventually(settled, timeout=60)
    # The receipt number read out at the window finds the same timeline (through intake).
    by_receipt = onedoor_trace(system, app["receipt_no"])
    assert f"{app['receipt_no']}: application {app['id']}" in by_receipt
    assert printed in by_receipt

    personal = [body["applicant"]["name"], body["applicant"]["id_number"],
                body["applicant"]["phone"], "+86" + body["applicant"]["phone"]]
    span_text = "".join(p.read_text(encoding="utf-8")
                        for p in span_files(system.data_dir / "traces"))
    logs = system.process.log()  # every service's log lines, as `onedoor up` shows them
    assert "onedoor.task.decided" in logs or "ready" in logs  # the log is really there
    for value in personal:
        assert value not in span_text
        assert value not in logs


def onedoor_trace(system: System, key: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "services.launcher", "trace", key, "--data-dir",
         str(system.data_dir), "--http-port", str(system.http_port)],
        capture_output=True, text=True, timeout=60, check=True).stdout
