"""The libraries' chatter stays out of every service's log; what a person needs stays in."""

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from services.common import logs

_TOUCHED = ("", "uvicorn", "uvicorn.error", "uvicorn.asgi", "faststream", "faststream.access",
            "faststream.access.nats", "httpx")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    saved = {}
    for name in _TOUCHED:
        logger = logging.getLogger(name or None)
        saved[name] = (list(logger.handlers), logger.propagate, logger.level)
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name or None)
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level


@pytest.mark.parametrize("json", [False, True], ids=["text", "json"])
def test_library_chatter_is_dropped_and_an_upgrade_takes_one_line(json: bool) -> None:
    stream = io.StringIO()
    logs.configure("intake", "INFO", json=json, stream=stream)

    logging.getLogger("alembic.runtime.plugins").info("setup plugin %s", "alembic.autogenerate.schemas")
    logging.getLogger("alembic.runtime.migration").info("Context impl %s.", "SQLiteImpl")
    logging.getLogger("alembic.runtime.migration").info("Will assume non-transactional DDL.")
    logging.getLogger("faststream.access.nats").info("callback for Task-14 is being executed...")
    logging.getLogger("alembic.runtime.migration").info(
        "Running upgrade %s -> %s, %s", "", "0001", "Initial schema of intake: applications,\n"
        "their items and the messaging tables.")
    logging.getLogger("services.common.migrations").info(
        "database schema upgraded from %s to %s (%s)", "empty", "0004", "intake")
    logging.getLogger("faststream.access.nats").warning("subscriber stopped")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "database schema upgraded from empty to 0004 (intake)" in lines[0]
    assert "subscriber stopped" in lines[1]


def test_the_launcher_console_has_no_line_per_http_request() -> None:
    stream = io.StringIO()
    logs.configure_console(stream, force=True)

    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:8000/ready "HTTP/1.1 200 OK"')
    logging.getLogger("onedoor").info("every service is ready")

    assert stream.getvalue().splitlines()[-1].endswith("onedoor: every service is ready")
    assert "HTTP Request" not in stream.getvalue()


def test_a_connection_reset_cancelled_at_shutdown_leaves_no_traceback() -> None:
    stream = io.StringIO()
    logs.configure("notify", "INFO", json=False, stream=stream)
    pool = logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool")

    for error in (asyncio.CancelledError(), OSError("disk I/O error")):
        try:
            raise error
        except BaseException:
            pool.error("Exception during reset or similar", exc_info=True)

    text = stream.getvalue()
    assert "CancelledError" not in text
    assert "OSError: disk I/O error" in text  # a real failure still shows, with its traceback
