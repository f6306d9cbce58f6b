"""The closed bus, against a real nats-server with the configuration `onedoor up` writes:
nobody without a password, and each process only what its own code consumes and publishes."""

import os
import stat
from collections.abc import Iterator

import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig

from contracts import subjects
from services.common.jetstream import read_own_message
from services.launcher.natsconfig import CREDENTIALS, KEY_FILE
from services.launcher.natsperms import ADMIN, BusUser
from tests.support.nats import ClosedBus
from tests.support.waiting import eventually_async

STREAM = subjects.STREAM


@pytest.fixture(scope="module")
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClosedBus]:
    closed = ClosedBus(tmp_path_factory.mktemp("bus") / "nats").start()
    yield closed
    closed.stop()


def durable(bus: ClosedBus, name: str) -> ConsumerConfig:
    return next(c for u in bus.users for c in u.durables if c.durable_name == name)


def user(bus: ClosedBus, name: str) -> BusUser:
    return next(u for u in bus.users if u.name == name)


async def refused(errors: list[Exception], subject: str) -> None:
    """The server told the client it may not publish or subscribe to ``subject``."""
    async def told() -> bool:
        said = [str(e).lower() for e in errors]
        assert any("permissions violation" in s and f'"{subject.lower()}"' in s for s in said), said
        return True

    await eventually_async(told, timeout=10)


async def stored_on(bus: ClosedBus, subject: str) -> int:
    admin = await bus.connect(ADMIN)
    try:
        info = await admin.jetstream().stream_info(STREAM, subjects_filter=subject)
        return (info.state.subjects or {}).get(subject, 0)
    finally:
        await admin.close()


async def test_anonymous_and_wrong_passwords_are_refused(bus: ClosedBus) -> None:
    for options in ({}, {"user": "dept-education", "password": "not-its-password"},
                    {"user": "nobody", "password": "x"}):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(bus.url, allow_reconnect=False, max_reconnect_attempts=0,
                               connect_timeout=5, error_cb=_ignore, **options)


async def test_education_cannot_see_housing_tasks(bus: ClosedBus) -> None:
    errors: list[Exception] = []
    nc = await bus.connect("dept-education", errors)
    js = nc.jetstream(timeout=2)
    try:
        housing_tasks = subjects.for_department(subjects.TASK_ASSIGNED, "housing")
        await nc.subscribe(housing_tasks)
        await refused(errors, housing_tasks)
        # Nor through housing's durable: no pulling from it, not even its state.
        with pytest.raises(nats.errors.TimeoutError):
            await js.consumer_info(STREAM, "department-housing")
        await refused(errors, f"$JS.API.CONSUMER.INFO.{STREAM}.department-housing")
        pull = await js.pull_subscribe_bind("department-housing", stream=STREAM)
        with pytest.raises(nats.errors.TimeoutError):
            await pull.fetch(1, timeout=1)
        await refused(errors, f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.department-housing")
        # Nor another process's replies, nor the stream by sequence.
        await nc.subscribe("_INBOX.dept-housing.>")
        await refused(errors, "_INBOX.dept-housing.>")
        with pytest.raises(nats.errors.TimeoutError):
            await js.get_msg(STREAM, 1)
        await refused(errors, f"$JS.API.STREAM.MSG.GET.{STREAM}")
    finally:
        await nc.close()


async def test_no_process_publishes_what_it_does_not_own(bus: ClosedBus) -> None:
    forged = [("dept-education", subjects.for_department(subjects.TASK_DECIDED, "civil_affairs")),
              ("intake", subjects.for_department(subjects.TASK_DECIDED, "medical")),
              ("routing", subjects.HOUSEHOLD_STATUS_CONFIRMED),
              ("notify", subjects.for_department(subjects.TASK_ASSIGNED, "education")),
              ("dept-civil_affairs", subjects.APPLICATION_COMPLETED)]
    for name, subject in forged:
        errors: list[Exception] = []
        nc = await bus.connect(name, errors)
        try:
            await nc.publish(subject, b'{"forged": true}')
            await nc.flush()
            await refused(errors, subject)
        finally:
            await nc.close()
        assert await stored_on(bus, subject) == 0, (name, subject)
    # What it does own, it may: civil affairs confirms households (its 低保 items).
    assert subjects.HOUSEHOLD_STATUS_CONFIRMED in user(bus, "dept-civil_affairs").publishes
    assert subjects.HOUSEHOLD_STATUS_CONFIRMED not in user(bus, "dept-housing").publishes


async def test_only_the_admin_deletes_or_creates_what_is_not_its_own(bus: ClosedBus) -> None:
    errors: list[Exception] = []
    nc = await bus.connect("dept-education", errors)
    js = nc.jetstream(timeout=2)
    try:
        for name in ("department-education", "department-housing", "routing"):
            with pytest.raises(nats.errors.TimeoutError):
                await js.delete_consumer(STREAM, name)
            await refused(errors, f"$JS.API.CONSUMER.DELETE.{STREAM}.{name}")
        for attempt in (js.delete_stream(STREAM), js.purge_stream(STREAM)):
            with pytest.raises(nats.errors.TimeoutError):
                await attempt
        await refused(errors, f"$JS.API.STREAM.DELETE.{STREAM}")
        await refused(errors, f"$JS.API.STREAM.PURGE.{STREAM}")
        # Another service's durable, or its own name over another department's subject.
        housing = subjects.for_department(subjects.TASK_ASSIGNED, "housing")
        for name in ("department-housing", "department-education"):
            with pytest.raises(nats.errors.TimeoutError):
                await js.add_consumer(STREAM, ConsumerConfig(
                    name=name, durable_name=name, filter_subject=housing))
            await refused(errors, f"$JS.API.CONSUMER.CREATE.{STREAM}.{name}.{housing}")
    finally:
        await nc.close()
    admin = await bus.connect(ADMIN)
    try:
        names = {c.name for c in await admin.jetstream().consumers_info(STREAM)}
        assert {c.durable_name for u in bus.users for c in u.durables} <= names
        assert (await admin.jetstream().stream_info(STREAM)).config.name == STREAM
    finally:
        await admin.close()


async def test_a_service_may_create_only_its_own_deleted_durable_again(bus: ClosedBus) -> None:
    """What the watchdog does after an operator deleted a durable (watchdog.py says why)."""
    config = durable(bus, "department-education-deadlines")
    admin = await bus.connect(ADMIN)
    await admin.jetstream().delete_consumer(STREAM, config.durable_name)
    await admin.close()
    errors: list[Exception] = []
    nc = await bus.connect("dept-education", errors)
    try:
        info = await nc.jetstream(timeout=5).add_consumer(STREAM, config)
        assert info.config.filter_subject == config.filter_subject
        assert not errors
    finally:
        await nc.close()


async def test_a_service_reads_back_its_own_messages_only(bus: ClosedBus) -> None:
    """A dead letter the server gave up on is read back through the reader consumer."""
    admin = await bus.connect(ADMIN)
    ajs = admin.jetstream()
    education = subjects.for_department(subjects.TASK_ASSIGNED, "education")
    housing = subjects.for_department(subjects.TASK_ASSIGNED, "housing")
    own = (await ajs.publish(education, b"education's task")).seq
    other = (await ajs.publish(housing, b"housing's task")).seq
    await admin.close()
    errors: list[Exception] = []
    nc = await bus.connect("dept-education", errors)
    js = nc.jetstream(timeout=2)
    try:
        message = await read_own_message(js, durable(bus, "department-education"), own)
        assert message is not None and message.data == b"education's task"
        assert not errors
        with pytest.raises(nats.errors.TimeoutError):
            await read_own_message(js, durable(bus, "department-housing"), other)
        await refused(errors, f"$JS.API.CONSUMER.DELETE.{STREAM}.department-housing-reader")
    finally:
        await nc.close()


async def test_each_user_has_its_own_credentials_readable_by_its_owner_only(bus: ClosedBus) -> None:
    directory = bus.nats_dir / CREDENTIALS
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = sorted(directory.iterdir())
    assert {f.name for f in files} >= {f"{u.name}.json" for u in bus.users} | {
        f"{ADMIN}.json", KEY_FILE}
    for path in [*files, *bus.nats_dir.glob("*.conf")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(bus.nats_dir.stat().st_mode) == 0o700
    assert os.access(bus.credentials("dept-education"), os.R_OK)


async def _ignore(exc: Exception) -> None:
    pass

