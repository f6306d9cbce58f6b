"""A query parameter a route does not declare is refused (422, naming it), on every route
of every service: a misspelt filter must not answer with the unfiltered list."""

from pathlib import Path

import pytest

from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.surface import SERVICES, api_routes, build, client, concrete_path


@pytest.mark.parametrize("service", SERVICES)
async def test_every_get_route_refuses_an_unknown_query_parameter(service: str,
                                                                  tmp_path: Path) -> None:
    app = build(service, tmp_path)
    routes = api_routes(app, "GET")
    assert len(routes) >= 5, [r.path for r in routes]  # its own routes and the shared ones
    async with client(app) as http:
        for route in routes:
            path = concrete_path(route)
            got = await http.get(path, params={"no_such_filter": "1", "stauts": "x"})
            assert got.status_code == 422, (path, got.status_code, got.text)
            error = got.json()["error"]
            assert error["code"] == "validation_failed" and error["message_zh"], (path, error)
            assert [f["field"] for f in error["fields"]] == ["no_such_filter", "stauts"], path
            for field in error["fields"]:
                assert field["reason"].startswith("unknown query parameter"), field
                assert "不支持的查询参数" in field["reason_zh"], field


async def test_declared_parameters_still_work_and_the_refusal_names_them(
    backend: Backend, nats_server: NatsServer,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake:
        ok = await intake.get("/api/v1/applications", params={"status": "completed", "limit": 5})
        assert ok.status_code == 200, ok.text
        misspelt = await intake.get("/api/v1/applications", params={"stauts": "completed"})
        assert misspelt.status_code == 422, misspelt.text
        (field,) = misspelt.json()["error"]["fields"]
        assert field["field"] == "stauts"
        for name in ("status", "owner", "department", "item", "offset", "limit"):
            assert name in field["reason"] and name in field["reason_zh"]
        # Every parameter a route declares is accepted together.
        assert (await intake.get("/api/v1/deadlines", params={
            "item": "dibao", "received_at": "2026-03-02T09:00:00+08:00"})).status_code == 200
