"""Composition root of routing."""

from pathlib import Path

from fastapi import FastAPI

from services.common.clock import Clock
from services.common.http import service_app
from services.common.policy import load_policy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.routing import http, nats
from services.routing.models import MESSAGING, Base

NAME = "routing"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    runtime = Runtime(settings, name=NAME, metadata=Base.metadata, tables=MESSAGING, clock=clock,
                      migrations=MIGRATIONS)
    runtime.include(nats.build_router(runtime, load_policy(settings.region)))
    return runtime


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    runtime = build_runtime(settings, clock)
    app = service_app("OneDoor routing · 分办", runtime)
    app.include_router(http.build_router(runtime))
    return app
