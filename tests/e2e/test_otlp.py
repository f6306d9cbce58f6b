"""`onedoor up` with only OTEL_EXPORTER_OTLP_ENDPOINT set (as docker-compose.yml does): every
service exports its spans over OTLP/HTTP to a collector — here a small receiver on 127.0.0.1."""

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import start_system, survivors
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.waiting import eventually


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        for name in ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME",
                     "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
                     "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.url)  # `up` passes it on
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
        yield running


def test_every_service_exports_the_application_over_otlp_http(
        backend: Backend, tmp_path: Path, receiver: OtlpReceiver, rng: random.Random) -> None:
    system = start_system(backend, tmp_path, "--auto-decide-after", "0")
    try:
        with httpx.Client(timeout=10, auth=system.auth) as http:
            body = application(rng, ["temporary_aid"])
            created = http.post(f"{system.intake}/api/v1/applications", json=body)
            assert created.status_code == 201, created.text
            app = created.json()
            eventually(lambda: http.get(f"{system.intake}/api/v1/applications/{app['id']}")
                       .json()["status"] == "completed", timeout=60)

        def whole_application() -> list[ReceivedSpan]:
            every = receiver.received()
            [request] = [s for s in every if s.name == "POST /api/v1/applications"
                         and s.attributes.get("onedoor.application_id") == app["id"]]
            mine = [s for s in every if s.trace_id == request.trace_id]
            names = {(s.service, s.name) for s in mine}
            expected = {("intake", "POST /api/v1/applications"),
                        ("routing", "onedoor.application.submitted process"),
                        ("dept-civil_affairs", "onedoor.task.assigned.civil_affairs process"),
                        ("dept-civil_affairs", "task decide"),
                        ("notify", "onedoor.task.decided.civil_affairs process"),
                        ("intake", "onedoor.application.completed process")}
            assert expected <= names, expected - names
            return mine

        mine = eventually(whole_application, timeout=30)
        assert {s.path for s in mine} == {"/v1/traces"}
        assert {s.resource["service.namespace"] for s in mine} == {"onedoor"}
        assert all(s.attributes.get("onedoor.application_id") in (None, app["id"]) for s in mine)
        exported = str([(s.name, s.attributes) for s in receiver.received()])
        for field in ("name", "id_number", "phone"):  # ids and codes only, never these
            assert body["applicant"][field] not in exported
        # The collector has them: no span files beside it.
        assert not (system.data_dir / "traces").exists()
    finally:
        code = system.stop()
    assert code is not None
    assert not survivors(system.ports()), "a child outlived Ctrl-C"
    assert "Traceback" not in system.process.log()
