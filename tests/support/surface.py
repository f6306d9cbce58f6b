"""Every service's FastAPI app, built as the launcher builds it (not started), to check what
they all share: their routes, OpenAPI documents and docs pages."""

import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from contracts import Department
from services.accounts.domain import Role
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.notify.app import create_app as create_notify
from services.portal.web import is_page
from services.routing.app import create_app as create_routing
from tests.support.auth import Staff, StaffClient, default_role

SERVICES = ["intake", "routing", "notify", "dept-education", "dept-window"]


def build(service: str, data_dir: Path) -> FastAPI:
    settings = Settings(data_dir=data_dir)
    if service.startswith("dept-"):
        return create_department(settings, Department(service.removeprefix("dept-")))
    return {"intake": create_intake, "routing": create_routing,
            "notify": create_notify}[service](settings)


def client(app: FastAPI, role: Role | str | None = None) -> StaffClient:
    """An HTTP client to the app, its lifespan not run: no database, no broker (the identity
    store opens on first use). Signed in as the service's usual caller, or ``role``."""
    default, department = default_role(app.state.runtime.name)
    return StaffClient(staff=Staff(app.state.authenticator.store), role=Role(role or default),
                       department=department, ops_for_ops=True,
                       transport=httpx.ASGITransport(app=app), base_url="http://service")


def api_routes(app: FastAPI, method: str) -> list[RouteContext]:
    """Every API route of the app answering ``method``, included routers' too (the screens'
    pages aside: tests/integration/test_portal_access.py covers them)."""
    return [r for r in iter_route_contexts(app.routes)
            if isinstance(r.original_route, APIRoute) and method in (r.methods or ())
            and not is_page(r.path)]


def concrete_path(route: RouteContext) -> str:
    """The route's path with each path parameter filled in (a value of the right type)."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        param = next(p for p in route.dependant.path_params if p.name == name)
        return "1" if param.field_info.annotation is int else "x1"

    return re.sub(r"\{([^}]+)\}", fill, route.path)
