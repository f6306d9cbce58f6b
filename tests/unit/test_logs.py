"""Structured logs: one JSON object per line, trace and application context, personal data masked."""

import io
import json
import logging
import random
import sys
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from services.common import logs
from services.launcher.demo import identity_number

_TOUCHED = ("", "uvicorn", "uvicorn.error", "uvicorn.asgi", "faststream", "faststream.access",
            "faststream.access.nats")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure() rewires process-wide loggers: put them back after each test."""
    saved = {}
    for name in _TOUCHED:
        logger = logging.getLogger(name or None)
        saved[name] = (list(logger.handlers), logger.propagate, logger.level, list(logger.filters))
    yield
    for name, (handlers, propagate, level, filters) in saved.items():
        logger = logging.getLogger(name or None)
        logger.handlers[:] = handlers
        logger.propagate, logger.level, logger.filters[:] = propagate, level, filters


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"  # as the demo makes them


def _lines(stream: io.StringIO) -> list[dict]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _json_logs(service: str = "routing", level: str = "INFO") -> io.StringIO:
    stream = io.StringIO()
    logs.configure(service, level, json=True, stream=stream)
    return stream


def test_each_line_is_one_json_object_with_the_basic_fields() -> None:
    stream = _json_logs("dept-education")
    log = logging.getLogger("services.test")
    log.info("batch of %d applied", 3)
    log.warning("多行\n消息")
    log.debug("not at INFO")
    first, second = _lines(stream)
    assert first["service"] == "dept-education"
    assert first["level"] == "INFO" and second["level"] == "WARNING"
    assert first["logger"] == "services.test"
    assert first["msg"] == "batch of 3 applied" and second["msg"] == "多行\n消息"
    assert first["ts"].endswith("Z") and "T" in first["ts"]
    # Nothing known, nothing said: no empty context fields.
    assert not {"trace_id", "span_id", "application_id", "exc"} & first.keys()


def test_application_id_when_bound_or_given() -> None:
    stream = _json_logs()
    log = logging.getLogger("services.test")
    app_id = uuid.uuid4().hex
    with logs.bound(app_id):
        log.info("inside")
        with logs.bound("other"):
            log.info("nested")
        log.info("inside again", extra={"application_id": "explicit"})
    log.info("outside")
    inside, nested, explicit, outside = _lines(stream)
    assert inside["application_id"] == app_id
    assert nested["application_id"] == "other"
    assert explicit["application_id"] == "explicit"
    assert "application_id" not in outside
    assert logs.application_id_var.get() is None


def test_trace_and_span_of_the_current_span() -> None:
    stream = _json_logs()
    log = logging.getLogger("services.test")
    tracer = TracerProvider().get_tracer("test")  # local: the global provider stays unset
    with tracer.start_as_current_span("handle") as span:
        log.info("in a span")
        context = span.get_span_context()
    log.info("no span")
    inside, outside = _lines(stream)
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert len(inside["trace_id"]) == 32 and len(inside["span_id"]) == 16
    assert inside["trace_id"] == inside["trace_id"].lower()
    assert "trace_id" not in outside and "span_id" not in outside


def test_identity_and_phone_numbers_are_masked_in_messages(rng: random.Random) -> None:
    stream = _json_logs()
    log = logging.getLogger("services.test")
    id18, phone = identity_number(rng), _phone(rng)
    id15 = id18[:6] + id18[8:17]  # the old 15-digit form: two-digit year, no check digit
    log.info("applicant id=%s phone %s", id18, phone)
    log.info("身份证%s，旧证%s，电话+86%s", id18, id15, phone)
    plain, chinese = (line["msg"] for line in _lines(stream))
    for text in (plain, chinese):
        assert id18 not in text and phone not in text
    assert f"applicant id={id18[:6]}{'*' * 8}{id18[-4:]} phone {phone[:3]}****{phone[-4:]}" == plain
    assert f"{id18[:6]}{'*' * 8}{id18[-4:]}" in chinese
    assert f"旧证{id15[:6]}{'*' * 5}{id15[-4:]}" in chinese and id15 not in chinese
    assert f"+86{phone[:3]}****{phone[-4:]}" in chinese


def test_check_digit_x_and_what_is_not_personal_data() -> None:
    assert logs.mask("110105194912310021X") == "110105194912310021X"  # 19 characters: no
    assert logs.mask("id 11010519491231002X.") == "id 110105********002X."
    assert logs.mask("0086 13912345678") == "0086 139****5678"
    # Hex ids with runs of digits, longer numbers, counts and times stay as they are.
    for text in ("app 4bf92f357123456789012345678b34da", "seq 1234567890123456789",
                 "took 12.5s, 1000 of 1000", "2025-03-04T08:15:30Z", "message 9f1c:submitted"):
        assert logs.mask(text) == text


def test_exception_text_is_masked(rng: random.Random) -> None:
    stream = _json_logs()
    log = logging.getLogger("services.test")
    id_number, phone = identity_number(rng), _phone(rng)
    try:
        raise ValueError(f"duplicate key (id_number)=({id_number}), phone={phone}")
    except ValueError:
        log.exception("insert failed for %s", phone)
    (line,) = _lines(stream)
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exc"] and "ValueError" in line["exc"]
    assert id_number not in line["exc"] and phone not in line["exc"] and phone not in line["msg"]
    assert f"{id_number[:6]}{'*' * 8}{id_number[-4:]}" in line["exc"]
    assert f"{phone[:3]}****{phone[-4:]}" in line["exc"]


def test_text_format_is_readable_and_masked(rng: random.Random) -> None:
    stream = io.StringIO()
    logs.configure("intake", "INFO", json=False, stream=stream)
    id_number, phone = identity_number(rng), _phone(rng)
    with logs.bound("app-1"):
        logging.getLogger("services.test").error("id %s phone %s", id_number, phone,
                                                 exc_info=RuntimeError(id_number))
    text = stream.getvalue()
    assert "ERROR   services.test: id " in text and "[application app-1]" in text
    assert "RuntimeError" in text
    assert id_number not in text and phone not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_uvicorn_and_faststream_go_through_the_same_handler(
        capsys: pytest.CaptureFixture[str]) -> None:
    from faststream.nats.broker.logging import NatsParamsStorage

    handler = logs.configure("notify", "INFO", json=True)  # on sys.stdout, as in a service
    logging.getLogger("uvicorn.error").warning("uvicorn says")
    logging.getLogger("faststream").info("faststream says")
    # The broker's logger is made when the broker starts, after configure: it keeps ours.
    broker_logger = NatsParamsStorage().get_logger(context=_Context())
    assert broker_logger.handlers == [handler]
    broker_logger.info("broker says")
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["logger"], line["msg"]) for line in out] == [
        ("uvicorn.error", "uvicorn says"), ("faststream", "faststream says"),
        ("faststream.access.nats", "broker says")]
    assert all(line["service"] == "notify" for line in out)
    assert logging.getLogger().handlers == [handler]
    assert sys.stdout is handler.stream


class _Context:
    """The bit of faststream's ContextRepo its log filter reads."""

    def get_local(self, _key: str, default: object = None) -> object:
        return default


def test_configure_replaces_earlier_handlers() -> None:
    logging.basicConfig(stream=io.StringIO(), force=True)
    first = io.StringIO()
    logs.configure("routing", "INFO", json=True, stream=first)
    second = _json_logs()
    logging.getLogger("services.test").info("once")
    assert first.getvalue() == "" and len(_lines(second)) == 1


@pytest.mark.parametrize(("name", "masked"), [
    ("张三丰", "张**"), ("李四", "李*"), ("王", "王"), ("欧阳娜娜", "欧***"), ("", ""),
    (" 赵六 ", "赵*"),
])
def test_mask_name(name: str, masked: str) -> None:
    assert logs.mask_name(name) == masked
