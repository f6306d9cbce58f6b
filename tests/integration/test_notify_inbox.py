"""A window account's inbox in notify (GET /api/v1/inbox), on a real nats-server with intake,
routing and notify in this process: the notices sent to the caller's window inbox only,
newest first, a page at a time; no other role reads an inbox."""

import random
from typing import Any

from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.notify.app import create_app as create_notify
from services.routing.app import create_app as create_routing
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

SOME_MISSING = ["id_card", "household_register", "application_form"]  # housing_proof is not


async def test_the_inbox_lists_the_callers_own_notices_newest_first(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake, running(create_routing(settings)), \
            running(create_notify(settings)) as notify:
        ids = []
        for _ in range(2):
            body = application(rng, ["housing_aid"], received_by="inbox-a",
                               materials=SOME_MISSING)
            created = await intake.post("/api/v1/applications", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        await intake.staff.account("inbox-b", Role.window)
        moved = await intake.post(f"/api/v1/applications/{ids[0]}/handover", json={
            "from_staff": "inbox-a", "to_staff": "inbox-b", "reason": "调岗"})
        assert moved.status_code == 200, moved.text

        mine, theirs = notify.as_("inbox-a", Role.window), notify.as_("inbox-b", Role.window)

        async def inbox_of(client: Any, count: int, **params: Any) -> dict[str, Any]:
            async def arrived() -> dict[str, Any]:
                answer = await client.get("/api/v1/inbox", params=params)
                assert answer.status_code == 200, answer.text
                assert answer.json()["total"] == count, answer.json()
                return answer.json()

            return await eventually_async(arrived, timeout=20)

        a = await inbox_of(mine, 2)
        assert [n["application_id"] for n in a["items"]] == [ids[1], ids[0]]  # newest first
        assert {n["kind"] for n in a["items"]} == {"materials"}
        assert all(n["recipient"] == "inbox-a" and n["channel"] == "window_inbox"
                   and n["sent_at"].endswith("+08:00") for n in a["items"])
        paged = await inbox_of(mine, 2, offset=1, limit=1)
        assert [n["application_id"] for n in paged["items"]] == [ids[0]]
        assert (paged["offset"], paged["limit"]) == (1, 1)

        b = await inbox_of(theirs, 1)
        (handed,) = b["items"]
        assert handed["kind"] == "handover" and handed["application_id"] == ids[0]
        assert "inbox-a" in handed["text"] and handed["recipient"] == "inbox-b"

        assert (await notify.get("/api/v1/inbox")).status_code == 403  # a supervisor
        department = notify.as_("inbox-dept", Role.department, department="housing")
        assert (await department.get("/api/v1/inbox")).status_code == 403
        async with notify.anonymous() as nobody:
            assert (await nobody.get("/api/v1/inbox")).status_code == 401
        assert (await mine.get("/api/v1/inbox", params={"limit": 500})).status_code == 422
