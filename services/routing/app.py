"""Composition root of routing: the ledger, the joint meeting and supervision."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.accounts.http import Authenticator
from services.common.clock import Clock
from services.common.http import service_app
from services.common.policy import load_policy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.routing import errors, http, nats
from services.routing.jointmeeting import http as joint_meeting_http
from services.routing.models import MESSAGING, Base
from services.routing.supervision import http as supervision_http
from services.routing.supervision.watcher import DEFAULT_INTERVAL, Watcher

NAME = "routing"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    # No bus key: routing hands the personal part of an application on without reading it.
    runtime = Runtime(settings, name=NAME, metadata=Base.metadata, tables=MESSAGING, clock=clock,
                      migrations=MIGRATIONS, bus_key=False)
    runtime.include(nats.build_router(runtime, load_policy(settings.region)))
    return runtime


def create_app(settings: Settings, clock: Clock | None = None, *,
               supervision_interval: float | None = None) -> FastAPI:
    """``supervision_interval``: seconds between supervision scans (else the setting
    ``supervision_interval`` when there is one, else a minute)."""
    runtime = build_runtime(settings, clock)
    policy = load_policy(settings.region)
    interval = (supervision_interval or getattr(settings, "supervision_interval", None)
                or DEFAULT_INTERVAL)
    watcher = Watcher(runtime, policy, interval)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            watcher.start()
            try:
                yield
            finally:
                await watcher.stop()

    app = service_app("OneDoor routing · 分办", runtime, lifespan,
                      authenticator=Authenticator(settings))
    app.state.watcher = watcher
    errors.install(app)
    app.include_router(http.build_router(runtime))
    app.include_router(joint_meeting_http.build_router(runtime, policy))
    app.include_router(supervision_http.build_router(runtime, policy))
    return app
