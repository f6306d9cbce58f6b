"""Which requests leave an audit row (services/common/audit.py), and when it is written.

- Every POST (a change or a decision), and every route that declares ``audited()``: a read of
  personal data (a case's combined view, a task or its history, notices, a search or list
  returning people).
- A change is written in the transaction of the change: the unit of work appends the row just
  before it commits (``pending_change``), with the status the route answers on success. A
  change rolled back leaves no row of its own; the request is then recorded with the status
  it was refused with, when it answers (failures are recorded explicitly). A POST that commits
  nothing through the unit of work (signing in, the identity store's accounts, a refusal) is
  recorded when it answers.
- A read is recorded before its answer leaves: if the row cannot be written, the caller gets
  a 500, not the data (a refusal goes out anyway, its row missing, with a warning logged):
  the middleware, services/common/audit_middleware.py.
- A 429 (a rate limit) is not recorded; the lock-out or block that caused it is (``note``), so
  that a flood of refused requests is not a flood of writes.

Who: the account of the credential (``note_actor``, called by services/accounts/http.py);
which case: the ``application_id`` and ``task_id`` path parameters, or what the route says
(``about``); other path parameters as ``target``; of the query, the names only. Values that
are not plain codes (a name, a number that could be a person's) are left out.
"""

import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import AuditTables, append
from services.common.masking import mask
from services.common.queries import declared_query_names
from services.common.security_headers import request_id_of

AUDIT = "onedoor_audit"  # the attribute marking a dependency that declares a route's action
READS = frozenset({"GET", "HEAD", "OPTIONS"})
CASE = ("application_id", "task_id")
_CODE = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")
_LIMITS = {"account_id": 64, "username": 50, "role": 20, "route": 250, "target": 200,
           "query": 200, "client": 64, "request_id": 64}


def audited(action: str = "read") -> Callable[[], Awaitable[None]]:
    """A route dependency declaring that each call of the route leaves an audit row with
    ``action`` (a POST is a ``change`` without declaring it)."""
    async def declared() -> None:
        return None

    setattr(declared, AUDIT, action)
    return declared


@dataclass(frozen=True)
class RouteAudit:
    action: str | None  # None: not audited
    route: str  # "POST /api/v1/tasks/{task_id}/decision"
    success: int  # the status it answers with when all goes well
    query_names: frozenset[str]


def route_audit(route: Any, method: str) -> RouteAudit | None:
    """What ``route`` records when called with ``method`` (None: it does not answer it)."""
    if not isinstance(route, APIRoute) or method not in (route.methods or ()):
        return None
    declared, pending, seen = None, [route.dependant], set()
    while pending and declared is None:
        dependant = pending.pop()
        if id(dependant) not in seen:
            seen.add(id(dependant))
            declared = getattr(dependant.call, AUDIT, None)
            pending.extend(dependant.dependencies)
    action = declared or (None if method in READS else "change")
    return RouteAudit(action, f"{method} {route.path}", route.status_code or 200,
                      declared_query_names(route))


@dataclass
class RequestAudit:
    """What one request's audit row will say, gathered as it is handled."""

    scope: dict[str, Any]
    actor: tuple[str, str, str] | None = None
    ids: dict[str, Any] = field(default_factory=dict)
    forced: str | None = None  # an action to record whatever the route ("lockout")
    recorded: int | None = None  # the status of the row committed with the change

    def route(self) -> RouteAudit | None:
        return route_audit(self.scope.get("route"), self.scope.get("method", ""))

    def entry(self, status: int) -> dict[str, Any] | None:
        """The row to append for an answer of ``status`` (None: nothing to record)."""
        route = self.route()
        action = self.forced or (route.action if route else None)
        if action is None:
            return None
        params = self.scope.get("path_params") or {}
        found = {k: _code(params.get(k)) for k in CASE}
        found |= {k: _code(self.ids.get(k)) for k in CASE if self.ids.get(k)}
        target = _plain(self.ids.get("target")) or ", ".join(
            f"{k}={code}" for k, v in params.items() if k not in CASE and (code := _code(v)))
        names = {n for n, _ in parse_qsl(self.scope.get("query_string", b"").decode("latin-1"),
                                         keep_blank_values=True)}
        account_id, username, role = self.actor or (None, None, None)
        client = self.scope.get("client")
        row = {"account_id": account_id, "username": username, "role": role,
               "action": action,
               "route": route.route if route else f"{self.scope.get('method')} (no route)",
               **found, "target": target or None,
               "query": ",".join(sorted(names & route.query_names)) or None if route else None,
               "results": self.ids.get("results"), "client": client[0] if client else None,
               "request_id": request_id_of(self.scope), "status": status}
        return {k: v[:_LIMITS[k]] if isinstance(v, str) and k in _LIMITS else v
                for k, v in row.items()}


_current: ContextVar[RequestAudit | None] = ContextVar("onedoor_audit", default=None)


def begin(scope: dict[str, Any]) -> tuple[RequestAudit, Token[RequestAudit | None]]:
    """A request starts: its ``RequestAudit``, current until ``end``."""
    ctx = RequestAudit(scope)
    return ctx, _current.set(ctx)


def end(token: Token[RequestAudit | None]) -> None:
    _current.reset(token)


def note_actor(account_id: str, username: str, role: str) -> None:
    """The request's caller, as its credential says."""
    if (ctx := _current.get()) is not None:
        ctx.actor = (account_id, username, str(role))


def about(*, application_id: str | None = None, task_id: str | None = None,
          target: str | None = None, results: int | None = None) -> None:
    """What the request acted on, where its path does not say it (or says it otherwise: a
    receipt number for the application's id); ``results``: the records a search returned."""
    if (ctx := _current.get()) is None:
        return
    given = {"application_id": application_id, "task_id": task_id, "target": target,
             "results": results}
    ctx.ids |= {k: v for k, v in given.items() if v is not None}


def note(action: str) -> None:
    """Record the request as ``action`` whatever its route or answer (a lock-out, a block)."""
    if (ctx := _current.get()) is not None:
        ctx.forced = action


def pending_change() -> RequestAudit | None:
    """The current request's change, if it is one still to record (the unit of work writes it
    in the transaction about to commit)."""
    ctx = _current.get()
    if ctx is None or ctx.recorded is not None or ctx.scope.get("method") in READS:
        return None
    route = ctx.route()
    return ctx if route is not None and route.action is not None else None


async def record_change(ctx: RequestAudit, session: AsyncSession, tables: AuditTables,
                        now: Any) -> int:
    """Append the change's row in ``session``; the status it records (mark it recorded with
    ``ctx.recorded`` once the transaction commits)."""
    route = ctx.route()
    status = route.success if route else 200
    entry = ctx.entry(status)
    if entry is not None:
        await append(session, tables, entry, now)
    return status


def _plain(text: str | None) -> str | None:
    """``text`` if it is made of codes only (``username=jy-09``), and names no one's number."""
    if text and re.fullmatch(r"[A-Za-z0-9_.:@=, -]{1,200}", text) and mask(text) == text:
        return text
    return None


def _code(value: Any) -> str | None:
    """``value`` if it is a plain id or code, and could not be a person's number."""
    text = str(value) if value is not None else ""
    return text if _CODE.fullmatch(text) and mask(text) == text else None
