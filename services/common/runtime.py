"""What every service process is made of: database, unit of work, broker and outbox relay."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from faststream.nats import NatsBroker, NatsRouter
from sqlalchemy import MetaData

from contracts import subjects
from services.common import instance, keystore, rekey
from services.common.clock import Clock, SystemClock
from services.common.consumer import BatchConsumer, RetryPolicy
from services.common.db import Database
from services.common.instance import DataDirLock, InstanceConflict, Ownership, database_identity
from services.common.jetstream import ensure_stream, stream_exists
from services.common.messaging import MessagingTables
from services.common.metrics import GaugeCallback, Metrics, consumer_bound
from services.common.natsauth import broker_options
from services.common.relay import OutboxRelay
from services.common.settings import Settings
from services.common.tracing_setup import make_provider
from services.common.uow import UnitOfWork
from services.common.watchdog import Watchdog

log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0  # seconds a /ready check waits for the server's answer


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        name: str,
        metadata: MetaData,
        tables: MessagingTables,
        clock: Clock | None = None,
        migrations: Path | None = None,
        bus_key: bool = True,
    ) -> None:
        self.settings = settings
        self.name = name
        self.tables = tables
        self.clock = clock or SystemClock()
        url, schema = settings.database_for(name)
        # The keys of personal data (KeyProblem, one line, if they cannot be had); the bus key
        # unless the service must not read the personal part of messages (``bus_key``).
        self.keys = keystore.load(settings.data_dir, settings.key_values(), bus=bus_key)
        # ``migrations``: the service's Alembic directory, upgraded to head at start.
        self.db = Database(url, metadata, schema=schema, migrations=migrations, keys=self.keys)
        # With SQLite this process alone may feed the service's consumers (instance.py).
        self.ownership = Ownership(name, database_identity(url, schema), settings.stream_replicas,
                                   declare=settings.nats_is_open)
        self._data_lock: DataDirLock | None = None
        self.tracer_provider = make_provider(name, settings.data_dir,
                                             max_bytes=settings.trace_file_max_size,
                                             backups=settings.trace_file_backups)
        self.tracer = self.tracer_provider.get_tracer("onedoor")
        self.relay = OutboxRelay(self.db, tables, self.clock, self.tracer)
        self.uow = UnitOfWork(self.db, tables, self.clock, on_commit=self.relay.wake,
                              tracer=self.tracer, bus_key=self.keys.bus)
        # Its own registry: several runtimes in one process (tests) keep their metrics apart.
        self.metrics = Metrics(name)
        self.js: Any = None  # the JetStream context, once connected
        self.broker = NatsBroker(
            settings.nats_servers,
            max_reconnect_attempts=-1,  # keep trying for ever: NATS restarts are routine
            reconnect_time_wait=1,
            log_level=logging.DEBUG,  # one log line per message is for debugging only
            middlewares=[self.metrics.nats_middleware()],
            # Its own NATS user and reply inbox on a closed bus; anonymous on an open one.
            **broker_options(settings.nats_credentials, settings.nats_ca_file),
        )

        self.consumers: dict[str, BatchConsumer] = {}
        self.retry = RetryPolicy(max_deliver=settings.max_deliver, ack_wait=settings.ack_wait,
                                 backoff_base=settings.retry_backoff)
        self.watchdog = Watchdog(self.consumers, settings.stall_seconds)
        self.metrics.live_counter("onedoor_outbox_published", "Events the outbox relay published",
                                  lambda: self.relay.published)
        self.metrics.live_counter("onedoor_watchdog_restarts", "Stalled pull subscriptions restarted",
                                  lambda: self.watchdog.restarts)
        self.metrics.live_counter("onedoor_watchdog_recreated",
                                  "Durable consumers created again after they were deleted",
                                  lambda: self.watchdog.recreated)

    def consumer(self, durable: str) -> BatchConsumer:
        """A consumer of this service (``durable`` names it on the server too)."""
        self.consumers[durable] = BatchConsumer(self.uow, durable, self.retry)
        # Where its hooks (batch_processed, message_failed, dead_lettered) report.
        self.consumers[durable].metrics = self.metrics  # type: ignore[attr-defined]
        return self.consumers[durable]

    def gauge(self, name: str, documentation: str, labelnames: tuple[str, ...],
              callback: GaugeCallback) -> None:
        """A service's own gauge at ``/metrics``, computed by ``callback`` in the background."""
        self.metrics.add_gauge(name, documentation, labelnames, callback)

    def include(self, router: NatsRouter) -> None:
        self.broker.include_router(router)

    def lock_data(self) -> None:
        """With SQLite, lock the service's data directory for this process's life; raises
        InstanceConflict (one line) if another process has it."""
        if self.db.is_sqlite and self._data_lock is None and self.db.file is not None:
            self._data_lock = DataDirLock(self.db.file.parent, self.name)

    async def preflight(self) -> None:
        """Before serving (``onedoor run``): refuse at once, with InstanceConflict, if another
        process owns this service's data, here or on NATS; with KeyProblem if the data key
        does not open the data."""
        self.lock_data()
        try:
            await rekey.check_readable(self.db)
        finally:
            await self.db.engine.dispose()  # its connections belong to this loop, not the server's
        await instance.preflight(self.ownership, self.settings)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        self.lock_data()
        try:
            await self.db.create_schema()
            await self._connect()
            js = self.js = self.broker.connection.jetstream()
            try:
                # On a closed bus the admin declares the stream (and every durable) before the
                # services start: a service only waits for it. On an open NATS nobody else will.
                if self.settings.nats_is_open:
                    await self._until_jetstream_answers(lambda: ensure_stream(
                        js, self.settings.stream_replicas))
                else:
                    await self._until_jetstream_answers(lambda: stream_exists(js))
                # Before any consumer joins: a second database must not take messages.
                await self._until_jetstream_answers(lambda: self.ownership.claim(js))
            except BaseException:
                await self.broker.stop()
                raise
            await self.broker.start()
            self.relay.start(js)
            self.watchdog.every_round.append(self.ownership.renew)
            self.watchdog.start(self.broker.connection, js)
            self.metrics.start(self.db, self.tables, self.consumers, self.broker.connection, js)
            log.info("%s ready (NATS %s)", self.name, self.settings.nats_url)
            try:
                yield
            finally:
                await self.metrics.stop()
                await self.watchdog.stop()
                await self.relay.stop()
                if self.db.is_sqlite:  # PostgreSQL instances share the record: it expires
                    await self.ownership.release(js)
                await self.broker.stop()
        finally:
            await self.db.dispose()
            self.tracer_provider.shutdown()  # flushes the last spans
            if self._data_lock is not None:
                self._data_lock.release()
                self._data_lock = None

    async def _until_jetstream_answers(self, step: Callable[[], Awaitable[Any]]) -> None:
        """A new cluster elects its JetStream leaders (the stream's, the owners bucket's) after
        the servers listen: retry ``step`` until it answers. A refusal (InstanceConflict) is an
        answer, and ends the start."""
        delay = 0.2
        while True:
            try:
                await step()
                return
            except InstanceConflict:
                raise
            except Exception as exc:
                log.warning("%s: JetStream not ready (%s); retrying", self.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _connect(self) -> None:
        """Wait for NATS at start (it may come up after us), then rely on reconnects."""
        delay = 0.2
        while True:
            try:
                await self.broker.connect()
                return
            except Exception as exc:
                log.warning("%s: NATS %s not reachable (%s); retrying", self.name,
                            self.settings.nats_url, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def ready(self) -> dict[str, bool]:
        """NATS connected, database reachable, every consumer subscribed here and present on
        the server (``consumer:<name>``: a durable deleted there takes no messages)."""
        try:
            nats_ok = self.broker.connection.is_connected
        except Exception:  # not connected yet: faststream has no connection object
            nats_ok = False
        checks = {"nats": nats_ok, "database": await self.db.ping(),
                  # False if another database took this service's record over (instance.py)
                  "owner": self.ownership.lost is None}
        names = list(self.consumers)
        on_server = await asyncio.gather(*(self._on_server(n) for n in names)) if nats_ok else \
            [False] * len(names)
        checks |= {f"consumer:{name}": consumer_bound(self.consumers[name]) and present
                   for name, present in zip(names, on_server, strict=True)}
        return checks

    async def _on_server(self, durable: str) -> bool:
        """The server has the durable (one small request, all consumers' in parallel)."""
        try:
            await self.js.consumer_info(subjects.STREAM, durable, timeout=READY_TIMEOUT)
            return True
        except Exception:  # not found, or NATS not answering: not ready either way
            return False
