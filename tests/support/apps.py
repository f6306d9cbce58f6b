"""Services under test in this process: their real lifespan, real database and real NATS."""

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from services.accounts.domain import Role
from tests.support.auth import Staff, StaffClient, default_role


@contextlib.asynccontextmanager
async def running(app: FastAPI, role: Role | str | None = None,
                  department: str | None = None) -> AsyncIterator[StaffClient]:
    """Start the app (database, broker, consumers, relay) and give an HTTP client to it,
    signed in as the service's usual caller (``tests/support/auth.py``) or ``role``."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        default, own = default_role(app.state.runtime.name)
        role = Role(role) if role else default
        staff = Staff(app.state.authenticator.store)
        async with StaffClient(staff=staff, role=role, department=department or own,
                               ops_for_ops=True, transport=transport,
                               base_url="http://service") as client:
            yield client
