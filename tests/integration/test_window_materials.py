"""The window refuses a material code its region does not know, as a department's materials
request does (error ``invalid_materials``, each code at ``materials.N`` with both reasons),
on submission and on a supplement, and writes nothing when it does."""

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.common.policy import load_policy
from services.common.settings import Settings
from services.departments.domain import TaskRuleError
from services.departments.rules.materials import material_needs
from services.intake.app import create_app
from services.intake.models import MESSAGING
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer

POLICY = load_policy("default")


def _department_fields(codes: list[str]) -> list[dict[str, str]]:
    """What a department's materials request answers for these codes (each field)."""
    with pytest.raises(TaskRuleError) as caught:
        material_needs(codes, POLICY.materials, ["temporary_aid"])
    assert caught.value.code == "invalid_materials"
    return [{"field": f, "reason": r, "reason_zh": z} for f, r, z in caught.value.fields]


def _unknown(rng: random.Random) -> str:
    return rng.choice(["no_such_material", "idcard", "ID_CARD", "income_proof_2"])


async def _state(app: Any, client: httpx.AsyncClient) -> tuple[Any, ...]:
    async with app.state.runtime.db.reading() as session:
        outbox = await session.scalar(select(func.count()).select_from(MESSAGING.outbox))
    listing = (await client.get("/api/v1/applications")).json()
    return outbox, listing["total"], [(await client.get(f"/api/v1/applications/{a['id']}")).json()
                                      for a in listing["items"]]


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_materials" and error["message"] and error["message_zh"]
    return error


async def test_an_unknown_material_code_is_refused_at_submission_as_a_department_would(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        body = application(rng, ["dibao", "medical_aid"])
        unknown = _unknown(rng)
        codes = [*body["materials"], unknown]
        codes.insert(1, codes[0])  # a repeated code counts in the positions as sent
        body["materials"] = codes

        response = await client.post("/api/v1/applications", json=body,
                                     headers={"Idempotency-Key": "window-1-0001"})

        fields = _refused(response)["fields"]
        # The department's answer, minus the field's Chinese name the window's errors add.
        assert [{k: f[k] for k in ("field", "reason", "reason_zh")} for f in fields] == \
            _department_fields(codes)[-1:]
        assert [f["field"] for f in fields] == [f"materials.{len(codes) - 1}"]
        assert await _state(app, client) == (0, 0, [])

        # Nothing was kept, not even the key: the corrected body is a new application.
        body["materials"] = codes[:-1]
        created = await client.post("/api/v1/applications", json=body,
                                    headers={"Idempotency-Key": "window-1-0001"})
        assert created.status_code == 201, created.text
        assert "Idempotent-Replayed" not in created.headers
        assert created.json()["materials"] == list(dict.fromkeys(codes[:-1]))


async def test_an_unknown_material_code_is_refused_in_a_supplement_and_changes_nothing(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        body = application(rng, ["dibao"]) | {"materials": ["application_form"]}
        created = await client.post("/api/v1/applications", json=body)
        assert created.json()["status"] == "awaiting_materials"
        url = f"/api/v1/applications/{created.json()['id']}/materials"
        before = await _state(app, client)

        codes = ["income_proof", _unknown(rng), "economic_check_authorization", "no_such"]
        error = _refused(await client.post(url, json={"received_by": body["received_by"],
                                                      "materials": codes}))

        assert [{k: f[k] for k in ("field", "reason", "reason_zh")} for f in error["fields"]] \
            == _department_fields(codes)
        assert [f["field"] for f in error["fields"]] == ["materials.1", "materials.3"]
        assert await _state(app, client) == before

        done = await client.post(url, json={"received_by": body["received_by"],
                                            "materials": [codes[0], codes[2]]})
        assert done.status_code == 200 and done.json()["missing_materials"] == []
