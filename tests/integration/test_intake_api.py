"""Intake's HTTP API on a real database and a real nats-server."""

import random

import nats
from sqlalchemy import func, select

from contracts import subjects
from services.common.settings import Settings
from services.intake.app import create_app
from services.intake.models import MESSAGING
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


def _wrong_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


async def _outbox_count(app) -> int:
    async with app.state.runtime.db.reading() as session:
        return await session.scalar(select(func.count()).select_from(MESSAGING.outbox))


async def test_bad_input_lists_every_error_at_once_and_writes_nothing(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        body = application(rng, ["dibao", "no_such_item"])
        body["applicant"]["id_number"] = _wrong_check_digit(body["applicant"]["id_number"])
        body["household"]["size"] = 0
        body["applicant"]["phone"] = "12345"

        response = await client.post("/api/v1/applications", json=body)

        assert response.status_code == 422
        error = response.json()["error"]
        fields = {f["field"]: f for f in error["fields"]}
        assert {"applicant.id_number", "items.1", "household.size", "applicant.phone"} <= set(fields)
        assert "校验位" in fields["applicant.id_number"]["reason_zh"]
        assert all(f["reason"] and f["reason_zh"] for f in error["fields"])
        assert error["message_zh"]

        empty = await client.post("/api/v1/applications", json=application(rng, ["dibao"]) | {"items": []})
        assert empty.status_code == 422
        assert [f["field"] for f in empty.json()["error"]["fields"]] == ["items"]

        listing = (await client.get("/api/v1/applications")).json()
        assert listing["total"] == 0
        assert await _outbox_count(app) == 0


async def test_retried_post_with_idempotency_key_returns_the_same_application(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        body = application(rng, ["dibao", "medical_aid"])
        key = {"Idempotency-Key": f"window-1-{rng.randrange(10**9)}"}

        first = await client.post("/api/v1/applications", json=body, headers=key)
        again = await client.post("/api/v1/applications", json=body, headers=key)
        other = await client.post("/api/v1/applications",
                                  json=body | {"description": "另一份申请"}, headers=key)

        assert first.status_code == 201
        assert first.headers["location"] == f"/api/v1/applications/{first.json()['id']}"
        assert again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["receipt_no"] == first.json()["receipt_no"]
        assert again.headers["idempotent-replayed"] == "true"
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        # An empty key is no key: refused, said so by the field (not a 500 on the second one).
        for _ in range(2):
            empty = await client.post("/api/v1/applications", json=body,
                                      headers={"Idempotency-Key": ""})
            assert empty.status_code == 422, empty.text
            assert [f["field"] for f in empty.json()["error"]["fields"]] == ["header.idempotency-key"]
        assert (await client.get("/api/v1/applications")).json()["total"] == 1

        # Published exactly once on the stream.
        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream()

            async def stored_once() -> bool:
                info = await js.stream_info(subjects.STREAM)
                assert info.state.messages == 1
                return True

            await eventually_async(stored_once, timeout=10)
        finally:
            await nc.close()


async def test_read_list_and_departments(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        made = [(await client.post("/api/v1/applications", json=application(rng, items))).json()
                for items in (["dibao", "education_aid"], ["housing_aid"], ["medical_aid"])]

        one = (await client.get(f"/api/v1/applications/{made[0]['id']}")).json()
        assert one["status"] == "received"
        assert [(i["item"], i["department"], i["status"]) for i in one["items"]] == [
            ("dibao", "civil_affairs", "pending"), ("education_aid", "education", "pending")]
        assert one["history"][0]["event"] == "received"

        by_dept = (await client.get("/api/v1/applications", params={"department": "education"})).json()
        assert [a["id"] for a in by_dept["items"]] == [made[0]["id"]]
        by_item = (await client.get("/api/v1/applications", params={"item": "housing_aid"})).json()
        assert by_item["total"] == 1 and by_item["items"][0]["id"] == made[1]["id"]
        paged = (await client.get("/api/v1/applications", params={"limit": 2})).json()
        assert paged["total"] == 3 and len(paged["items"]) == 2

        missing = await client.get("/api/v1/applications/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["message_zh"]

        departments = (await client.get("/api/v1/departments")).json()
        assert {d["code"] for d in departments} == {
            "civil_affairs", "education", "hrss", "housing", "medical", "federations", "window"}
        civil = next(d for d in departments if d["code"] == "civil_affairs")
        assert {"dibao", "tekun", "emergency_aid"} <= {i["code"] for i in civil["items"]}



async def test_an_oversized_body_is_refused_before_it_is_read(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        body = application(rng, ["dibao"]) | {"description": "很" * 200_000}
        response = await client.post("/api/v1/applications", json=body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"

        async def chunks():
            for _ in range(100):
                yield b"x" * 10_000

        chunked = await client.post("/api/v1/applications", content=chunks(),
                                    headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert (await client.get("/api/v1/applications")).json()["total"] == 0


async def test_the_answer_to_a_post_is_the_view_read_back(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    """Built from what was written (no read-back): the same as a GET of it right after, for
    an application accepted, one missing materials, and one refused at the door."""
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        missing = application(rng, ["dibao"])
        missing["materials"] = []
        outside = application(rng, ["dibao"]) | {"items": ["legal_aid"]}
        for body in (application(rng, ["dibao", "education_aid"]), missing, outside):
            posted = await client.post("/api/v1/applications", json=body)
            assert posted.status_code == 201, posted.text
            read = await client.get(f"/api/v1/applications/{posted.json()['id']}")
            answer, view = posted.json(), read.json()
            # Events consumed since (routing's plan) may have moved the view on: compare what
            # the window wrote.
            for key in ("id", "receipt_no", "channel", "received_by", "township", "received_at",
                        "owner", "accepted_at", "applicant", "household", "materials",
                        "description", "on_behalf_of", "missing_materials"):
                assert answer[key] == view[key], key
            assert answer["history"] == view["history"][:len(answer["history"])]
            assert [i["item"] for i in answer["items"]] == [i["item"] for i in view["items"]]
