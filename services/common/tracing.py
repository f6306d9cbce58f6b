"""Tracing: one trace per application across every service, W3C trace context in NATS headers.

Exporters follow the standard variables: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``..._TRACES_ENDPOINT``) spans go to that collector over OTLP/HTTP; ``OTEL_TRACES_EXPORTER=none``
turns them off; otherwise each service appends its spans as JSON lines to
``<data dir>/traces/<service>.jsonl``, which ``onedoor trace`` reads. Span attributes carry ids
and codes only (application, task, department, items) — never names, identity numbers or phones.
"""

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

APPLICATION_ID = "onedoor.application_id"
TASK_ID = "onedoor.task_id"
DEPARTMENT = "onedoor.department"
ITEMS = "onedoor.items"

_PROPAGATOR = TraceContextTextMapPropagator()


def make_provider(service: str, data_dir: Path) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"onedoor-{service}"}))
    exporter: SpanExporter | None
    if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
        exporter = None
    elif os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        exporter = JsonLinesExporter(data_dir / "traces" / f"{service}.jsonl", service)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    return provider


class JsonLinesExporter(SpanExporter):
    """Spans as JSON lines in a file of this service's own (no collector needed)."""

    def __init__(self, path: Path, service: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.service = path, service
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(s, self.service), ensure_ascii=False) + "\n"
                        for s in spans)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def span_record(span: ReadableSpan, service: str) -> dict[str, Any]:
    ctx = span.get_span_context()
    return {
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": service,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [{"trace_id": f"{link.context.trace_id:032x}",
                   "span_id": f"{link.context.span_id:016x}"} for link in span.links],
    }


def inject(span: trace.Span | None = None) -> dict[str, str]:
    """The W3C headers (traceparent) that continue ``span`` (default: the current one)."""
    carrier: dict[str, str] = {}
    ctx = trace.set_span_in_context(span) if span is not None else None
    _PROPAGATOR.inject(carrier, context=ctx)
    return carrier


def extract(headers: Mapping[str, str] | None) -> otel_context.Context:
    return _PROPAGATOR.extract(dict(headers or {}))


def span_context_of(headers: Mapping[str, str] | None) -> trace.SpanContext:
    return trace.get_current_span(extract(headers)).get_span_context()


def message_attributes(envelope: Any, subject: str) -> dict[str, Any]:
    """Ids and codes of a message for its span; never personal data."""
    payload = envelope.payload
    attributes: dict[str, Any] = {
        APPLICATION_ID: envelope.application_id, "messaging.system": "nats",
        "messaging.destination.name": subject, "messaging.message.id": envelope.message_id,
    }
    for name, key in ((TASK_ID, "task_id"), (DEPARTMENT, "department")):
        if (value := getattr(payload, key, None)) is not None:
            attributes[name] = str(value)
    if items := getattr(payload, "items", None):
        attributes[ITEMS] = [str(i) for i in items]
    return attributes


class TracingMiddleware:
    """A SERVER span per HTTP request, continuing an incoming traceparent if there is one."""

    def __init__(self, app: Any, provider: TracerProvider) -> None:
        self.app = app
        self.tracer = provider.get_tracer("onedoor.http")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in ("/health", "/ready", "/metrics"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status = {"code": 500}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}", context=extract(headers), kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"]},
        ) as span:
            try:
                await self.app(scope, receive, capture)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", scope["path"])
                span.update_name(f"{scope['method']} {template}")
                span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status["code"])
                if status["code"] >= 500:
                    span.set_status(Status(StatusCode.ERROR))
