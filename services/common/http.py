"""HTTP conventions shared by every service: bilingual error bodies and health endpoints.

Every 4xx/5xx body has one shape, so window staff and client code read errors the same way:
``{"error": {"code", "message", "message_zh", "fields": [{"field", "reason", "reason_zh",
"field_zh"}]}}`` — the Chinese texts wholly Chinese (services/common/glossary.py).
"""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common import audit_api
from services.common.audit_middleware import AuditTrail
from services.common.docs import install_docs
from services.common.glossary import PATTERN_TEXTS, REASONS_ZH, expected_zh, field_zh
from services.common.metrics import HttpMetrics, consumer_states, metrics_router
from services.common.queries import reject_unknown_query
from services.common.security_headers import SecurityHeaders, cors_origins
from services.common.tracing import TracingMiddleware

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error to show the caller, with its HTTP status and a Chinese message."""

    def __init__(self, status: int, code: str, message: str, message_zh: str,
                 fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh
        self.fields = fields or []
        self.headers = headers  # e.g. WWW-Authenticate on a 401 or 403


def error_body(code: str, message: str, message_zh: str,
               fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The error body; each field gets its Chinese name (``field_zh``) if it has none."""
    named = [{**f, "field_zh": f.get("field_zh") or field_zh(f.get("field", ""))}
             for f in fields or []]
    return {"error": {"code": code, "message": message, "message_zh": message_zh,
                      "fields": named}}


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Pydantic errors as (field, English reason, Chinese reason, the field's Chinese name),
    all of them at once."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "(body)"
        ctx = dict(e.get("ctx") or {})
        kind = e.get("type", "")
        zh = ctx.get("zh") or REASONS_ZH.get(kind, "取值无效")
        if kind in ("enum", "literal_error") and "expected" in ctx:
            ctx["expected"] = expected_zh(field, str(ctx["expected"]))
        if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_TEXTS:
            zh = PATTERN_TEXTS[ctx["pattern"]]
        with contextlib.suppress(KeyError, IndexError, ValueError):
            zh = zh.format(**ctx)
        out.append({"field": field, "reason": e.get("msg", ""), "reason_zh": zh,
                    "field_zh": field_zh(field)})
    return out


MAX_BODY_BYTES = 256 * 1024  # an application with every field at its limit is ~40 KB


class RequestGuard:
    """Checks every request before it reaches a route: a body over ``limit`` bytes is refused
    before it is read into memory (413), and a NUL character anywhere — path, query or body —
    is refused (422): no database stores it (PostgreSQL text cannot hold it)."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope.get("path", "").encode() + scope.get("query_string", b"")):
            await _refuse(send, 422, _NUL_ERROR)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(send, 413, self._too_large())
            return
        # Read the whole (bounded) body first, so that a chunked body over the limit is
        # refused as such rather than failing half-way through the app's parsing.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await _refuse(send, 413, self._too_large())
                return
        if _has_nul(body):
            await _refuse(send, 422, _NUL_ERROR)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)

    def _too_large(self) -> dict[str, Any]:
        return error_body("request_too_large", f"The request body is over {self.limit} bytes.",
                          f"请求内容过大（上限 {self.limit // 1024} 千字节）。")


_NUL_ERROR = error_body("validation_failed", "The request has invalid fields.",
                        "提交的内容有误，请按提示逐项修改。",
                        [{"field": "(request)", "reason": "contains a NUL character",
                          "reason_zh": "含有不允许的空字符"}])


def _has_nul(raw: bytes) -> bool:
    """A NUL as a raw byte, percent-encoded (path, query) or JSON-escaped (body)."""
    lowered = raw.lower()
    return b"\x00" in raw or b"%00" in lowered or b"\\u0000" in lowered


async def _refuse(send: Any, status: int, body: dict[str, Any]) -> None:
    await JSONResponse(body, status_code=status)({"type": "http"}, None, send)


def _replay(messages: list[Any], then: Any = None) -> Any:
    """An ASGI receive that gives ``messages`` first, then defers to ``then``."""
    pending = list(messages)

    async def receive() -> Any:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


class ConsumerState(BaseModel):
    consumer: str
    subject: str
    bound: bool  # its subscription is running
    num_pending: int | None  # in the stream, not yet delivered (None: NATS did not answer)
    num_ack_pending: int | None  # delivered, not yet acknowledged
    num_redelivered: int | None
    lag: int | None  # num_pending + num_ack_pending
    error: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str
    message_zh: str
    fields: list[dict[str, str]]


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of every service."""

    error: ErrorDetail


_ERROR_STATUSES = {400: "Malformed request (e.g. not JSON)",
                   401: "No valid credential (Authorization: Bearer …)",
                   403: "Your role or account may not do this", 404: "Not found",
                   409: "Conflicts with the current state", 413: "Request body too large",
                   422: "Invalid fields, all listed at once (English and Chinese)",
                   429: "Too many invalid credentials from this address: wait Retry-After "
                        "seconds",
                   500: "Internal error; nothing was saved"}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERROR_STATUSES.items()}


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


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(RequestGuard)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("validation_failed", "The request has invalid fields.",
                       "提交的内容有误，请按提示逐项修改。", field_errors(list(exc.errors()))),
            status_code=422,
        )

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.message_zh, exc.fields),
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "未找到", 405: "不支持该操作", 413: "请求内容过大"}.get(exc.status_code, "请求错误")
        return JSONResponse(error_body(f"http_{exc.status_code}", str(exc.detail), zh),
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "Internal error; nothing was saved.",
                                       "系统内部错误，本次操作未保存，请稍后重试。"), status_code=500)


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
