"""Composition root of intake: wires settings, database, broker, policy and routes."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI

from contracts import Department
from services.accounts import routes as accounts
from services.accounts.http import Authenticator, authenticated
from services.accounts.lockout import SignInRules
from services.common.clock import Clock
from services.common.http import service_app
from services.common.policy import load_policy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.intake import catalogue, deadlines, http, nats, status
from services.intake.models import MESSAGING, Base
from services.portal import app as portal

NAME = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    runtime = Runtime(settings, name=NAME, metadata=Base.metadata, tables=MESSAGING, clock=clock,
                      migrations=MIGRATIONS)
    runtime.include(nats.build_router(runtime, load_policy(settings.region)))
    return runtime


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Intake's app; it also serves the identity store's routes (sign in, accounts) and the
    people's screens (services/portal)."""
    runtime = build_runtime(settings, clock)
    policy = load_policy(settings.region)
    authenticator = Authenticator(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app), portal.running(app):
            yield

    app = service_app("OneDoor intake · 一门受理窗口", runtime, lifespan,
                      authenticator=authenticator)
    app.include_router(http.build_router(runtime, policy, authenticator))
    app.include_router(status.build_router(runtime, policy))  # the applicant's, no account
    staff = [Depends(authenticated())]  # reference data: every signed-in role
    app.include_router(deadlines.build_router(policy), dependencies=staff)
    app.include_router(catalogue.build_router(policy), dependencies=staff)
    app.include_router(accounts.build_router(authenticator, [d.value for d in Department],
                                             settings.login_token_hours,
                                             SignInRules.of(settings)))
    portal.install(app, settings)
    return app
