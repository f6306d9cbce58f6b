"""Where spans go, by OpenTelemetry's standard variables (OTEL_*), checked against a real
OTLP/HTTP receiver on 127.0.0.1 and the local span files."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.common.tracing import APPLICATION_ID
from services.common.tracing_setup import (
    make_provider,
    otlp_entry_point,
    process_name,
    span_exporters,
)
from tests.support.otlp import OtlpReceiver
from tests.support.waiting import eventually

RUNTIME = "department_education"  # the runtime's name: it also names its database
PROCESS = "dept-education"  # as `onedoor up` and `onedoor status` show it


@pytest.fixture(autouse=True)
def no_otel_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the variables it is about, and no others (CI may have some)."""
    import os

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


def one_span(provider: TracerProvider, name: str = "task accept") -> None:
    with provider.get_tracer("test").start_as_current_span(name, attributes={APPLICATION_ID: "a1"}):
        pass
    provider.force_flush()


def span_file(data_dir: Path) -> Path:
    return data_dir / "traces" / f"{PROCESS}.jsonl"


def test_nothing_set_writes_the_local_span_file_named_as_the_process(tmp_path: Path) -> None:
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    [record] = [json.loads(line) for line in span_file(tmp_path).read_text().splitlines()]
    assert (record["service"], record["name"], record["attributes"]) == (
        PROCESS, "task accept", {APPLICATION_ID: "a1"})
    assert provider.resource.attributes["service.name"] == PROCESS
    assert provider.resource.attributes["service.namespace"] == "onedoor"
    assert [p.name for p in (tmp_path / "traces").iterdir()] == [f"{PROCESS}.jsonl"]
    provider.shutdown()


def test_process_names_are_those_up_and_status_show() -> None:
    from services.launcher.topology import topology

    runtimes = {"intake", "routing", "notify"} | {
        f"department_{s.department}" for s in topology(8000) if s.department}
    assert {process_name(r) for r in runtimes} == {s.name for s in topology(8000)}


def test_only_the_endpoint_set_exports_otlp_over_http(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)  # as docker-compose.yml
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    [span] = eventually(lambda: receiver.received() or None, timeout=10)
    assert (span.path, span.name, span.service, span.attributes) == (
        "/v1/traces", "task accept", PROCESS, {APPLICATION_ID: "a1"})
    assert span.resource["service.namespace"] == "onedoor"
    assert not (tmp_path / "traces").exists()
    provider.shutdown()


def test_the_traces_endpoint_is_used_as_it_is(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # not this one
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{receiver.url}/collector/spans")
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    [span] = eventually(lambda: receiver.received() or None, timeout=10)
    assert span.path == "/collector/spans"
    provider.shutdown()


def test_exporter_none_exports_nothing(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    provider.shutdown()
    assert receiver.requests == 0 and not (tmp_path / "traces").exists()


@pytest.mark.parametrize(("value", "expected"), [
    ("otlp", ["OTLPSpanExporter"]),
    ("console", ["ConsoleSpanExporter"]),
    ("jsonl", ["JsonLinesExporter"]),
    ("otlp, console", ["OTLPSpanExporter", "ConsoleSpanExporter"]),
    ("OTLP,jsonl,otlp", ["OTLPSpanExporter", "JsonLinesExporter"]),  # a repeat counts once
    ("otlp_proto_http", ["OTLPSpanExporter"]),  # any installed exporter, by its entry point
    ("none", []),
    ("none,console", ["ConsoleSpanExporter"]),
])
def test_the_exporter_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str,
                           expected: list[str]) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", value)
    found = span_exporters(PROCESS, tmp_path)
    assert [type(e).__name__ for e in found] == expected
    for exporter in found:
        exporter.shutdown()


def test_the_span_file_and_otlp_together(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "jsonl,otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    assert eventually(lambda: receiver.received() or None, timeout=10)
    assert span_file(tmp_path).read_text().count("\n") == 1
    provider.shutdown()


def test_an_exporter_not_installed_is_said_and_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin,jsonl")
    with caplog.at_level(logging.ERROR, "services.common.tracing_setup"):
        provider = make_provider(RUNTIME, tmp_path)  # does not raise: the service runs on
    [line] = [r.getMessage() for r in caplog.records]
    assert "'zipkin'" in line and "otlp" in line and "console" in line
    one_span(provider)
    assert span_file(tmp_path).exists()
    provider.shutdown()


@pytest.mark.parametrize("endpoint", [True, False])
def test_sdk_disabled_makes_no_spans_and_writes_nothing(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch,
        endpoint: bool) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    if endpoint:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    provider = make_provider(RUNTIME, tmp_path)
    with provider.get_tracer("test").start_as_current_span("x") as span:
        assert not span.is_recording() and not span.get_span_context().is_valid
    provider.force_flush()
    provider.shutdown()
    assert receiver.requests == 0 and not (tmp_path / "traces").exists()


def test_service_name_and_resource_attributes_from_the_environment(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES",
                       "deployment.environment.name=staging,service.namespace=town%20a")
    provider = make_provider(RUNTIME, tmp_path)
    assert provider.resource.attributes["service.name"] == PROCESS  # ours, none given
    assert provider.resource.attributes["service.namespace"] == "town a"  # theirs wins
    assert provider.resource.attributes["deployment.environment.name"] == "staging"
    provider.shutdown()

    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")
    provider = make_provider(RUNTIME, tmp_path)
    assert provider.resource.attributes["service.name"] == "from-attributes"
    provider.shutdown()

    monkeypatch.setenv("OTEL_SERVICE_NAME", "onedoor-edu")  # wins over both
    provider = make_provider(RUNTIME, tmp_path)
    one_span(provider)
    [span] = eventually(lambda: receiver.received() or None, timeout=10)
    assert span.service == "onedoor-edu"
    assert span.resource["service.namespace"] == "onedoor"
    provider.shutdown()


def test_otlp_is_http_protobuf_by_default_without_a_word(caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with caplog.at_level(logging.INFO, "services.common.tracing_setup"):
        assert otlp_entry_point() == "otlp_proto_http"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        assert otlp_entry_point() == "otlp_proto_http"
    assert caplog.records == []


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_PROTOCOL",
                                      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"])
def test_grpc_asked_for_is_said_in_one_line_and_spans_go_over_http(
        tmp_path: Path, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, variable: str) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv(variable, "grpc")
    with caplog.at_level(logging.WARNING, "services.common.tracing_setup"):
        provider = make_provider(RUNTIME, tmp_path)
    [line] = [r.getMessage() for r in caplog.records]
    assert f"{variable}=grpc" in line and "http/protobuf" in line
    assert f"{receiver.url}/v1/traces" in line
    one_span(provider)
    assert eventually(lambda: receiver.received() or None, timeout=10)
    provider.shutdown()
