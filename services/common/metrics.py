"""Prometheus metrics of one service process, served at ``GET /metrics`` (text exposition).

Every ``Runtime`` has its own ``Metrics`` with its own ``CollectorRegistry`` (never the
process-wide default one), so several services can run in one process (tests) without their
metrics clashing. What it holds:

- FastStream's ``NatsPrometheusMiddleware`` on the broker: ``faststream_received_*`` per
  subscriber batch. With the batch pull subscribers a "message" there is a whole batch (its
  ``handler`` label is the subject of the batch's first message, its count the batch size),
  and its ``status`` is always ``acked``: the consumers acknowledge, retry and set aside the
  raw messages themselves. Per-subject counts and failures are ``onedoor_consumer_*``, fed by
  ``batch_processed`` / ``message_failed`` / ``dead_lettered`` (called by the consumer).
- ``onedoor_http_*``: every HTTP request, by method, route template and status (``HttpMetrics``).
- Gauges refreshed by a background task every ``interval`` seconds (a scrape never queries the
  database): outbox backlog, open dead letters, each consumer's pending counts on the server,
  and whatever gauges the service adds (``add_gauge``: an ``async def (session) -> {labels:
  value}``), e.g. a department's overdue tasks. ``onedoor_metrics_refreshed_timestamp_seconds``
  says how fresh each source is.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from faststream.nats.prometheus import NatsPrometheusMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import subjects
from services.common.clock import Clock

log = logging.getLogger(__name__)
STOP_TIMEOUT = 5.0  # seconds the refresh loop gets to stop at shutdown

# The gauges are refreshed when /metrics is asked (unless they are under FRESH_SECONDS old)
# and in the background at least every REFRESH_SECONDS: a system nobody scrapes does not
# query its database and NATS every few seconds for nothing (issue 11: CPU at rest).
REFRESH_SECONDS = 60.0
FRESH_SECONDS = 1.0
SCRAPE_REFRESH_TIMEOUT = 5.0
CONSUMER_INFO_TIMEOUT = 2.0

# An extra gauge's value source: label values (in the gauge's label order) -> value.
GaugeCallback = Callable[[AsyncSession], Awaitable[Mapping[tuple[str, ...], float]]]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_SIZES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)


@dataclass
class _ExtraGauge:
    name: str
    gauge: Gauge
    labelnames: tuple[str, ...]
    callback: GaugeCallback


class Metrics:
    """The metrics of one service (``service`` is the runtime's name)."""

    def __init__(self, service: str, interval: float = REFRESH_SECONDS) -> None:
        self.service = service
        self.interval = interval
        self._sources: tuple[Any, ...] | None = None  # what refresh reads, once started
        self._refreshed_at = 0.0
        self._refreshing = asyncio.Lock()
        self.registry = CollectorRegistry()
        r = self.registry
        # Consumers (fed by BatchConsumer through the three methods below).
        self.processed = Counter(
            "onedoor_consumer_messages_processed", "Messages whose effect a consumer committed "
            "(redeliveries of processed messages included), by consumer and subject",
            ["consumer", "subject"], registry=r)
        self.batch_seconds = Histogram(
            "onedoor_consumer_batch_duration_seconds",
            "Time to apply and acknowledge one batch, by consumer and subject",
            ["consumer", "subject"], buckets=_LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram(
            "onedoor_consumer_batch_messages", "Messages per committed batch, by consumer and subject",
            ["consumer", "subject"], buckets=_BATCH_SIZES, registry=r)
        self.failed = Counter(
            "onedoor_consumer_messages_failed", "Failed attempts at a message (retried later or "
            "dead-lettered), by consumer and subject", ["consumer", "subject"], registry=r)
        self.dead_letters = Counter(
            "onedoor_consumer_dead_letters", "Messages a consumer set aside as dead letters",
            ["consumer"], registry=r)
        # HTTP.
        self.http_requests = Counter(
            "onedoor_http_requests", "HTTP requests by method, route template and status",
            ["method", "route", "status"], registry=r)
        self.http_seconds = Histogram(
            "onedoor_http_request_duration_seconds",
            "HTTP request duration by method, route template and status",
            ["method", "route", "status"], buckets=_LATENCY_BUCKETS, registry=r)
        # Refreshed in the background.
        self.outbox_unpublished = Gauge(
            "onedoor_outbox_unpublished", "Events written to the outbox and not yet published",
            registry=r)
        self.dead_letters_open = Gauge(
            "onedoor_dead_letters_open", "Dead letters not (successfully) replayed", registry=r)
        self.consumer_pending = Gauge(
            "onedoor_consumer_num_pending", "Messages in the stream not yet delivered to the "
            "consumer (JetStream num_pending)", ["consumer"], registry=r)
        self.consumer_ack_pending = Gauge(
            "onedoor_consumer_num_ack_pending", "Messages delivered to the consumer and not yet "
            "acknowledged (JetStream num_ack_pending)", ["consumer"], registry=r)
        self.refreshed = Gauge(
            "onedoor_metrics_refreshed_timestamp_seconds",
            "Unix time of the last successful refresh of the gauges, by source", ["source"],
            registry=r)
        self.refresh_errors = Counter(
            "onedoor_metrics_refresh_errors", "Failed refreshes of the gauges, by source",
            ["source"], registry=r)
        self._extra: list[_ExtraGauge] = []
        self._live = _LiveCounters()
        r.register(self._live)
        self._task: asyncio.Task[None] | None = None

    # -- what the broker and the consumers report ------------------------------------------

    def nats_middleware(self) -> NatsPrometheusMiddleware:
        """FastStream's per-subscriber metrics (``faststream_*``), into this registry."""
        return NatsPrometheusMiddleware(registry=self.registry, app_name=self.service)

    def batch_processed(self, consumer: str, subject: str, n: int, seconds: float) -> None:
        """``n`` messages of ``subject`` committed and acknowledged in one batch."""
        self.processed.labels(consumer, subject).inc(n)
        self.batch_seconds.labels(consumer, subject).observe(seconds)
        self.batch_size.labels(consumer, subject).observe(n)

    def message_failed(self, consumer: str, subject: str) -> None:
        """One attempt at one message failed (it will be redelivered or become a dead letter)."""
        self.failed.labels(consumer, subject).inc()

    def dead_lettered(self, consumer: str, n: int = 1) -> None:
        """``n`` messages recorded as dead letters (malformed, or failed too often)."""
        self.dead_letters.labels(consumer).inc(n)

    def live_counter(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A counter the process keeps anyway (e.g. the relay's publish count), read at scrape."""
        self._live.add(name, documentation, read)

    def add_gauge(self, name: str, documentation: str, labelnames: Iterable[str],
                  callback: GaugeCallback) -> None:
        """A gauge whose values ``callback`` computes from the database at each refresh."""
        labels = tuple(labelnames)
        gauge = Gauge(name, documentation, labels, registry=self.registry)
        self._extra.append(_ExtraGauge(name, gauge, labels, callback))

    def watch(self, consumers: Iterable[str]) -> None:
        """Export every consumer's series from the start (at zero), before anything happens."""
        for name in consumers:
            self.dead_letters.labels(name)
            self.consumer_pending.labels(name)
            self.consumer_ack_pending.labels(name)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def scrape(self) -> bytes:
        """The exposition, with the gauges refreshed first unless they are fresh (a refresh
        that does not end in time leaves the last values)."""
        if self._sources is not None and time.monotonic() - self._refreshed_at > FRESH_SECONDS:
            async with self._refreshing:
                if time.monotonic() - self._refreshed_at > FRESH_SECONDS:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.refresh(*self._sources),
                                               SCRAPE_REFRESH_TIMEOUT)
        return self.exposition()

    # -- the background refresh -----------------------------------------------------------

    def start(self, db: Any, tables: Any, consumers: Mapping[str, Any], connection: Any,
              js: Any) -> None:
        self.watch(consumers)
        self._sources = (db, tables, consumers, connection, js)
        self._task = asyncio.create_task(self._run(db, tables, consumers, connection, js),
                                         name="metrics-refresh")

    async def stop(self) -> None:
        self._sources = None
        if self._task:
            self._task.cancel()
            # Bounded: a refresh cancelled inside a database or NATS call has been seen never
            # to finish (a test's shutdown hung on it); the gauges do not matter any more.
            done, _ = await asyncio.wait({self._task}, timeout=STOP_TIMEOUT)
            if not done:
                log.warning("%s: metrics refresh did not stop within %ss; left behind",
                            self.service, STOP_TIMEOUT)
            elif not self._task.cancelled() and self._task.exception():
                log.warning("%s: metrics refresh ended with %r", self.service,
                            self._task.exception())
            self._task = None

    async def _run(self, db: Any, tables: Any, consumers: Mapping[str, Any], connection: Any,
                   js: Any) -> None:
        while True:
            try:
                await self.refresh(db, tables, consumers, connection, js)
            except Exception:  # never let the gauges stop for good
                log.exception("%s: refreshing the metrics failed", self.service)
            await asyncio.sleep(self.interval)

    async def refresh(self, db: Any, tables: Any, consumers: Mapping[str, Any], connection: Any,
                      js: Any) -> None:
        """Bring every gauge up to date; a source that fails keeps its last values."""
        self._refreshed_at = time.monotonic()
        async with self._source("database"):
            async with db.reading() as session:
                unpublished = await session.scalar(
                    select(func.count()).select_from(tables.outbox)
                    .where(tables.outbox.c.published_at.is_(None)))
                open_letters = await session.scalar(
                    select(func.count()).select_from(tables.dead_letters)
                    .where(tables.dead_letters.c.replayed_at.is_(None)))
            self.outbox_unpublished.set(unpublished or 0)
            self.dead_letters_open.set(open_letters or 0)
        for extra in self._extra:
            async with self._source(extra.name):
                async with db.reading() as session:
                    values = dict(await extra.callback(session))
                _set_all(extra, values)
        if consumers and connection.is_connected:
            async with self._source("nats"):
                for name, info in (await consumer_infos(js, consumers)).items():
                    self.consumer_pending.labels(name).set(info.num_pending or 0)
                    self.consumer_ack_pending.labels(name).set(info.num_ack_pending or 0)

    @contextlib.asynccontextmanager
    async def _source(self, source: str):  # type: ignore[no-untyped-def]
        try:
            yield
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.refresh_errors.labels(source).inc()
            log.debug("%s: metrics from %s not refreshed: %s", self.service, source, exc)
        else:
            self.refreshed.labels(source).set(time.time())


def _set_all(extra: _ExtraGauge, values: Mapping[tuple[str, ...], float]) -> None:
    """Replace the gauge's series with ``values``, all at once (no await in between)."""
    if not extra.labelnames:
        extra.gauge.set(values.get((), 0))
        return
    extra.gauge.clear()
    for labels, value in values.items():
        extra.gauge.labels(*labels).set(value)


class _LiveCounters:
    """A collector of counters that live elsewhere in the process, read at scrape time."""

    def __init__(self) -> None:
        self._counters: list[tuple[str, str, Callable[[], float]]] = []

    def add(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        self._counters.append((name, documentation, read))

    def collect(self) -> Iterable[CounterMetricFamily]:
        for name, documentation, read in self._counters:
            family = CounterMetricFamily(name, documentation)
            with contextlib.suppress(Exception):
                family.add_metric([], float(read()))
            yield family

    def describe(self) -> Iterable[CounterMetricFamily]:
        return [CounterMetricFamily(name, doc) for name, doc, _ in self._counters]


# -- consumers: bound to the server, and how far behind --------------------------------------


def consumer_bound(consumer: Any) -> bool:
    """Its FastStream subscriber is running with a live pull subscription."""
    subscriber = getattr(consumer, "subscriber", None)
    return bool(subscriber is not None and getattr(subscriber, "running", False)
                and getattr(subscriber, "subscription", None) is not None)


def consumer_subject(consumer: Any) -> str:
    subscriber = getattr(consumer, "subscriber", None)
    subject = getattr(subscriber, "subject", None)
    return str(getattr(subject, "broker_address", subject or ""))


async def consumer_infos(js: Any, consumers: Iterable[str]) -> dict[str, Any]:
    """The server's view of each durable consumer (raises if NATS does not answer)."""
    return {name: await js.consumer_info(subjects.STREAM, name, timeout=CONSUMER_INFO_TIMEOUT)
            for name in consumers}


async def consumer_states(runtime: Any) -> list[dict[str, Any]]:
    """For ``GET /api/v1/ops/consumers``: each consumer, bound or not, and its lag now."""
    states = []
    for name, consumer in runtime.consumers.items():
        state: dict[str, Any] = {
            "consumer": name, "subject": consumer_subject(consumer),
            "bound": consumer_bound(consumer), "num_pending": None, "num_ack_pending": None,
            "num_redelivered": None, "lag": None, "error": None}
        try:
            if runtime.js is None or not runtime.broker.connection.is_connected:
                raise ConnectionError("NATS not connected")
            info = (await consumer_infos(runtime.js, [name]))[name]
            state |= {"num_pending": info.num_pending or 0,
                      "num_ack_pending": info.num_ack_pending or 0,
                      "num_redelivered": info.num_redelivered or 0}
            state["lag"] = state["num_pending"] + state["num_ack_pending"]
        except Exception as exc:
            state["error"] = f"{exc.__class__.__name__}: {exc}"[:500]
        states.append(state)
    return states


# -- gauges a service adds ----------------------------------------------------------------


def count_rows(table: Table, where: Callable[[datetime], ColumnElement[bool]], clock: Clock,
               labels: tuple[str, ...] = ()) -> GaugeCallback:
    """A gauge callback: the rows of ``table`` matching ``where(now)``, under ``labels``."""

    async def count(session: AsyncSession) -> dict[tuple[str, ...], float]:
        query = select(func.count()).select_from(table).where(where(clock.now()))
        return {labels: await session.scalar(query) or 0}

    return count


# -- HTTP ---------------------------------------------------------------------------------


class HttpMetrics:
    """ASGI middleware: counts and times every HTTP request by method, route template, status.

    The route is the template (``/api/v1/tasks/{task_id}``), never the raw path, so that the
    number of series stays bounded; a request that matched no route is ``unmatched``.
    """

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # if the app raises before answering, the server answers 500
        start = time.perf_counter()

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope.get("method", "")
            method = method if method in _METHODS else "other"
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            labels = (method, route, str(status))
            self.metrics.http_requests.labels(*labels).inc()
            self.metrics.http_seconds.labels(*labels).observe(time.perf_counter() - start)


def metrics_router(metrics: Metrics) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/metrics", include_in_schema=False)
    async def exposition() -> Response:
        """Prometheus text exposition of this service's metrics."""
        return Response(await metrics.scrape(), media_type=CONTENT_TYPE_LATEST)

    return router
