"""Each process's place on the closed bus, read from its own code, not listed by hand.

A process's composition root (``build_runtime``) declares its durable consumers (name,
filter subject, settings: ``jetstream.durable_config``) and its publishers (the subjects its
outbox writes: the same list ``services/asyncapi.py`` documents). Its NATS user may do with
the stream exactly what those need, and nothing else:

- publish its own events (a department: its own ``onedoor.task.*.<code>`` results, and
  ``household.status_confirmed`` only if its items confirm a status some grant follows);
- of each of its durables: read its state, pull from it, acknowledge what it pulled, and
  create it again with its own filter subject if it was deleted (watchdog.py says why);
  hear its max-deliveries advisories, and read a dead letter back through its reader
  consumer (``jetstream.read_own_message``);
- see that the stream exists; read and write its own key of the owners bucket;
- take replies on its own inbox, ``_INBOX.<user>.>``.

Nobody but the admin user creates, changes or deletes the stream, the bucket or a durable
of another process; the admin (``onedoor up``) declares all of them before the services start.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from nats.js.api import ConsumerConfig

from contracts import Department, subjects
from services.common.instance import BUCKET
from services.common.jetstream import reader_name
from services.common.natsauth import inbox_prefix
from services.common.settings import Settings
from services.common.watchdog import advisory_subject
from services.launcher.topology import ProcessSpec

ADMIN = "admin"
API = "$JS.API"
KV_STREAM = f"KV_{BUCKET}"


@dataclass(frozen=True)
class BusUser:
    """One process's NATS user: what it consumes and publishes, and hence what it may do."""

    name: str  # the process name, as `onedoor up` shows it: intake, routing, dept-education…
    owner_key: str  # its key in the owners bucket (instance.py): its runtime's name
    durables: tuple[ConsumerConfig, ...]
    publishes: tuple[str, ...]

    def permissions(self) -> dict[str, Any]:
        """Its nats-server ``permissions``: everything not listed is refused."""
        stream = subjects.STREAM
        publish = [*self.publishes, f"{API}.STREAM.INFO.{stream}"]
        subscribe = [f"{inbox_prefix(self.name)}.>"]
        for durable in self.durables:
            name, subject = durable.durable_name, durable.filter_subject
            reader = reader_name(str(name))
            publish += [f"{API}.CONSUMER.INFO.{stream}.{name}",
                        f"{API}.CONSUMER.MSG.NEXT.{stream}.{name}",
                        # The subject names the filter: the server refuses a body that differs.
                        f"{API}.CONSUMER.CREATE.{stream}.{name}.{subject}",
                        f"$JS.ACK.{stream}.{name}.>",
                        f"{API}.CONSUMER.CREATE.{stream}.{reader}.{subject}",
                        f"{API}.CONSUMER.MSG.NEXT.{stream}.{reader}",
                        f"{API}.CONSUMER.DELETE.{stream}.{reader}"]
            subscribe.append(advisory_subject(str(name)))
        key = f"$KV.{BUCKET}.{self.owner_key}"
        publish += [f"{API}.STREAM.INFO.{KV_STREAM}", f"{API}.DIRECT.GET.{KV_STREAM}.{key}", key]
        return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


def admin_permissions() -> dict[str, Any]:
    """The admin user (``onedoor up``, ``onedoor nats declare``, the bench, operators)."""
    return {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}


def bus_users(settings: Settings, specs: Iterable[ProcessSpec]) -> list[BusUser]:
    """The user of each process of ``specs``, as its code declares it under ``settings``
    (region, retry settings): built the way ``services/asyncapi.py`` builds the runtimes,
    connecting and opening nothing."""
    settings = settings.model_copy(update={"database_url": "sqlite+aiosqlite://"})
    users = []
    with _no_spans():
        for spec in specs:
            runtime = _runtime(settings, spec)
            runtime.tracer_provider.shutdown()
            users.append(BusUser(
                name=spec.name, owner_key=runtime.name,
                durables=tuple(c.config for c in runtime.consumers.values()),
                publishes=tuple(sorted({_subject(p.subject) for p in runtime.broker.publishers}))))
    return users


def _runtime(settings: Settings, spec: ProcessSpec) -> Any:
    """The process's runtime from its own composition root (imported here: the launcher's
    other commands need none of the services)."""
    if spec.service == "department":
        from services.departments.app import build_runtime as department

        return department(settings, Department(spec.department))
    if spec.service == "notify":
        from services.notify.app import build_runtime as notify

        return notify(settings, lambda: None)
    if spec.service == "routing":
        from services.routing.app import build_runtime as routing

        return routing(settings)
    from services.intake.app import build_runtime as intake

    return intake(settings)


def _subject(address: Any) -> str:
    """A publisher's subject; a per-department template (routing's task hand-offs) as the
    wildcard of every department."""
    subject = str(getattr(address, "broker_address", address))
    return subject.replace("{department}", "*")


@contextlib.contextmanager
def _no_spans() -> Iterator[None]:
    """Runtimes built only to be read need no span exporter (no file, no thread, no log)."""
    before = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ["OTEL_SDK_DISABLED"]
        else:
            os.environ["OTEL_SDK_DISABLED"] = before
