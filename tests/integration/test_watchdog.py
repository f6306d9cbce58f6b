"""A pull subscription that stops fetching while messages wait is restarted (nats.py#504)."""

import asyncio
import random

import nats
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
