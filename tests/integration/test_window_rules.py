"""The window's duties on a real nats-server, intake, routing and notify in this process:
the one-time notice of missing materials and the supplement, refusal at the door with a
receipt, referral, and the first receiver's hand-over."""

import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx

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


@contextlib.asynccontextmanager
async def window(backend: Backend, nats_server: NatsServer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake, running(create_routing(settings)), \
            running(create_notify(settings)):
        yield intake


async def _view(intake: httpx.AsyncClient, app_id: str) -> dict[str, Any]:
    return (await intake.get(f"/api/v1/applications/{app_id}")).json()


async def _notices(intake: httpx.AsyncClient, app_id: str, kind: str, count: int) -> list[dict]:
    async def arrived() -> list[dict]:
        found = [n for n in (await _view(intake, app_id))["notifications"] if n["kind"] == kind]
        assert len(found) >= count, found
        return found

    return await eventually_async(arrived, timeout=20)


async def test_missing_materials_are_told_once_and_the_supplement_moves_it_on(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with window(backend, nats_server) as intake:
        body = application(rng, ["dibao", "medical_aid"])
        # Brings only what the system could check itself, and one of the rest.
        body["materials"] = ["id_card", "household_register", "application_form"]
        created = await intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        view = created.json()
        app_id = view["id"]
        assert view["status"] == "awaiting_materials"
        assert view["receipt_no"].startswith("YD")  # a receipt, whatever is missing
        missing = {m["code"]: m for m in view["missing_materials"]}
        # id_card and household_register are never demanded: the system verifies them.
        assert set(missing) == {"economic_check_authorization", "income_proof",
                                "medical_records"}
        assert missing["medical_records"]["items"] == ["medical_aid"]
        assert view["received_at"].endswith("+08:00")  # shown in Shanghai time

        sms, window_copy = sorted(await _notices(intake, app_id, "materials", 2),
                                  key=lambda n: n["channel"])
        assert sms["channel"] == "sms"
        for name in ("家庭经济状况核对授权书", "家庭收入证明", "住院病历及医疗费用票据"):
            assert name in sms["text"]  # every missing material in the one notice
        assert "居民身份证" not in sms["text"]
        assert window_copy["recipient"] == body["received_by"]

        # Nothing is routed while materials are missing.
        assert all(i["status"] == "pending" for i in view["items"])

        partial = await intake.post(f"/api/v1/applications/{app_id}/materials",
                                    json={"received_by": body["received_by"],
                                          "materials": ["income_proof"]})
        assert partial.status_code == 200, partial.text
        assert partial.json()["status"] == "awaiting_materials"
        assert {m["code"] for m in partial.json()["missing_materials"]} == {
            "economic_check_authorization", "medical_records"}

        done = await intake.post(f"/api/v1/applications/{app_id}/materials",
                                 json={"received_by": body["received_by"],
                                       "materials": ["economic_check_authorization",
                                                     "medical_records"]})
        assert done.json()["missing_materials"] == []
        assert done.json()["accepted_at"] is not None

        async def routed() -> dict:
            v = await _view(intake, app_id)
            assert v["status"] == "in_progress" and all(
                i["status"] == "assigned" for i in v["items"]), v["items"]
            return v

        routed_view = await eventually_async(routed, timeout=20)
        assert all(i["due_at"].endswith("+08:00") for i in routed_view["items"])
        # One notice only: no second materials notice was sent.
        assert len([n for n in routed_view["notifications"] if n["kind"] == "materials"]) == 2


async def test_a_request_outside_every_policy_is_refused_in_writing_with_a_receipt(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with window(backend, nats_server) as intake:
        body = application(rng, ["legal_aid"])
        created = await intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        view = created.json()
        assert view["status"] == "refused"
        assert view["receipt_no"]
        (item,) = view["items"]
        assert item["status"] == "refused"
        assert "司法" in item["go_to"] and item["decision"]["reason"]
        sms = [n for n in await _notices(intake, view["id"], "refusal", 2) if n["channel"] == "sms"]
        assert "司法局" in sms[0]["text"]

        # Mixed: the refused item is told, the rest goes on.
        mixed = application(rng, ["legal_aid", "temporary_aid"])
        view = (await intake.post("/api/v1/applications", json=mixed)).json()
        statuses = {i["item"]: i["status"] for i in view["items"]}
        assert statuses["legal_aid"] == "refused"

        async def routed() -> dict:
            v = await _view(intake, view["id"])
            assert {i["item"]: i["status"] for i in v["items"]} == {
                "legal_aid": "refused", "temporary_aid": "assigned"}
            return v

        await eventually_async(routed, timeout=20)
        await _notices(intake, view["id"], "refusal", 2)
        listed = (await intake.get("/api/v1/applications", params={"status": "refused"})).json()
        assert listed["total"] == 1


async def test_a_referral_closes_the_item_and_tells_the_applicant(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with window(backend, nats_server) as intake:
        view = (await intake.post("/api/v1/applications",
                                  json=application(rng, ["charity_referral"]))).json()

        async def completed() -> dict:
            v = await _view(intake, view["id"])
            assert v["status"] == "completed", v["status"]
            return v

        done = await eventually_async(completed, timeout=20)
        (item,) = done["items"]
        assert item["status"] == "referred" and "慈善" in item["go_to"]
        texts = [n["text"] for n in await _notices(intake, view["id"], "referral", 2)]
        assert any("转介" in t for t in texts)


async def test_the_first_receiver_stays_owner_until_a_recorded_hand_over(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    async with window(backend, nats_server) as intake:
        body = application(rng, ["housing_aid"], received_by="window-01")
        view = (await intake.post("/api/v1/applications", json=body)).json()
        assert view["owner"] == "window-01"
        url = f"/api/v1/applications/{view['id']}/handover"

        # The owner is the signed-in account: a colleague of the township may not hand it over.
        wrong = await intake.post(url, json={"from_staff": "window-09", "to_staff": "window-02",
                                             "reason": "换班"})
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "not_the_owner"
        assert wrong.json()["error"]["message_zh"]
        # ... and the colleague handed to must be a window account of the same township.
        nobody = await intake.post(url, json={"from_staff": "window-01", "to_staff": "window-02",
                                              "reason": "调岗"})
        assert nobody.status_code == 422
        assert nobody.json()["error"]["fields"][0]["field"] == "to_staff"
        await intake.staff.account("window-02", Role.window)

        moved = await intake.post(url, json={"from_staff": "window-01", "to_staff": "window-02",
                                             "reason": "调岗，移交同事跟进"})
        assert moved.status_code == 200, moved.text
        assert moved.json()["owner"] == "window-02"
        assert any(h["event"] == "handed_over" and "window-02" in h["detail"]
                   for h in moved.json()["history"])
        mine = (await intake.get("/api/v1/applications", params={"owner": "window-02"})).json()
        assert [a["id"] for a in mine["items"]] == [view["id"]]
        notices = await _notices(intake, view["id"], "handover", 1)
        assert notices[0]["recipient"] == "window-02"
