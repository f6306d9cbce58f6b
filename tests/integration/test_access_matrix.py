"""Who reaches what (issue 9's matrix), route by route: every route of every service called by
every role, by a caller of no credential, and by each kind of bad credential.

The table below is the matrix: a route missing from it fails the test (say who may call a new
route here), as does a route that declares nothing (tests/unit/test_route_access.py). Allowed
callers may still get 404 or 422 (the test sends no real ids nor bodies): never 401 or 403.
The callers are not on this machine, so /health, /ready and /metrics need the ops role too.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from contracts import Department
from services.accounts import handlers
from services.accounts.domain import Role
from services.common.access import OPEN_PATHS, api_routes
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.notify.app import create_app as create_notify
from services.portal.web import is_page
from services.routing.app import create_app as create_routing
from tests.support.auth import Staff
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.surface import concrete_path

OWN, OTHER = "education", "civil_affairs"  # the department service asked, and another one
# Callers: a department account is of OWN or OTHER; elsewhere both are just "department".
CALLERS = ("window", "own", "other", "supervisor", "ops", "admin")
ANY = frozenset(CALLERS)
DEPT = frozenset({"own", "other"})
PUBLIC = "public"

SHARED = {
    ("GET", "/health"): {"ops"}, ("GET", "/ready"): {"ops"}, ("GET", "/metrics"): {"ops"},
    ("GET", "/api/v1/ops/dead-letters"): {"ops"},
    ("POST", "/api/v1/ops/dead-letters/{letter_id}/replay"): {"ops"},
    ("GET", "/api/v1/ops/stats"): {"ops"}, ("GET", "/api/v1/ops/consumers"): {"ops"},
    ("GET", "/api/v1/audit"): {"supervisor"},  # every service's audit trail
}
MATRIX: dict[str, dict[tuple[str, str], set[str] | frozenset[str] | str]] = {
    "intake": SHARED | {
        ("POST", "/api/v1/applications"): {"window"},
        ("POST", "/api/v1/applications/{application_id}/materials"): {"window"},
        ("POST", "/api/v1/applications/{application_id}/handover"): {"window"},
        ("GET", "/api/v1/applications/{application_id}"): {"window", "supervisor", "ops"},
        ("GET", "/api/v1/applications"): {"window", "supervisor", "ops"},
        ("GET", "/api/v1/applications/{application_id}/version"): {"window", "supervisor", "ops"},
        ("GET", "/api/v1/departments"): ANY, ("GET", "/api/v1/deadlines"): ANY,
        ("GET", "/api/v1/materials"): ANY, ("GET", "/api/v1/supervisors"): ANY,
        ("GET", "/api/v1/regions"): ANY, ("GET", "/api/v1/auth/me"): ANY,
        ("POST", "/api/v1/auth/logout"): ANY,
        ("POST", "/api/v1/auth/login"): PUBLIC, ("POST", "/api/v1/status"): PUBLIC,
        ("GET", "/api/v1/accounts"): {"admin"}, ("POST", "/api/v1/accounts"): {"admin"},
        ("POST", "/api/v1/accounts/{username}/disable"): {"admin"},
        ("POST", "/api/v1/accounts/{username}/reset"): {"admin"},
    },
    "routing": SHARED | {
        ("GET", "/api/v1/applications/{application_id}/handoffs"): {"supervisor", "ops"},
        ("GET", "/api/v1/applications/{application_id}/ledger"): {"supervisor", "ops"},
        ("GET", "/api/v1/ledger"): {"supervisor", "ops"},
        ("GET", "/api/v1/joint-meeting"): {"supervisor"},
        ("POST", "/api/v1/joint-meeting/{case_id}/assign"): {"supervisor"},
        ("POST", "/api/v1/joint-meeting/{case_id}/refer"): {"supervisor"},
        ("POST", "/api/v1/supervision/extensions"): {"supervisor"},
        ("GET", "/api/v1/supervision/overdue"): {"supervisor"},
        ("GET", "/api/v1/supervision/alerts"): {"supervisor"},
        ("GET", "/api/v1/supervision/departments"): {"supervisor"},
    },
    "notify": SHARED | {
        ("GET", "/api/v1/applications/{application_id}/notices"): {"supervisor"},
        ("GET", "/api/v1/inbox"): {"window"},
    },
    "department": SHARED | {
        ("GET", "/api/v1/tasks"): {"own", "supervisor"},
        ("GET", "/api/v1/tasks/{task_id}"): {"own", "supervisor"},
        ("GET", "/api/v1/tasks/{task_id}/history"): {"own", "supervisor"},
        ("POST", "/api/v1/tasks/{task_id}/accept"): {"own"},
        ("POST", "/api/v1/tasks/{task_id}/review"): {"own"},
        ("POST", "/api/v1/tasks/{task_id}/decision"): {"own"},
        ("POST", "/api/v1/tasks/{task_id}/return"): {"own"},
        ("POST", "/api/v1/tasks/{task_id}/materials-request"): {"own"},
        ("POST", "/api/v1/tasks/{task_id}/paperwork"): {"own"},
        ("GET", "/api/v1/posts"): {"own", "supervisor"},
        ("POST", "/api/v1/posts/{post}/away"): {"supervisor"},
        ("POST", "/api/v1/posts/{post}/back"): {"own", "supervisor"},
    },
}


def _apps(settings: Settings) -> dict[str, FastAPI]:
    return {"intake": create_intake(settings), "routing": create_routing(settings),
            "notify": create_notify(settings),
            "department": create_department(settings, Department(OWN))}


@contextlib.asynccontextmanager
async def _started(apps: dict[str, FastAPI]) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


def _remote(app: FastAPI) -> httpx.AsyncClient:
    """A client from another machine (not loopback)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.20.30.40", 5123)),
                             base_url="http://service")


ACCOUNTS = {"window": ("matrix-window", Role.window, None),
            "own": ("matrix-own", Role.department, OWN),
            "other": ("matrix-other", Role.department, OTHER),
            "supervisor": ("matrix-supervisor", Role.supervisor, None),
            "ops": ("matrix-ops", Role.ops, None), "admin": ("matrix-admin", Role.admin, None)}


async def _tokens(staff: Staff) -> dict[str, str]:
    return {caller: await staff.token(name, role, department)
            for caller, (name, role, department) in ACCOUNTS.items()}


async def _bad_credentials(staff: Staff) -> dict[str, dict[str, str]]:
    """Headers of every kind of credential that must be refused (401)."""
    store = staff.store
    expired = await _fresh(staff, "matrix-expired")
    expired_token = (await handlers.issue_token(store, "matrix-expired", label="test",
                                                lifetime=timedelta(seconds=-1))).token
    revoked = await _fresh(staff, "matrix-revoked")
    await handlers.reset_credentials(store, "matrix-revoked")  # the first token is revoked
    disabled = await _fresh(staff, "matrix-disabled")
    await handlers.disable_account(store, "matrix-disabled")
    token_id = expired.removeprefix("od_").split(".")[0]
    forged = f"od_{token_id}.{'A' * 43}"  # a real token's id, a made-up secret
    return {"malformed": {"Authorization": "Bearer not-a-token"},
            "not bearer": {"Authorization": f"Basic {expired}"},
            "expired": {"Authorization": f"Bearer {expired_token}"},
            "revoked": {"Authorization": f"Bearer {revoked}"},
            "disabled": {"Authorization": f"Bearer {disabled}"},
            "forged": {"Authorization": f"Bearer {forged}"},
            "forged jwt": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}}


async def _fresh(staff: Staff, username: str) -> str:
    """A token never used before (so no service has it cached)."""
    issued = await handlers.add_account(staff.store, handlers.NewAccount(
        username, username, Role.supervisor), departments=[OWN, OTHER], with_password=False)
    assert issued.token
    return issued.token


def _refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    error = response.json()["error"]
    assert error["code"] and error["message"] and error["message_zh"], error


async def test_every_route_answers_only_the_roles_of_the_matrix(tmp_path: Path,
                                                                nats_server: NatsServer) -> None:
    backend = Backend("sqlite", tmp_path / "data")
    # Hundreds of bad credentials from one address: not blocked here (tests/integration/
    # test_lockout.py checks the block).
    apps = _apps(Settings(nats_url=nats_server.url, token_failures=100_000,
                          **backend.settings_kwargs()))
    async with _started(apps):
        staff = Staff(apps["intake"].state.authenticator.store)
        tokens = await _tokens(staff)
        bad = await _bad_credentials(staff)
        checked = 0
        for service, app in apps.items():
            table = MATRIX[service]
            routes = [r for r in api_routes(app) if r.path not in OPEN_PATHS
                      and not is_page(r.path)]  # pages: tests/integration/test_portal_access.py
            found = {(m, r.path) for r in routes for m in r.methods or ()}
            assert found == set(table), (service, found ^ set(table))
            async with _remote(app) as client:
                for route in routes:
                    for method in route.methods or ():
                        allowed = table[(method, route.path)]
                        url = concrete_path(route)
                        body = {"json": {}} if method == "POST" else {}
                        for caller in CALLERS:
                            response = await client.request(method, url, **body, headers={
                                "Authorization": f"Bearer {tokens[caller]}"})
                            if route.path == "/api/v1/auth/logout" and response.is_success:
                                # signed out: that token is revoked, the caller takes another
                                tokens[caller] = (await handlers.issue_token(
                                    staff.store, ACCOUNTS[caller][0], label="test")).token
                            if allowed == PUBLIC or caller in allowed:
                                assert response.status_code not in (401, 403), (
                                    service, method, url, caller, response.text)
                            else:
                                assert response.status_code == 403, (
                                    service, method, url, caller, response.text)
                                _refused(response, 403)
                            checked += 1
                        if allowed == PUBLIC:
                            continue
                        _refused(await client.request(method, url, **body), 401)
                        for kind, headers in bad.items():
                            response = await client.request(method, url, **body, headers=headers)
                            assert response.status_code == 401, (service, method, url, kind,
                                                                 response.text)
                            _refused(response, 401)
        assert checked > 300


async def test_health_ready_and_metrics_are_open_on_this_machine_only(
        tmp_path: Path, nats_server: NatsServer) -> None:
    backend = Backend("sqlite", tmp_path / "data")
    apps = _apps(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with _started(apps):
        for app in apps.values():
            local = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # 127.0.0.1
                                      base_url="http://service")
            async with local, _remote(app) as remote:
                for path in ("/health", "/ready", "/metrics"):
                    assert (await local.get(path)).status_code == 200, path
                    _refused(await remote.get(path), 401)
                for path in ("/docs", "/openapi.json", "/docs-assets/swagger-ui.css"):
                    assert (await remote.get(path)).status_code == 200, path
                _refused(await local.get("/api/v1/ops/stats"), 401)  # ops data: ops only

