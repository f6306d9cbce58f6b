"""One application through every service, each its own process, on a real nats-server."""

import json
import random

import httpx

from services.common.masking import mask_name
from tests.e2e.conftest import System
from tests.support.factories import application
from tests.support.waiting import eventually


def _task_for(http: httpx.Client, base: str, application_id: str) -> dict:
    def find() -> dict | None:
        tasks = http.get(f"{base}/api/v1/tasks", params={"status": "assigned"}).json()["items"]
        return next((t for t in tasks if t["application_id"] == application_id), None)

    return eventually(find, timeout=30)


def test_window_to_departments_and_back(system: System, http: httpx.Client,
                                        rng: random.Random) -> None:
    body = application(rng, ["dibao", "education_aid", "medical_aid"])
    created = http.post(f"{system.intake}/api/v1/applications", json=body)
    assert created.status_code == 201, created.text
    app = created.json()
    assert app["receipt_no"].startswith("YD")
    assert [i["item"] for i in app["items"]] == ["dibao", "education_aid", "medical_aid"]

    reason = "家庭成员中无在读学生，不符合教育救助条件"
    decisions = {
        "civil_affairs": {"outcome": "approved", "amount": "1350.00", "decided_by": "mz-01"},
        "education": {"outcome": "rejected", "reason": reason, "decided_by": "jy-02"},
        "medical": {"outcome": "approved", "amount": "800.00", "decided_by": "yb-03"},
    }
    for department, decision in decisions.items():
        base = system.department(department)
        task = _task_for(http, base, app["id"])
        assert task["due_at"] and task["application_id"] == app["id"]
        # Only accepted tasks can be decided, and a refusal needs its reason.
        assert http.post(f"{base}/api/v1/tasks/{task['id']}/decision", json=decision).status_code == 409
        # 低保: acceptance, preliminary review and confirmation by three people (002 §一).
        accepted = http.post(f"{base}/api/v1/tasks/{task['id']}/accept",
                             json={"by": decision["decided_by"] + "a"})
        assert accepted.json()["status"] == "accepted"
        if accepted.json()["separation_of_duties"]:
            reviewed = http.post(f"{base}/api/v1/tasks/{task['id']}/review",
                                 json={"by": decision["decided_by"] + "r", "opinion": "符合条件"})
            assert reviewed.status_code == 200, reviewed.text
        if decision["outcome"] == "rejected":
            refused = http.post(f"{base}/api/v1/tasks/{task['id']}/decision",
                                json=decision | {"reason": ""})
            assert refused.status_code == 422
            assert refused.json()["error"]["fields"][0]["field"] == "reason"
        decided = http.post(f"{base}/api/v1/tasks/{task['id']}/decision", json=decision)
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "decided"

    def completed() -> dict:
        view = http.get(f"{system.intake}/api/v1/applications/{app['id']}").json()
        assert view["status"] == "completed", view["status"]
        assert len([n for n in view["notifications"] if n["kind"] == "completion"]) == 2
        return view

    view = eventually(completed, timeout=30)
    assert view["outcome"] == "partially_approved"
    by_item = {i["item"]: i for i in view["items"]}
    assert by_item["dibao"]["decision"]["outcome"] == "approved"
    assert float(by_item["dibao"]["decision"]["amount"]) == 1350.0
    assert by_item["education_aid"]["decision"] == by_item["education_aid"]["decision"] | {
        "outcome": "rejected", "reason": reason, "decided_by": "jy-02"}
    assert by_item["medical_aid"]["decision"]["decided_by"] == "yb-03"
    assert all(i["status"] == "decided" and i["due_at"] for i in view["items"])

    sms = [n for n in view["notifications"] if n["channel"] == "sms"]
    assert {n["recipient"] for n in sms} == {"+86" + body["applicant"]["phone"]}
    refusal = next(n for n in sms if "教育救助" in n["text"] and n["kind"] == "decision")
    assert reason in refusal["text"] and body["applicant"]["name"] in refusal["text"]
    closing = next(n for n in sms if n["kind"] == "completion")
    assert "已全部办结" in closing["text"] and app["receipt_no"] in closing["text"]
    window = [n for n in view["notifications"] if n["channel"] == "window_inbox"]
    assert {n["recipient"] for n in window} == {body["received_by"]}
    # One notice per decision and channel, and one closing notice per channel: nothing twice.
    assert len(view["notifications"]) == 8

    events = [(h["event"], h["department"]) for h in view["history"]]
    for department in decisions:
        assert ("assigned", department) in events and ("decided", department) in events
    assert events[0] == ("received", None) and ("completed", None) in events

    # The default SMS adapter recorded what it would have sent, the applicant's name and
    # number masked.
    recorded = [json.loads(line) for line in
                (system.data_dir / "sms-sent.jsonl").read_text(encoding="utf-8").splitlines()]
    name = body["applicant"]["name"]
    assert {r["text"] for r in recorded} == {
        n["text"].replace(name, mask_name(name)) for n in sms}
    assert {r["recipient"] for r in recorded} == {
        f"+86{body['applicant']['phone'][:3]}****{body['applicant']['phone'][-4:]}"}
