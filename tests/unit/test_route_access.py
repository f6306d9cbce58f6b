"""Every route of every service says who may call it (services/common/access.py): one that
declares nothing fails here, whatever it is."""

from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI

from contracts import Department
from services.common.access import undeclared_routes
from tests.support.surface import build

SERVICES = ["intake", "routing", "notify", *(f"dept-{d.value}" for d in Department)]


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_who_may_call_it(service: str, tmp_path: Path) -> None:
    assert undeclared_routes(build(service, tmp_path)) == []


def test_a_route_declaring_nothing_is_found(tmp_path: Path) -> None:
    app = build("notify", tmp_path)
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    app.include_router(router)
    assert undeclared_routes(app) == ["GET /api/v1/forgotten"]
    assert undeclared_routes(FastAPI()) == []
