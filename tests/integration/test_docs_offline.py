"""``/docs`` and ``/redoc`` of every service work with no internet (township intranets are
often offline): the pages load nothing from elsewhere, and every file they load is served by
the service. Every request body shows a realistic example, valid for its model."""

import contextlib
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import TypeAdapter

from services.common.settings import Settings
from services.intake import examples as intake_examples
from services.intake.app import create_app as create_intake
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.surface import SERVICES, api_routes, build, client

CHROMIUM = "/usr/bin/chromium"
# Where a page names another file: attributes, and Swagger UI's ``url: '...'``.
_REFERENCES = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in _REFERENCES.findall(html)]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_docs_pages_load_only_what_the_service_serves(service: str,
                                                                tmp_path: Path) -> None:
    async with client(build(service, tmp_path)) as http:
        for page in ("/docs", "/redoc"):
            got = await http.get(page)
            assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
            assert not re.search(r"https?://|//[a-z0-9]", got.text, re.IGNORECASE), got.text
            refs = _references(got.text)
            assert any(r.endswith(".js") for r in refs), refs  # the UI itself
            assert "/openapi.json" in refs, refs
            for ref in refs:
                asset = await http.get(ref)
                assert asset.status_code == 200 and asset.content, (page, ref, asset.status_code)
        swagger = (await http.get("/docs")).text
        assert '"validatorUrl": null' in swagger  # no badge fetched from swagger.io either


@pytest.mark.parametrize("service", SERVICES)
async def test_every_request_body_shows_valid_examples(service: str, tmp_path: Path) -> None:
    app = build(service, tmp_path)
    document = app.openapi()
    checked = 0
    for route in api_routes(app, "POST"):
        if route.body_field is None:
            continue  # e.g. replaying a dead letter: no body
        operation = document["paths"][route.path]["post"]
        content = operation["requestBody"]["content"]["application/json"]
        examples = content.get("examples") or {}
        assert examples, f"POST {route.path} has no example"
        model = TypeAdapter(route.body_field.field_info.annotation)
        for name, example in examples.items():
            assert example.get("summary"), (route.path, name)
            model.validate_python(example["value"])  # raises if the example is not valid
        checked += 1
    assert checked >= {"intake": 3, "routing": 3, "notify": 0}.get(service, 8), service


async def test_the_window_examples_register_applications(
    backend: Backend, nats_server: NatsServer,
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake:
        for name, example in intake_examples.APPLICATION.items():
            created = await intake.post("/api/v1/applications", json=example["value"])
            assert created.status_code == 201, (name, created.text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """The app over HTTP on a loopback port (no lifespan: the docs need no broker)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None,
                    reason=f"no browser at {CHROMIUM} (Debian's chromium package): the docs "
                           "page is not rendered here; its assets are checked above")
def test_swagger_ui_renders_in_a_browser_with_no_internet(tmp_path: Path) -> None:
    with _serving(build("intake", tmp_path)) as base:
        # Every name but loopback fails to resolve: nothing can come from the internet.
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=15000", "--dump-dom", f"{base}/docs"],
            capture_output=True, text=True, timeout=120, check=True).stdout
    assert "swagger-ui" in dom and "/api/v1/applications" in dom, dom[:2000]
