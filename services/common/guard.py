"""Every request is checked before it reaches a route: a body over the limit is refused before
it is read into memory (413), and a NUL character anywhere is refused (422)."""

from typing import Any

from fastapi.responses import JSONResponse

from services.common.errors import error_body

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
