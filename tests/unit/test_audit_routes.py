"""The audit trail through the APIs: readable (GET /api/v1/audit), never writable — no route
of any service answers PUT, PATCH, DELETE or POST on the audit's paths, nor has any other
route there. Which routes leave a row: every POST, and the reads of personal data below (a
new route that reads people's data must be added here, and declare ``audited()``)."""

from pathlib import Path

import pytest

from services.common.access import OPEN_PATHS
from services.common.audit_trail import route_audit
from tests.support.surface import SERVICES, api_routes, build, client

READS = {
    "intake": {"/api/v1/applications", "/api/v1/applications/{application_id}",
               "/api/v1/accounts"},
    "routing": {"/api/v1/applications/{application_id}/handoffs",
                "/api/v1/applications/{application_id}/ledger", "/api/v1/ledger",
                "/api/v1/joint-meeting"},
    "notify": {"/api/v1/applications/{application_id}/notices", "/api/v1/inbox"},
    "department": {"/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/history"},
}
# POSTs that only read (the applicant's status check: the identity digits kept out of URLs).
POST_READS = {"/api/v1/status"}
PATHS = ("/api/v1/audit", "/api/v1/audit/1", "/api/v1/audit/x1", "/api/v1/audit/1/hash",
         "/api/v1/audit?id=1")


@pytest.mark.parametrize("service", SERVICES)
async def test_no_route_changes_or_deletes_the_audit(service: str, tmp_path: Path) -> None:
    app = build(service, tmp_path)
    routes = [(m, r.path) for r in api_routes(app, "GET") + api_routes(app, "POST")
              for m in r.methods or () if "audit" in r.path]
    assert routes == [("GET", "/api/v1/audit")]
    async with client(app, "supervisor") as http:
        for path in PATHS:
            for method in ("PUT", "PATCH", "DELETE", "POST"):
                got = await http.request(method, path, json={"status": 200})
                assert got.status_code in (404, 405), (method, path, got.status_code)


@pytest.mark.parametrize("service", SERVICES)
def test_every_post_and_every_read_of_personal_data_leaves_a_row(service: str,
                                                                 tmp_path: Path) -> None:
    app = build(service, tmp_path)
    for route in api_routes(app, "POST"):
        assert route_audit(route.original_route, "POST").action in (
            ("read",) if route.path in POST_READS else ("change", "sign_in")), route.path
    audited = {r.path for r in api_routes(app, "GET") if r.path not in OPEN_PATHS
               and route_audit(r.original_route, "GET").action == "read"}  # type: ignore[union-attr]
    assert audited == READS["department" if service.startswith("dept-") else service]
