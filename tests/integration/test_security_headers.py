"""Every response of every service carries the security headers and a request id, whoever
asks and whatever the answer (issue 9); CORS is closed unless ``ONEDOOR_CORS_ORIGINS`` names
origins, and then answers those only; the docs pages allow their one inline script by its
hash, not 'unsafe-inline'."""

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from services.accounts.domain import Role
from services.common.access import OPEN_PATHS, api_routes
from services.common.settings import Settings
from services.portal.web import PAGE_CSP, is_page
from tests.integration.test_access_matrix import _apps, _remote, _started
from tests.integration.test_docs_offline import _serving
from tests.support.auth import Staff
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.surface import build, concrete_path

FIXED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
         "referrer-policy": "no-referrer"}
ORIGIN = "https://screens.township.example"
CHROMIUM = os.environ.get("ONEDOOR_TEST_CHROMIUM", "/usr/bin/chromium")


def secured(response: httpx.Response, *, api: bool = True, page: bool = False) -> None:
    headers = response.headers
    where = (response.request.method, response.request.url.path, response.status_code)
    assert {k: headers.get(k) for k in FIXED} == FIXED, where
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", headers.get("x-request-id", "")), where
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where
    if api:
        assert headers["content-security-policy"].startswith("default-src 'none'"), where
        assert headers.get("cache-control") == "no-store", where
    if page:  # a screen: its own policy (scripts and styles of the service only), or a redirect
        policy = headers["content-security-policy"]
        assert policy == PAGE_CSP or policy.startswith("default-src 'none'"), where
        assert headers.get("cache-control") == "no-store", where
    assert "strict-transport-security" not in headers, where  # not HTTPS here
    assert not any(k.startswith("access-control-") for k in headers), where


async def test_every_route_of_every_service_answers_with_the_security_headers(
        tmp_path: Path, nats_server: NatsServer) -> None:
    backend = Backend("sqlite", tmp_path / "data")
    apps = _apps(Settings(nats_url=nats_server.url, token_failures=100_000,
                          **backend.settings_kwargs()))
    async with _started(apps):
        staff = Staff(apps["intake"].state.authenticator.store)
        callers = {None: {}, "bad": {"Authorization": "Bearer od_bad.token"}}
        for name, role in (("headers-supervisor", Role.supervisor), ("headers-ops", Role.ops)):
            callers[name] = {"Authorization": f"Bearer {await staff.token(name, role)}"}
        checked = 0
        for app in apps.values():
            async with _remote(app) as client:
                for route in api_routes(app):
                    for method in route.methods or ():
                        body = {"json": {}} if method == "POST" else {}
                        for headers in callers.values():
                            response = await client.request(method, concrete_path(route),
                                                            headers={"Origin": ORIGIN, **headers},
                                                            **body)
                            page = is_page(route.path)
                            secured(response, api=route.path not in OPEN_PATHS and not page,
                                    page=page)
                            checked += 1
                secured(await client.get("/no/such/route", headers={"Origin": ORIGIN}))
                secured(await client.options("/api/v1/audit", headers={
                    "Origin": ORIGIN, "Access-Control-Request-Method": "GET"}))
                asset = await client.get("/docs-assets/swagger-ui.css")
                secured(asset, api=False)
                assert asset.headers.get("cache-control") != "no-store"  # nobody's data
                if app is apps["intake"]:  # the screens' own files, served by intake
                    style = await client.get("/ui/static/app.css")
                    secured(style, api=False)
                    assert style.status_code == 200
                    assert style.headers.get("cache-control") != "no-store"
        assert checked > 250


def _client(app: FastAPI, *, raise_errors: bool = True) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(
        app=app, raise_app_exceptions=raise_errors), base_url="http://service")


async def test_cors_answers_only_the_configured_origins(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEDOOR_CORS_ORIGINS", f"{ORIGIN}, https://other.example")
    async with _client(build("notify", tmp_path)) as client:
        allowed = await client.get("/api/v1/audit", headers={"Origin": ORIGIN})
        assert allowed.status_code == 401
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        preflight = await client.options("/api/v1/applications/x1/notices", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert preflight.headers["x-frame-options"] == "DENY"
        stranger = await client.get("/api/v1/audit", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers


async def test_a_crash_is_answered_with_the_headers_too(tmp_path: Path) -> None:
    app = build("notify", tmp_path)
    router = APIRouter()

    @router.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    async with _client(app, raise_errors=False) as client:
        response = await client.get("/api/v1/crash")
    assert response.status_code == 500
    secured(response)


async def test_hsts_when_served_over_https_and_a_request_id_of_the_client_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with _client(build("routing", tmp_path)) as plain:
        given = await plain.get("/api/v1/audit", headers={"X-Request-Id": "desk-7:0042"})
        assert given.headers["x-request-id"] == "desk-7:0042"
        for odd in ("34132119990412002X", "王秀英", "x" * 65):  # a person's number, a name
            replaced = await plain.get("/api/v1/audit", headers={"X-Request-Id": odd.encode()})
            assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"]), odd
    monkeypatch.setenv("ONEDOOR_HTTPS", "true")
    async with _client(build("routing", tmp_path / "https")) as secure:
        response = await secure.get("/health")
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_the_docs_pages_allow_their_inline_script_by_its_hash(tmp_path: Path) -> None:
    async with _client(build("intake", tmp_path)) as client:
        for page in ("/docs", "/redoc"):
            got = await client.get(page)
            policy = got.headers["content-security-policy"]
            script_src = re.search(r"script-src ([^;]*)", policy).group(1)  # type: ignore[union-attr]
            assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
            for script in re.findall(r"<script>(.*?)</script>", got.text, re.DOTALL):
                digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in script_src, page
            assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
            assert got.headers["x-frame-options"] == "DENY"


@pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                    reason=f"no browser at {CHROMIUM} (Debian's chromium, or ONEDOOR_TEST_CHROMIUM): "
                           "the pages' policy is checked above, not rendered")
@pytest.mark.parametrize(("page", "shows"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_the_docs_pages_render_under_their_policy(tmp_path: Path, page: str, shows: str) -> None:
    with _serving(build("intake", tmp_path)) as base:
        browser = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
             "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=15000", "--dump-dom", f"{base}{page}"],
            capture_output=True, text=True, timeout=120, check=True)
    assert shows in browser.stdout.lower() and "/api/v1/applications" in browser.stdout
    # Only what comes from elsewhere is refused (ReDoc's logo from its CDN): never the page's
    # own script, styles or workers.
    refused = [line for line in browser.stderr.splitlines() if "Content Security Policy" in line]
    assert all("'https://" in line for line in refused), refused
