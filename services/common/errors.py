"""The one error body every service answers with, so window staff and client code read errors
the same way: ``{"error": {"code", "message", "message_zh", "fields": [{"field", "reason",
"reason_zh", "field_zh"}]}}`` — the Chinese texts wholly Chinese (services/common/glossary.py).
"""

import contextlib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.glossary import PATTERN_TEXTS, REASONS_ZH, expected_zh, field_zh

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


def install_error_handlers(app: FastAPI) -> None:
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
