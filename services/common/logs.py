"""Logging of every service process: one JSON object per line (or text), personal data masked.

``configure`` puts one handler on the root logger (uvicorn's loggers propagate to it) and on
faststream's loggers (which do not propagate). Each line carries the service, the current
OpenTelemetry trace and span, and the application being worked on when known::

    {"ts": "2025-03-04T08:15:30.123Z", "level": "INFO", "service": "routing",
     "logger": "services.common.consumer", "msg": "...", "trace_id": "4bf9…4736",
     "span_id": "00f0…02b7", "application_id": "9f1c…"}

Set the application with ``with bound(application_id): ...`` while a message or request is
handled (or pass ``extra={"application_id": ...}`` to one call). Resident identity numbers,
mobile and landline numbers are masked in the message and the exception text of every line,
also when written with blanks or hyphens (``services.common.masking``). Names cannot be
recognised in free text: never log one; ``mask_name`` is for a line that must refer to a
person.
"""

import contextlib
import json as _json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from opentelemetry import trace

from services.common.lognoise import QuietFilter
from services.common.masking import mask, mask_name

__all__ = ["ContextFilter", "JsonFormatter", "TextFormatter", "application_id_var", "bound",
           "configure", "configure_console", "mask", "mask_name"]

# The application the current task is working on (a message's or a request's).
application_id_var: ContextVar[str | None] = ContextVar("onedoor_application_id", default=None)

# Loggers that do not propagate to the root logger and get the handler themselves:
# faststream makes its own with propagate=False (the broker's on first use, see configure).
_OWN_HANDLER_LOGGERS = ("faststream", "faststream.access", "faststream.access.nats")
# Loggers that must propagate to the root (uvicorn's, unless a log config gave them handlers).
_PROPAGATING_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")

_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@contextlib.contextmanager
def bound(application_id: str | None) -> Iterator[None]:
    """Every line logged inside (in this task or thread) carries ``application_id``."""
    token = application_id_var.set(application_id)
    try:
        yield
    finally:
        application_id_var.reset(token)


class ContextFilter(logging.Filter):
    """Copies the trace, span and application of the calling task onto the record (at the
    call, before any handler might format it elsewhere). An ``extra`` given to the call wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "application_id", None) is None:
            record.application_id = application_id_var.get()
        if getattr(record, "trace_id", None) is None:
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                record.trace_id = format(context.trace_id, "032x")
                record.span_id = format(context.span_id, "016x")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, msg, and trace_id, span_id,
    application_id when known, exc when there is an exception; personal data masked."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        for key in ("trace_id", "span_id", "application_id"):
            value = getattr(record, key, None)
            if value:
                line[key] = str(value)
        exc = _exception_text(self, record)
        if exc:
            line["exc"] = mask(exc)
        return _json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The human-readable line (``ONEDOOR_LOG_FORMAT=text``), masked the same way."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.message = mask(record.getMessage())
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        application_id = getattr(record, "application_id", None)
        if application_id:
            line += f" [application {application_id}]"
        exc = _exception_text(self, record)
        return f"{line}\n{mask(exc)}" if exc else line


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler ``configure`` installed, so that configuring again replaces it."""


def configure(service: str, level: str | int = "INFO", json: bool = True,
              stream: TextIO | None = None) -> logging.Handler:
    """Send every log line of this process through one handler: JSON (or text) on stdout.

    Replaces the root logger's handlers (``logging.basicConfig``'s, an earlier call's).
    """
    handler = _Handler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter(service) if json else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(QuietFilter())
    level = level.upper() if isinstance(level, str) else level

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)

    for name in _PROPAGATING_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # faststream's loggers do not propagate. The broker's ("faststream.access.nats") is made
    # when the broker starts; faststream then adds a handler of its own only if the logger
    # has no StreamHandler on sys.stdout yet: with this one there, it keeps ours alone.
    for name in _OWN_HANDLER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.NOTSET)
    return handler


def configure_console(stream: TextIO, force: bool = False) -> logging.Handler | None:
    """The launcher's own lines (``up``, ``status``, …): text on ``stream``, without a line
    for every HTTP request it makes. Like ``logging.basicConfig``, it leaves a process whose
    logging is set up already (a test runner calling the CLI) alone, unless ``force``."""
    if logging.getLogger().handlers and not force:
        return None
    handler = configure("onedoor", "INFO", json=False, stream=stream)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
