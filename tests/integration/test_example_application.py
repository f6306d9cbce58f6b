"""The README's example body (``curl ... -d @examples/application.json``) is accepted as is."""

import json
from pathlib import Path

import pytest

from services.common.settings import Settings
from services.intake.app import create_app
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "application.json"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_example_application_is_registered(backend: Backend, nats_server: NatsServer) -> None:
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    app = create_app(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as client:
        response = await client.post("/api/v1/applications", json=body,
                                     headers={"Idempotency-Key": "window-1-0001"})

        assert response.status_code == 201, response.text
        created = response.json()
        assert sorted(i["item"] for i in created["items"]) == sorted(body["items"])
        assert created["status"] != "awaiting_materials"
