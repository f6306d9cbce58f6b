"""The whole system in this process on a real nats-server and real databases, sharing one
movable clock: the cross-service rules of the region policy, days of deadlines in seconds."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from contracts import Department
from services.common.clock import MovableClock
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from services.notify.app import create_app as create_notify
from services.routing.app import create_app as create_routing
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


@dataclass
class InProcessSystem:
    clock: MovableClock
    intake: httpx.AsyncClient
    routing: httpx.AsyncClient
    notify: httpx.AsyncClient
    departments: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    async def view(self, app_id: str) -> dict[str, Any]:
        return (await self.intake.get(f"/api/v1/applications/{app_id}")).json()

    async def until(self, app_id: str, check: Any, timeout: float = 20) -> dict[str, Any]:
        """The application's view once ``check(view)`` holds (an assertion inside is fine)."""
        async def ready() -> dict[str, Any]:
            v = await self.view(app_id)
            result = check(v)
            assert result is not False, v
            return v

        return await eventually_async(ready, timeout=timeout)

    async def task_of(self, department: str, app_id: str, timeout: float = 20) -> dict[str, Any]:
        """The department's open task of an application, once it has arrived."""
        client = self.departments[department]

        async def arrived() -> dict[str, Any]:
            tasks = (await client.get("/api/v1/tasks", params={"limit": 200})).json()["items"]
            mine = [t for t in tasks if t["application_id"] == app_id
                    and t["status"] not in ("decided", "returned")]
            assert mine, f"no open task of {app_id} at {department}"
            return mine[0]

        return await eventually_async(arrived, timeout=timeout)


@contextlib.asynccontextmanager
async def in_process(backend: Backend, nats_server: NatsServer, *departments: str,
                     start: datetime | None = None, region: str = "default",
                     ) -> AsyncIterator[InProcessSystem]:
    clock = MovableClock(start)
    settings = Settings(nats_url=nats_server.url, region=region, **backend.settings_kwargs())
    async with contextlib.AsyncExitStack() as stack:
        intake = await stack.enter_async_context(running(create_intake(settings, clock)))
        routing = await stack.enter_async_context(
            running(create_routing(settings, clock, supervision_interval=0.2)))
        notify = await stack.enter_async_context(running(create_notify(settings, clock)))
        system = InProcessSystem(clock, intake, routing, notify)
        for name in departments:
            system.departments[name] = await stack.enter_async_context(
                running(create_department(settings, Department(name), clock)))
        yield system
