"""A second decision for a task already decided, on a real nats-server: the first decision
stands everywhere it is consumed (intake's view, notify's notices, routing's ledger); the same
decision again is a no-op; a different one changes nothing and is a dead letter for the ops
team, with the reason and no personal data in its preview."""

import json
import random
import uuid
from decimal import Decimal

import httpx
import nats

from contracts import TaskDecidedMessage, subjects
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.inprocess import in_process
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


async def test_a_later_different_decision_is_a_conflict_and_changes_nothing(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with in_process(backend, nats_server, "education") as system:
        body = application(rng, ["education_aid"])
        created = await system.intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        task = await system.task_of("education", app_id)
        education = system.departments["education"]
        assert (await education.post(f"/api/v1/tasks/{task['id']}/accept",
                                     json={"by": "jy-01"})).status_code == 200
        decided = await education.post(f"/api/v1/tasks/{task['id']}/decision", json={
            "outcome": "approved", "amount": "500", "decided_by": "jy-02"})
        assert decided.status_code == 200, decided.text

        def all_told(view: dict) -> bool:
            return view["status"] == "completed" and len(view["notifications"]) == 4

        before = await system.until(app_id, all_told)
        notices = (await system.notify.get(f"/api/v1/applications/{app_id}/notices")).json()
        ledger = (await system.routing.get(f"/api/v1/applications/{app_id}/ledger")).json()

        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        subject = subjects.for_department(subjects.TASK_DECIDED, "education")
        first = json.loads((await js.get_last_msg(subjects.STREAM, subject)).data)
        assert first["payload"]["task_id"] == task["id"]

        async def again(**changes: object) -> None:
            """The first decision published again under a new message id, with ``changes``."""
            message = TaskDecidedMessage.model_validate(
                first | {"message_id": uuid.uuid4().hex,
                         "payload": first["payload"] | changes})
            await js.publish(subject, message.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": message.message_id})

        name = body["applicant"]["name"]
        await again()  # a duplicate under another id: a no-op
        await again(outcome="rejected", amount=None,
                    reason=f"申请人{name}家庭收入超过标准", decided_by="jy-03")
        await again(amount=str(Decimal("800")))
        await nc.close()

        expected = {"intake": (system.intake, 2), "notify": (system.notify, 2),
                    "routing": (system.routing, 2)}
        for service, (client, count) in expected.items():
            letters = await eventually_async(
                lambda c=client, n=count: _letters(c, n), timeout=20)
            for letter in letters:
                assert letter["consumer"].endswith("decided"), letter
                assert task["id"] in letter["error"] and "conflict" in letter["error"], letter
                assert letter["subject"] == subject
                # Inspectable without exposing the applicant: no name, identity or phone.
                for personal in (name, body["applicant"]["id_number"],
                                 body["applicant"]["phone"]):
                    assert personal not in letter["data_preview"], letter
                    assert personal not in letter["error"], letter
            errors = " ".join(letter["error"] for letter in letters)
            assert "rejected" in errors, (service, errors)
            assert "800" in errors, (service, errors)

        # The first decision stands: the view, the notices and the ledger are as they were.
        after = await system.view(app_id)
        assert after == before
        decision = after["items"][0]["decision"]
        assert (decision["outcome"], Decimal(decision["amount"]), decision["decided_by"]) == (
            "approved", Decimal(500), "jy-02")
        assert [h["event"] for h in after["history"]].count("decided") == 1
        assert (await system.notify.get(f"/api/v1/applications/{app_id}/notices")).json() \
            == notices
        assert (await system.routing.get(f"/api/v1/applications/{app_id}/ledger")).json() \
            == ledger


async def _letters(client: httpx.AsyncClient, count: int) -> list[dict]:
    letters = (await client.as_(role="ops").get("/api/v1/ops/dead-letters")).json()
    assert len(letters) == count, letters
    return letters
