"""Composition root of one department's service."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from contracts import DEPARTMENT_NAMES, Department
from services.accounts.demo import deciders
from services.accounts.domain import Role
from services.accounts.handlers import NewAccount, ensure_account
from services.accounts.http import Authenticator
from services.common.clock import Clock
from services.common.http import service_app
from services.common.metrics import count_rows
from services.common.policy import Policy, load_policy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.departments import demo, http, http_posts, nats
from services.departments.domain import OPEN_STATUSES
from services.departments.models import MESSAGING, Base, Task

log = logging.getLogger(__name__)
# Every department has its own database, all with this one migration history.
MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: Settings, department: Department, clock: Clock | None = None,
                  policy: Policy | None = None) -> Runtime:
    """The department's runtime, its consumers given the region policy (``settings.region``'s
    unless one is passed)."""
    policy = policy or load_policy(settings.region)
    runtime = Runtime(settings, name=f"department_{department}", metadata=Base.metadata,
                      tables=MESSAGING, clock=clock, migrations=MIGRATIONS)
    runtime.include(nats.build_router(runtime, department, policy))
    # Open tasks only: a returned task is closed here, however long routing takes with it.
    runtime.gauge("onedoor_tasks_overdue", "Tasks not decided by their due time", ("department",),
                  count_rows(Task.__table__,
                             lambda now: Task.status.in_(OPEN_STATUSES) & (Task.due_at < now),
                             runtime.clock, (str(department),)))
    return runtime


def create_app(settings: Settings, department: Department, clock: Clock | None = None) -> FastAPI:
    """One department's service: its staff API, consumers, and (demo) auto-decider."""
    department = Department(department)
    policy = load_policy(settings.region)
    runtime = build_runtime(settings, department, clock, policy)

    authenticator = Authenticator(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            demo = None
            if settings.auto_decide_after is not None:
                await _demo_accounts(authenticator, department)
                demo = asyncio.create_task(_auto_decide(runtime, department, policy,
                                                        settings.auto_decide_after))
            yield
            if demo:
                demo.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await demo

    app = service_app(f"OneDoor {DEPARTMENT_NAMES[department]} · {department}", runtime, lifespan,
                      authenticator=authenticator)
    app.include_router(http.build_router(runtime, department, policy))
    app.include_router(http_posts.build_router(runtime, department, policy, authenticator))
    return app


async def _demo_accounts(authenticator: Authenticator, department: Department) -> None:
    """The accounts the auto-decider acts as (no password, no token: nobody signs in as them)."""
    for username in deciders(str(department)):
        await ensure_account(authenticator.store, NewAccount(
            username, username, Role.department, str(department)),
            departments=[d.value for d in Department])


async def _auto_decide(runtime: Runtime, department: Department, policy: Policy,
                       after: float) -> None:
    """Demo only: stand in for the department's staff so the loop closes by itself (every
    half second; a failure is logged and tried again)."""
    while True:
        try:
            async with runtime.uow.begin() as tx:
                n = await demo.auto_decide_due(tx, department, policy=policy,
                                               older_than_seconds=after)
            if n:
                log.info("demo: %s decided %d task(s) automatically", department, n)
        except Exception:
            log.exception("demo auto-decision failed; trying again")
        await asyncio.sleep(0.5)
