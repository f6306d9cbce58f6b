"""A service's FastAPI app: the shared error bodies, the request guard, accounts, the audit
trail, security headers, docs with no internet, and the health and operations endpoints."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common import audit_api
from services.common.audit_middleware import AuditTrail
from services.common.docs import install_docs
from services.common.errors import ERROR_RESPONSES, install_error_handlers
from services.common.guard import RequestGuard
from services.common.metrics import HttpMetrics, consumer_states, metrics_router
from services.common.queries import reject_unknown_query
from services.common.security_headers import SecurityHeaders, cors_origins
from services.common.tracing import TracingMiddleware


class ConsumerState(BaseModel):
    consumer: str
    subject: str
    bound: bool  # its subscription is running
    num_pending: int | None  # in the stream, not yet delivered (None: NATS did not answer)
    num_ack_pending: int | None  # delivered, not yet acknowledged
    num_redelivered: int | None
    lag: int | None  # num_pending + num_ack_pending
    error: str | None


def service_app(title: str, runtime: Any, lifespan: Any = None, *, authenticator: Any) -> FastAPI:
    """A service's FastAPI app: shared error bodies (documented on every route), the request
    guard, health and operations endpoints, unknown query parameters refused on every route,
    and docs served with no internet. The service adds its own routers.

    ``authenticator`` (services/accounts/http.py) resolves callers; it is opened and closed
    with the app, and guards the shared routes (``/health``, ``/ready`` and ``/metrics`` open
    to loopback clients only, the operations API to the ops role, the audit trail to
    supervisors). Every request that reads personal data or changes anything leaves an audit
    row (services/common/audit_trail.py); every response carries the security headers and a
    request id, and CORS headers only for the configured origins (security_headers.py)."""
    inner = lifespan or runtime.lifespan

    @contextlib.asynccontextmanager
    async def with_accounts(app: FastAPI) -> AsyncIterator[None]:
        async with authenticator.running(), inner(app):
            yield

    app = FastAPI(title=title, lifespan=with_accounts, responses=ERROR_RESPONSES,
                  dependencies=[Depends(reject_unknown_query)], docs_url=None, redoc_url=None)
    install_docs(app)
    app.state.runtime = runtime
    app.state.authenticator = authenticator
    authenticator.keep_time(runtime.clock)
    app.state.limiter = authenticator.limiter  # for services.common.ratelimit.per_address
    app.add_middleware(RequestGuard)
    install_error_handlers(app)
    app.add_middleware(AuditTrail, runtime=runtime)
    app.add_middleware(TracingMiddleware, provider=runtime.tracer_provider)
    app.add_middleware(HttpMetrics, metrics=runtime.metrics)
    guards = authenticator.guards()
    app.include_router(health_router(runtime, guards))
    app.include_router(audit_api.build_router(runtime), dependencies=[Depends(guards["audit"])])
    # Around Starlette's own error middleware too, so that its 500s carry the headers.
    settings = runtime.settings
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(  # type: ignore[method-assign]
        build_stack(), origins=cors_origins(settings.cors_origins), https=settings.https)
    return app


def health_router(runtime: Any, guards: dict[str, Any]) -> APIRouter:
    """``/health`` (the process is alive), ``/ready`` (NATS and database reachable, every
    consumer subscribed), ``/metrics`` (Prometheus), and the operations API (dead letters,
    consumers). ``guards``: the dependencies saying who may call them (``ops``, ``health``)."""
    from services.common import ops

    router = APIRouter(tags=["ops"])
    ops_only, local = [Depends(guards["ops"])], [Depends(guards["health"])]
    router.include_router(ops.build_router(runtime), dependencies=ops_only)
    router.include_router(metrics_router(runtime.metrics), dependencies=local)

    @router.get("/api/v1/ops/consumers", response_model=list[ConsumerState],
                dependencies=ops_only)
    async def consumers() -> list[dict[str, Any]]:
        """This service's consumers: subscribed or not, and their lag on the server now."""
        return await consumer_states(runtime)

    @router.get("/health", dependencies=local)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @router.get("/ready", dependencies=local)
    async def ready() -> JSONResponse:
        checks = await runtime.ready()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "service": runtime.name, "checks": checks},
                            status_code=200 if ok else 503)

    return router
