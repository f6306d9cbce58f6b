"""What a routing handler refuses, in English and Chinese; the HTTP layer shows it as the
common error body with the status given here."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.common.errors import error_body


class RoutingError(Exception):
    status = 400

    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.message_zh = code, message, message_zh
        self.fields = [{"field": field, "reason": message, "reason_zh": message_zh}] if field else []


class Forbidden(RoutingError):
    status = 403


class NotFound(RoutingError):
    status = 404


class Conflict(RoutingError):
    status = 409


class Invalid(RoutingError):
    status = 422


def install(app: FastAPI) -> None:
    """Answer a RoutingError with its status and the common bilingual error body."""

    @app.exception_handler(RoutingError)
    async def _refused(_: Request, exc: RoutingError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.message_zh, exc.fields),
                            status_code=exc.status)
