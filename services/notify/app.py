"""Composition root of notify: channels, dispatcher, consumers and routes."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.accounts.http import Authenticator
from services.common.clock import Clock
from services.common.http import service_app
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.notify import http, nats
from services.notify.adapters import Channels, RecordingAdapter
from services.notify.dispatcher import Dispatcher
from services.notify.handlers import Wake
from services.notify.models import MESSAGING, Base

NAME = "notify"
MIGRATIONS = Path(__file__).parent / "migrations"


def default_channels(settings: Settings) -> Channels:
    return Channels({
        "sms": RecordingAdapter(settings.data_dir / "sms-sent.jsonl"),
        "window_inbox": RecordingAdapter(settings.data_dir / "window-inbox.jsonl"),
    })


def build_runtime(settings: Settings, wake: Wake, clock: Clock | None = None) -> Runtime:
    runtime = Runtime(settings, name=NAME, metadata=Base.metadata, tables=MESSAGING, clock=clock,
                      migrations=MIGRATIONS)
    runtime.include(nats.build_router(runtime, wake))
    return runtime


def create_app(settings: Settings, clock: Clock | None = None,
               channels: Channels | None = None) -> FastAPI:
    dispatcher: Dispatcher | None = None
    runtime = build_runtime(settings, lambda: dispatcher and dispatcher.wake(), clock)
    dispatcher = Dispatcher(runtime.uow, channels or default_channels(settings))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            dispatcher.start()
            yield
            await dispatcher.stop()

    app = service_app("OneDoor notify · 结果告知", runtime, lifespan,
                      authenticator=Authenticator(settings))
    app.include_router(http.build_router(runtime))
    return app
