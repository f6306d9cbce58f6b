"""The ASGI middleware of every service that writes a request's audit row as it answers
(what the row says, and when a change's row is written with the change instead:
services/common/audit_trail.py)."""

import logging
from typing import Any

from fastapi.responses import JSONResponse

from services.common import audit_trail
from services.common.audit import append
from services.common.audit_trail import RequestAudit

log = logging.getLogger(__name__)

_UNRECORDED = {"error": {"code": "audit_unavailable", "fields": [],
                         "message": "The access could not be recorded; nothing was shown.",
                         "message_zh": "无法记录本次访问（审计日志不可写），未返回数据，请稍后重试。"}}


class AuditTrail:
    """ASGI middleware of every service: the request's ``RequestAudit`` for its handlers, and
    its row written as it answers (unless its change's row was committed with the change)."""

    def __init__(self, app: Any, runtime: Any) -> None:
        self.app, self.runtime = app, runtime

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx, token = audit_trail.begin(scope)
        state = {"started": False, "refused": False}

        async def recorded_first(message: Any) -> None:
            if message["type"] == "http.response.start" and not state["started"]:
                state["started"] = True
                try:
                    await self._record(ctx, message["status"])
                except Exception as exc:
                    if message["status"] >= 300:  # a refusal: it shows nothing to withhold
                        log.warning("audit row of a refused request not written: %r", exc)
                    else:
                        log.exception("audit row not written: the answer is withheld")
                        state["refused"] = True
                        await JSONResponse(_UNRECORDED, status_code=500)(scope, receive, send)
            if not state["refused"]:
                await send(message)

        try:
            await self.app(scope, receive, recorded_first)
        except Exception:
            if not state["started"]:  # the server answers 500: record that
                try:
                    await self._record(ctx, 500)
                except Exception:
                    log.exception("audit row of a failed request not written")
            raise
        finally:
            audit_trail.end(token)

    async def _record(self, ctx: RequestAudit, status: int) -> None:
        if ctx.recorded == status or (status == 429 and not ctx.forced):
            return
        entry = ctx.entry(status)
        if entry is None:
            return
        runtime = self.runtime
        async with runtime.db.writing() as session:
            await append(session, runtime.tables.audit, entry, runtime.clock.now())
