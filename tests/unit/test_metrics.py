"""Metrics without a broker or a database: the consumer hooks, the HTTP middleware, ``status``."""

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.common.metrics import HttpMetrics, Metrics, metrics_router
from services.launcher import status


def _samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    text = metrics.exposition().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return _samples(metrics)[(name, frozenset(labels.items()))]


def test_consumer_hooks_count_per_consumer_and_subject() -> None:
    metrics = Metrics("intake")
    metrics.watch(["intake-accepted"])
    assert _value(metrics, "onedoor_consumer_dead_letters_total", consumer="intake-accepted") == 0

    metrics.batch_processed("intake-accepted", "onedoor.task.accepted.education", 3, 0.02)
    metrics.batch_processed("intake-accepted", "onedoor.task.accepted.education", 2, 0.01)
    metrics.batch_processed("intake-accepted", "onedoor.task.accepted.medical", 1, 0.01)
    metrics.message_failed("intake-accepted", "onedoor.task.accepted.medical")
    metrics.dead_lettered("intake-accepted")
    metrics.dead_lettered("intake-accepted", 2)

    education = {"consumer": "intake-accepted", "subject": "onedoor.task.accepted.education"}
    medical = {"consumer": "intake-accepted", "subject": "onedoor.task.accepted.medical"}
    assert _value(metrics, "onedoor_consumer_messages_processed_total", **education) == 5
    assert _value(metrics, "onedoor_consumer_messages_processed_total", **medical) == 1
    assert _value(metrics, "onedoor_consumer_batch_duration_seconds_count", **education) == 2
    assert _value(metrics, "onedoor_consumer_batch_messages_sum", **education) == 5
    assert _value(metrics, "onedoor_consumer_messages_failed_total", **medical) == 1
    assert _value(metrics, "onedoor_consumer_dead_letters_total", consumer="intake-accepted") == 3


def test_every_runtime_has_its_own_registry() -> None:
    one, two = Metrics("routing"), Metrics("routing")  # same names, no clash
    one.batch_processed("routing", "onedoor.application.submitted", 4, 0.1)
    one.nats_middleware(), two.nats_middleware()
    assert _value(one, "onedoor_consumer_messages_processed_total", consumer="routing",
                  subject="onedoor.application.submitted") == 4
    assert ("onedoor_consumer_messages_processed_total",
            frozenset({"consumer": "routing", "subject": "onedoor.application.submitted"}.items())
            ) not in _samples(two)


def test_live_counters_are_read_at_scrape_time() -> None:
    metrics = Metrics("intake")
    published = [0]
    metrics.live_counter("onedoor_outbox_published", "Events published", lambda: published[0])
    assert _value(metrics, "onedoor_outbox_published_total") == 0
    published[0] = 7
    assert _value(metrics, "onedoor_outbox_published_total") == 7


async def test_http_requests_are_counted_by_route_template_and_status() -> None:
    metrics = Metrics("test")
    app = FastAPI()
    app.add_middleware(HttpMetrics, metrics=metrics)
    app.include_router(metrics_router(metrics))

    @app.get("/api/v1/tasks/{task_id}")
    async def task(task_id: str) -> dict[str, str]:
        return {"id": task_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for n in range(3):
            assert (await client.get(f"/api/v1/tasks/{n}")).status_code == 200
        assert (await client.get("/nothing/here")).status_code == 404
        assert (await client.get("/boom")).status_code == 500
        exposition = await client.get("/metrics")
    assert exposition.status_code == 200 and "onedoor_http_requests_total" in exposition.text

    assert _value(metrics, "onedoor_http_requests_total", method="GET",
                  route="/api/v1/tasks/{task_id}", status="200") == 3
    assert _value(metrics, "onedoor_http_request_duration_seconds_count", method="GET",
                  route="/api/v1/tasks/{task_id}", status="200") == 3
    assert _value(metrics, "onedoor_http_requests_total", method="GET", route="unmatched",
                  status="404") == 1
    assert _value(metrics, "onedoor_http_requests_total", method="GET", route="/boom",
                  status="500") == 1


def _consumer(name: str, pending: int | None, ack_pending: int | None, bound: bool = True,
              error: str | None = None) -> dict:
    lag = None if pending is None or ack_pending is None else pending + ack_pending
    return {"consumer": name, "subject": "s", "bound": bound, "num_pending": pending,
            "num_ack_pending": ack_pending, "num_redelivered": 0, "lag": lag, "error": error}


def test_status_reads_ready_and_consumers_and_prints_an_aligned_table() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        port = request.url.port
        if port == 1:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/ready":
            ok = port == 2
            checks = {"nats": True, "database": True, "consumer:a": ok}
            return httpx.Response(200 if ok else 503, json={"ready": ok, "checks": checks})
        if port == 2:
            return httpx.Response(200, json=[_consumer("a", 3, 2), _consumer("b-longer", 0, 0)])
        return httpx.Response(200, json=[_consumer("a", None, None, bound=False, error="timeout")])

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        down = status.check(http, "intake", "http://h:1")
        ready = status.check(http, "routing", "http://h:2")
        stuck = status.check(http, "notify", "http://h:3")

    assert (down.state, down.failing) == ("unreachable", ["ConnectError"])
    assert (ready.state, ready.failing) == ("ready", [])
    assert (stuck.state, stuck.failing) == ("not ready", ["consumer:a"])
    lines = status.render([down, ready, stuck]).splitlines()
    assert lines[0].split()[:3] == ["SERVICE", "STATE", "CONSUMER"]
    assert lines[1].split() == ["intake", "unreachable", "-", "ConnectError"]
    assert lines[2].split() == ["routing", "ready", "a", "3", "2", "5"]
    assert lines[3].split() == ["b-longer", "0", "0", "0"]
    assert lines[4].split()[:7] == ["notify", "not", "ready", "a", "?", "?", "?"]
    assert "consumer:a; not subscribed; timeout" in lines[4]
    # Aligned: every consumer name starts in the same column, every lag ends in the same one.
    consumer_column = lines[0].index("CONSUMER")
    assert {line.index(f" {name} ") + 1 for line, name in zip(lines[2:], ["a", "b-longer", "a"],
                                                              strict=True)} == {consumer_column}
    lag_end = lines[0].index("LAG") + len("LAG")
    assert lines[2][lag_end - 1] == "5" and lines[3][lag_end - 1] == "0"
