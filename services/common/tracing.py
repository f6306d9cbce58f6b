"""Tracing: one trace per application across every service, W3C trace context in NATS headers.

Span attributes carry ids and codes only (application, task, department, items) — never
names, identity numbers or phones. Where spans go: ``tracing_setup``.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

APPLICATION_ID = "onedoor.application_id"
TASK_ID = "onedoor.task_id"
DEPARTMENT = "onedoor.department"
ITEMS = "onedoor.items"

_PROPAGATOR = TraceContextTextMapPropagator()


def tag(span: trace.Span | None, *, application_id: str, task_id: str | None = None,
        department: str | None = None) -> None:
    """Say on ``span`` (a staff member's request, mostly) which application, task and
    department it acted on: ``onedoor trace`` and a trace store find it by these."""
    if span is None or not span.is_recording():
        return
    attributes = {APPLICATION_ID: application_id}
    if task_id:
        attributes[TASK_ID] = task_id
    if department:
        attributes[DEPARTMENT] = str(department)
    span.set_attributes(attributes)


def request_attributes(attributes: Mapping[str, str]) -> Callable[[], Awaitable[None]]:
    """A FastAPI dependency putting ``attributes`` on every request span of a router (e.g. the
    department whose staff API it is)."""
    fixed = dict(attributes)

    async def dependency() -> None:  # async: it runs in the request's context, by its span
        if (span := trace.get_current_span()).is_recording():
            span.set_attributes(fixed)

    return dependency


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
