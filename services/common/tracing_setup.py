"""Where spans go: the tracer provider of a process, by OpenTelemetry's standard variables.

- ``OTEL_SDK_DISABLED=true``: no spans at all, nothing written.
- ``OTEL_TRACES_EXPORTER``: a comma list of ``otlp``, ``console``, ``jsonl`` (the local span
  files), ``none``, or the name of any installed span exporter (entry point group
  ``opentelemetry_traces_exporter``). Not set: ``otlp`` when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set (what docker-compose.yml does), else ``jsonl``.
- ``otlp`` speaks ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` / ``OTEL_EXPORTER_OTLP_PROTOCOL``;
  only ``http/protobuf`` (the default) is installed, so ``grpc`` is said in one warning and
  sent over HTTP. Endpoint, headers, timeout and TLS: the exporter's own ``OTEL_EXPORTER_OTLP_*``.
- ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` win over our resource (``service.name``:
  the process name ``onedoor up`` shows, e.g. ``dept-education``; ``service.namespace=onedoor``).

The local span files are ``<data dir>/traces/<process>.jsonl``, rotated by size
(``span_files``); ``onedoor trace`` reads them.
"""

import logging
import os
from importlib.metadata import entry_points
from pathlib import Path

from opentelemetry.environment_variables import OTEL_TRACES_EXPORTER
from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_SDK_DISABLED,
)
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from services.common.span_files import BACKUPS, MAX_BYTES, JsonLinesExporter

NAMESPACE = "onedoor"
FILE_EXPORTER = "jsonl"
EXPORTER_GROUP = "opentelemetry_traces_exporter"
HTTP_PROTOBUF = "http/protobuf"
# Entry point names of the OTLP span exporters (opentelemetry-exporter-otlp-proto-http
# registers only ``otlp_proto_http``: the bare ``otlp`` comes with the gRPC meta-package).
_OTLP_BY_PROTOCOL = {HTTP_PROTOBUF: "otlp_proto_http", "grpc": "otlp_proto_grpc"}
_DEFAULT_OTLP_ENDPOINT = "http://localhost:4318"

log = logging.getLogger(__name__)


def process_name(runtime: str) -> str:
    """The name people read (``onedoor up``, ``status``, logs): ``dept-education`` for the
    runtime ``department_education``, whose name also picks its database and stays as it is."""
    if runtime.startswith("department_"):
        return "dept-" + runtime.removeprefix("department_")
    return runtime


def make_provider(service: str, data_dir: Path, *, max_bytes: int = MAX_BYTES,
                  backups: int = BACKUPS) -> TracerProvider:
    """The tracer provider of runtime ``service``, exporting as the ``OTEL_*`` variables say."""
    name = process_name(service)
    provider = TracerProvider(resource=resource_for(name))
    if sdk_disabled():  # the provider hands out no-op tracers: no span is even made
        return provider
    # A short delay keeps `onedoor trace` close behind; OTEL_BSP_SCHEDULE_DELAY wins.
    delay = None if os.environ.get(OTEL_BSP_SCHEDULE_DELAY) else 500
    for exporter in span_exporters(name, data_dir, max_bytes=max_bytes, backups=backups):
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=delay))
    return provider


def sdk_disabled() -> bool:
    return os.environ.get(OTEL_SDK_DISABLED, "").strip().lower() == "true"


def resource_for(name: str) -> Resource:
    """Our service.name and namespace, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES
    say otherwise (``Resource.create`` reads those, but lets the attributes given win)."""
    ours = {SERVICE_NAME: name, SERVICE_NAMESPACE: NAMESPACE}
    from_env = OTELResourceDetector().detect().attributes
    return Resource.create({k: v for k, v in ours.items() if k not in from_env})


def exporter_names() -> list[str]:
    """``OTEL_TRACES_EXPORTER`` as a list (``none`` dropped); not set: ``otlp`` if an OTLP
    endpoint is, else our span files."""
    value = os.environ.get(OTEL_TRACES_EXPORTER, "").strip()
    if not value:
        otlp = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or os.environ.get(
            OTEL_EXPORTER_OTLP_ENDPOINT)
        return ["otlp" if otlp else FILE_EXPORTER]
    names = (n.strip().lower() for n in value.split(","))
    return [n for n in dict.fromkeys(names) if n and n != "none"]


def span_exporters(name: str, data_dir: Path, *, max_bytes: int = MAX_BYTES,
                   backups: int = BACKUPS) -> list[SpanExporter]:
    """One exporter per name; a name that cannot be had is logged and left out (a process
    does not stop for its telemetry)."""
    found: list[SpanExporter] = []
    for wanted in exporter_names():
        if wanted == FILE_EXPORTER:
            path = data_dir / "traces" / f"{name}.jsonl"
            found.append(JsonLinesExporter(path, name, max_bytes=max_bytes, backups=backups))
            log.debug("spans: to %s", path)
            continue
        entry = otlp_entry_point() if wanted == "otlp" else wanted
        points = entry_points(group=EXPORTER_GROUP, name=entry)
        if not points:
            installed = sorted({FILE_EXPORTER, "otlp"} | set(entry_points(group=EXPORTER_GROUP).names))
            log.error("OTEL_TRACES_EXPORTER: no span exporter %r is installed (these are: %s); "
                      "no spans go there", wanted, ", ".join(installed))
            continue
        try:
            found.append(next(iter(points)).load()())
        except Exception:
            log.exception("OTEL_TRACES_EXPORTER: span exporter %r could not be set up; "
                          "no spans go there", wanted)
            continue
        log.debug("spans: %s%s", wanted, f" to {otlp_traces_endpoint()}" if "otlp" in entry else "")
    return found


def otlp_entry_point() -> str:
    """The OTLP exporter of the protocol asked for; one not installed is said in one line,
    and OTLP/HTTP (http/protobuf) used instead."""
    variable = next((v for v in (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL)
                     if os.environ.get(v, "").strip()), None)
    protocol = os.environ[variable].strip().lower() if variable else HTTP_PROTOBUF
    entry = _OTLP_BY_PROTOCOL.get(protocol)
    if entry and entry_points(group=EXPORTER_GROUP, name=entry):
        return entry
    log.warning("%s=%s: only OTLP over HTTP (http/protobuf) is installed, so spans go over "
                "HTTP to %s (a collector takes OTLP/HTTP on port 4318, gRPC on 4317)",
                variable, protocol, otlp_traces_endpoint())
    return _OTLP_BY_PROTOCOL[HTTP_PROTOBUF]


def otlp_traces_endpoint() -> str:
    """Where the OTLP/HTTP exporter sends spans (as it reads the variables itself)."""
    if endpoint := os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "").strip():
        return endpoint
    base = os.environ.get(OTEL_EXPORTER_OTLP_ENDPOINT, "").strip() or _DEFAULT_OTLP_ENDPOINT
    return f"{base.removesuffix('/')}/v1/traces"
