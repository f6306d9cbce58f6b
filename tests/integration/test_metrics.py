"""``/metrics``, ``/ready`` and ``/api/v1/ops/consumers`` of services on a real nats-server."""

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import nats
from prometheus_client.parser import text_string_to_metric_families

from contracts import Applicant, Department, Household, Item, TaskAssigned, TaskAssignedMessage, subjects
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.launcher.demo import sample_application
from services.routing.app import create_app as create_routing
from tests.integration.test_routing import _submitted
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

SUBMITTED = {"handler": subjects.APPLICATION_SUBMITTED}


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples (exact sample name) whose labels include ``labels``."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    total, found = 0.0, False
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                total, found = total + s.value, True
    assert found, f"no sample {name} {labels}"
    return total


def fast_refresh(app) -> None:
    app.state.runtime.metrics.interval = 0.2


async def test_metrics_count_what_was_sent_and_the_backlog_drains(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    intake_app, routing_app = create_intake(settings), create_routing(settings)
    fast_refresh(intake_app)
    fast_refresh(routing_app)
    n = 5
    async with running(intake_app) as intake, running(routing_app) as routing:
        ids = []
        for _ in range(n):
            response = await intake.post("/api/v1/applications",
                                         json=application(rng, ["dibao", "education_aid"]))
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        assert (await intake.get(f"/api/v1/applications/{ids[0]}")).status_code == 200
        assert (await intake.get("/no/such/route")).status_code == 404

        async def routed_all() -> bool:
            assert await sample(routing, "faststream_received_messages_total", **SUBMITTED) == n
            assert await sample(routing, "faststream_received_processed_messages_total",
                                status="acked", **SUBMITTED) == n
            return True

        await eventually_async(routed_all, timeout=20)

        assert await sample(intake, "onedoor_http_requests_total", method="POST",
                            route="/api/v1/applications", status="201") == n
        assert await sample(intake, "onedoor_http_request_duration_seconds_count", method="POST",
                            route="/api/v1/applications", status="201") == n
        # The route template, never the raw path; a path that matched no route is "unmatched".
        assert await sample(intake, "onedoor_http_requests_total", method="GET",
                            route="/api/v1/applications/{application_id}", status="200") == 1
        assert await sample(intake, "onedoor_http_requests_total", route="unmatched",
                            status="404") == 1

        async def drained() -> bool:
            for client in (intake, routing):
                assert await sample(client, "onedoor_outbox_unpublished") == 0
                assert await sample(client, "onedoor_dead_letters_open") == 0
            assert await sample(intake, "onedoor_outbox_published_total") == n
            # application.routed and one task.assigned per department (two departments each)
            assert await sample(routing, "onedoor_outbox_published_total") >= 3 * n
            for consumer in routing_app.state.runtime.consumers:
                assert await sample(routing, "onedoor_consumer_num_pending", consumer=consumer) == 0
                assert await sample(routing, "onedoor_consumer_num_ack_pending",
                                    consumer=consumer) == 0
            assert await sample(intake, "onedoor_consumer_num_pending",
                                consumer="intake-routed") == 0
            assert await sample(routing, "onedoor_metrics_refreshed_timestamp_seconds",
                                source="nats") > 0
            return True

        await eventually_async(drained, timeout=20)

        consumers = {c["consumer"]: c for c in (await routing.get("/api/v1/ops/consumers")).json()}
        assert set(consumers) == set(routing_app.state.runtime.consumers)
        assert consumers["routing"] == {
            "consumer": "routing", "subject": subjects.APPLICATION_SUBMITTED, "bound": True,
            "num_pending": 0, "num_ack_pending": 0, "num_redelivered": 0, "lag": 0, "error": None}
        names = {c["consumer"] for c in (await intake.get("/api/v1/ops/consumers")).json()}
        assert names == set(intake_app.state.runtime.consumers)


async def test_ready_follows_nats_and_every_consumer(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_routing(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as routing:
        ready = await routing.get("/ready")
        assert ready.status_code == 200, ready.text
        consumers = app.state.runtime.consumers
        assert "routing" in consumers
        assert ready.json()["checks"] == {"nats": True, "database": True, "owner": True} | {
            f"consumer:{name}": True for name in consumers}

        await asyncio.to_thread(nats_server.stop)

        async def not_ready() -> bool:
            response = await routing.get("/ready")
            assert response.status_code == 503
            body = response.json()
            assert body["ready"] is False and body["checks"]["nats"] is False
            assert body["checks"]["database"] is True
            return True

        await eventually_async(not_ready, timeout=15)
        assert (await routing.get("/health")).status_code == 200  # liveness only
        states = (await routing.get("/api/v1/ops/consumers")).json()
        assert states and all(c["lag"] is None and c["error"] for c in states)

        await asyncio.to_thread(nats_server.start)

        async def ready_again() -> bool:
            response = await routing.get("/ready")
            assert response.status_code == 200, response.text
            assert all(response.json()["checks"].values())
            return True

        await eventually_async(ready_again, timeout=20)

        # Ready means working: a message published now is consumed.
        nc = await nats.connect(nats_server.url)
        try:
            message = _submitted(rng, ["dibao"])
            await nc.jetstream().publish(subjects.APPLICATION_SUBMITTED,
                                         message.model_dump_json().encode())
        finally:
            await nc.close()

        async def consumed() -> bool:
            assert await sample(routing, "faststream_received_messages_total", **SUBMITTED) == 1
            return True

        await eventually_async(consumed, timeout=20)


async def test_ready_is_false_while_a_consumer_is_not_subscribed(
    backend: Backend, nats_server: NatsServer
) -> None:
    app = create_routing(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app) as routing:
        subscriber = app.state.runtime.consumers["routing"].subscriber
        await subscriber.stop()
        response = await routing.get("/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["consumer:routing"] is False
        bound = {c["consumer"]: c["bound"] for c in (await routing.get("/api/v1/ops/consumers")).json()}
        assert bound["routing"] is False
        await subscriber.start()
        assert (await routing.get("/ready")).status_code == 200


def _assigned(rng: random.Random, due_at: datetime) -> TaskAssignedMessage:
    body = sample_application(rng, ["temporary_aid"])  # accept → decide (no 初审 step)
    app_id = uuid.UUID(int=rng.getrandbits(128)).hex
    task_id = uuid.uuid5(uuid.NAMESPACE_URL, f"metrics:{app_id}").hex
    now = datetime.now(UTC)
    return TaskAssignedMessage(
        message_id=f"{task_id}:assigned", type=TaskAssignedMessage.EVENT, occurred_at=now,
        application_id=app_id, correlation_id=app_id,
        payload=TaskAssigned(
            task_id=task_id, application_id=app_id, receipt_no="YD20260101-METR01",
            department=Department.civil_affairs, items=[Item.temporary_aid],
            applicant=Applicant.model_validate(body["applicant"]),
            household=Household.model_validate(body["household"]),
            materials=body["materials"], description=body["description"],
            received_at=now - timedelta(days=40), assigned_at=now - timedelta(days=40),
            due_at=due_at),
    )


async def test_a_department_exports_its_overdue_tasks(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_department(Settings(nats_url=nats_server.url, **backend.settings_kwargs()),
                            Department.civil_affairs)
    fast_refresh(app)
    now = datetime.now(UTC)
    late, on_time = _assigned(rng, now - timedelta(days=1)), _assigned(rng, now + timedelta(days=5))
    labels = {"department": "civil_affairs"}
    async with running(app) as dept:
        nc = await nats.connect(nats_server.url)
        try:
            for message in (late, on_time):
                await nc.jetstream().publish(
                    subjects.for_department(subjects.TASK_ASSIGNED, Department.civil_affairs),
                    message.model_dump_json().encode(), headers={"Nats-Msg-Id": message.message_id})
        finally:
            await nc.close()

        async def one_overdue() -> bool:
            assert (await dept.get("/api/v1/tasks")).json()["total"] == 2
            assert await sample(dept, "onedoor_tasks_overdue", **labels) == 1
            return True

        await eventually_async(one_overdue, timeout=20)

        task = late.payload.task_id
        accepted = await dept.post(f"/api/v1/tasks/{task}/accept", json={"by": "mz-01"})
        assert accepted.status_code == 200, accepted.text
        decided = await dept.post(f"/api/v1/tasks/{task}/decision", json={
            "outcome": "rejected", "reason": "收入超过低保标准", "decided_by": "mz-01"})
        assert decided.status_code == 200, decided.text

        async def none_overdue() -> bool:
            assert await sample(dept, "onedoor_tasks_overdue", **labels) == 0
            return True

        await eventually_async(none_overdue, timeout=20)
