"""Every time a person sees is Beijing time: after a small flow through every service, each
JSON answer of each read endpoint carries ``+08:00`` times only, and texts (history, notices,
error messages) name Beijing times, never UTC ones."""

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats

from contracts import subjects
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import InProcessSystem, in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

# A Monday morning in Shanghai, away from holidays; 01:00 UTC is 09:00 in Beijing, so a UTC
# rendering of any moment of the flow shows another hour (and often another day).
MONDAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)

# A whole value that is a date and time (as JSON serialises a datetime).
DATETIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
# A date and time inside a text, with its offset if it has one.
DATETIME_IN_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2}|\s*UTC)?")

# Values for the parameters of read endpoints, by name; a new endpoint with a path parameter or
# a required query parameter not named here makes the test fail until it is added.
def _parameters(flow: dict[str, str]) -> dict[str, str]:
    return {
        "application_id": flow["application_id"], "task_id": flow["task_id"],
        "receipt_no": flow["receipt_no"], "item": "dibao",
        "received_at": "2026-09-30T17:00:00+08:00", "from": "2026-03-01", "to": "2026-03-31",
    }


def _walk(value: Any, where: str) -> list[str]:
    """Every string in a JSON value whose time is not Beijing time, with where it is."""
    problems: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            problems += _walk(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            problems += _walk(inner, f"{where}[{n}]")
    elif isinstance(value, str):
        if DATETIME_VALUE.match(value):
            if not value.endswith("+08:00"):
                problems.append(f"{where} = {value!r}")
        else:
            for match in DATETIME_IN_TEXT.finditer(value):
                offset = (match.group(1) or "").strip()
                if offset and offset != "+08:00":
                    problems.append(f"{where}: text names a non-Beijing time: {value!r}")
    return problems


async def _get_everything(name: str, client: httpx.AsyncClient, flow: dict[str, str],
                          ) -> tuple[list[str], int]:
    """GET every read endpoint the service documents; (problems, endpoints read)."""
    document = (await client.get("/openapi.json")).json()
    values = _parameters(flow)
    problems, read = [], 0
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        params, url = {}, path
        for p in get.get("parameters", []):
            if p["in"] == "path" or p.get("required"):
                assert p["name"] in values, f"{name} {path}: give the test a value for {p['name']}"
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", values[p["name"]])
                else:
                    params[p["name"]] = values[p["name"]]
        # Accounts are the admin's, the audit trail the supervisors', the inbox the window's;
        # the rest the client's own.
        role = next((r for prefix, r in (("/api/v1/accounts", "admin"),
                                          ("/api/v1/audit", "supervisor"),
                                          ("/api/v1/inbox", "window"))
                     if path.startswith(prefix)), None)
        asking = client.as_(role=role) if role else client
        response = await asking.get(url, params=params)
        assert response.status_code in (200, 404), (name, url, response.text)
        read += 1
        if "json" in response.headers.get("content-type", ""):
            problems += _walk(response.json(), f"{name} GET {url}")
    return problems, read


async def test_every_time_shown_is_beijing_time(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "education", "civil_affairs",
                          start=MONDAY) as system:
        # A decided application (view, notices, ledger, history) ...
        decided = await _submit(system, application(rng, ["education_aid"]))
        task = await system.task_of("education", decided["id"])
        education = system.departments["education"]
        assert (await education.post(f"/api/v1/tasks/{task['id']}/accept",
                                     json={"by": "jy-01"})).status_code == 200
        outcome = await education.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "500", "decided_by": "jy-02"})
        assert outcome.status_code == 200, outcome.text
        await system.until(decided["id"], lambda v: v["status"] == "completed")

        # ... one still open, whose extension past the policy's limit is refused ...
        waiting = await _submit(system, application(rng, ["dibao"]))
        open_task = await system.task_of("civil_affairs", waiting["id"])
        refused = await system.routing.post("/api/v1/supervision/extensions", json={
            "task_id": open_task["id"], "extend_by": {"working_days": 30},
            "approved_by": "center_director", "reason": "家庭经济状况核对超过15日"})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        # The ceiling is 20 + 10 working days after Monday 9 March (Qingming skipped): Tuesday
        # 21 April, 23:59:59 in Beijing (15:59:59 UTC).
        assert "2026-04-21" in error["message"] and "2026-04-21" in error["message_zh"], error
        assert "23:59" in error["message"] and "23:59" in error["message_zh"], error
        assert "15:59" not in error["message"] + error["message_zh"], error
        assert _walk(error, "extension error") == []

        # ... overdue later, so supervision raises alerts (and notify tells the supervisor) ...
        system.clock.set(MONDAY + timedelta(days=5))
        await eventually_async(lambda: _has(system.routing, "/api/v1/supervision/alerts"),
                               timeout=20)

        # ... and a dead letter in every service.
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        await js.publish(subjects.for_department(subjects.TASK_DECIDED, "education"),
                         b'{"message_id": 1}')
        await js.publish(subjects.for_department(subjects.TASK_ASSIGNED, "education"),
                         b'{"message_id": 2}')
        await nc.close()
        clients = {"intake": system.intake, "routing": system.routing, "notify": system.notify,
                   **{f"dept-{n}": c for n, c in system.departments.items()}}
        for client in (system.intake, system.routing, system.notify, education):
            await eventually_async(lambda c=client: _has(c, "/api/v1/ops/dead-letters"),
                                   timeout=20)

        flows = [{"application_id": decided["id"], "task_id": task["id"],
                  "receipt_no": decided["receipt_no"]},
                 {"application_id": waiting["id"], "task_id": open_task["id"],
                  "receipt_no": waiting["receipt_no"]}]
        problems, read = [], 0
        for flow in flows:
            for name, client in clients.items():
                found, n = await _get_everything(name, client, flow)
                problems += found
                read += n
        assert read >= 60
        assert problems == [], "\n".join(problems)

        # The history names the due time as a person reads it, in Beijing time.
        view = await system.view(decided["id"])
        (routed,) = [h["detail"] for h in view["history"] if h["event"] == "assigned"]
        assert "2026-03-30 23:59" in routed, routed


async def _submit(system: InProcessSystem, body: dict) -> dict:
    response = await system.intake.post("/api/v1/applications", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _has(client: httpx.AsyncClient, path: str) -> bool:
    response = await client.get(path)
    assert response.status_code == 200 and response.json(), (path, response.text)
    return True
