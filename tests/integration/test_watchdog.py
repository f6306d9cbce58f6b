"""A pull subscription that stops fetching while messages wait is restarted (nats.py#504)."""

import asyncio
import random

import nats
import nats.js.errors
from sqlalchemy import select

from contracts import subjects
from services.common.settings import Settings
from services.routing.app import create_app as create_routing
from services.routing.models import Handoff
from tests.integration.test_routing import _submitted
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


async def test_a_stalled_consumer_is_restarted_and_catches_up(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_routing(Settings(nats_url=nats_server.url, stall_seconds=1,
                                  **backend.settings_kwargs()))
    runtime = app.state.runtime
    nc = await nats.connect(nats_server.url)
    async with running(app):
        # Stall it: the fetch loop ends while the subscription still looks alive.
        subscriber = runtime.consumers["routing"].subscriber
        for task in list(subscriber.tasks):
            task.cancel()
        await asyncio.sleep(0.1)
        waiting = [_submitted(rng, ["dibao"]) for _ in range(3)]
        for message in waiting:
            await nc.jetstream().publish(subjects.APPLICATION_SUBMITTED,
                                         message.model_dump_json().encode())

        async def all_routed() -> bool:
            async with runtime.db.reading() as session:
                routed = set((await session.scalars(select(Handoff.application_id))).all())
            assert routed == {m.application_id for m in waiting}
            return True

        await eventually_async(all_routed, timeout=20)
        assert runtime.watchdog.restarts >= 1
    await nc.close()


async def test_a_deleted_consumer_is_created_again_and_its_flow_goes_on(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    app = create_routing(Settings(nats_url=nats_server.url, stall_seconds=3,
                                  **backend.settings_kwargs()))
    runtime = app.state.runtime
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()

    async def handoffs(application_id: str) -> int:
        async with runtime.db.reading() as session:
            return len((await session.scalars(select(Handoff).where(
                Handoff.application_id == application_id))).all())

    async def routed(application_id: str) -> bool:
        assert await handoffs(application_id) == 1
        return True

    async def exists() -> bool:
        try:
            await js.consumer_info(subjects.STREAM, "routing")
        except nats.js.errors.NotFoundError:
            raise AssertionError("the consumer was not created again") from None
        return True

    async with running(app) as http:
        declared = (await js.consumer_info(subjects.STREAM, "routing")).config
        earlier = _submitted(rng, ["dibao"])
        await js.publish(subjects.APPLICATION_SUBMITTED, earlier.model_dump_json().encode())
        await eventually_async(lambda: routed(earlier.application_id), timeout=20)

        # Deleted from another client: /ready says so (unless the watchdog was quicker than
        # this look: then once again, after it has created the consumer again).
        for _ in range(5):
            await js.delete_consumer(subjects.STREAM, "routing")
            ready = await http.get("/ready")
            if ready.status_code != 200:
                break
            await eventually_async(exists, timeout=20)
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["consumer:routing"] is False
        assert ready.json()["checks"]["consumer:routing-decided"] is True

        later = _submitted(rng, ["dibao"])
        await js.publish(subjects.APPLICATION_SUBMITTED, later.model_dump_json().encode())
        await eventually_async(lambda: routed(later.application_id), timeout=30)

        async def ready_again() -> bool:
            response = await http.get("/ready")
            assert response.status_code == 200, response.text
            return True

        await eventually_async(ready_again, timeout=20)
        info = await js.consumer_info(subjects.STREAM, "routing")
        for setting in ("durable_name", "filter_subject", "ack_policy", "ack_wait", "max_deliver",
                        "max_ack_pending", "backoff"):
            assert getattr(info.config, setting) == getattr(declared, setting), setting
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
        # Exactly once: neither application routed again, nothing set aside.
        assert await handoffs(earlier.application_id) == 1
        assert await handoffs(later.application_id) == 1
        assert (await http.get("/api/v1/ops/dead-letters")).json() == []
    await nc.close()
