"""Failed attempts counted per key (an account, a client address), and a lock once there are
too many: signing in, invalid credentials, and (the next issue) the applicant's own pages.

A ``Rule`` allows ``attempts`` failures within ``window``; the failure that reaches it locks
the key for ``lock``. The counts live in a database table (``rate_limit_table``, in the
identity store that every process of every service opens), so that several processes count
together; each count is one atomic upsert. While locked, the answer is 429 with
``Retry-After`` in the common error body (``too_many``). A process also remembers the locks
it has seen until they end, to refuse a locked key without asking the database.

For a route of its own, ``per_address(rule)`` is a dependency refusing a locked client
address, whose ``failed()`` counts a failure (and refuses it once it locks), e.g.::

    CHECKS = Rule("status-page", attempts=10, window=timedelta(minutes=15),
                  lock=timedelta(minutes=15))

    @router.get("/status/{receipt_no}")
    async def status(receipt_no: str, attempt: Annotated[Attempt, Depends(per_address(CHECKS))]):
        found = ...
        if found is None:
            await attempt.failed()
            raise NOT_FOUND
"""

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy import Column, Integer, MetaData, String, Table, case, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import Clock
from services.common.db import UtcDateTime, dialect_insert
from services.common.errors import ApiError

_SEEN_MAX = 10_000  # locks remembered in a process; past it, it starts again
_PRUNE_EVERY = 100  # failures between two clean-ups of rows long past


@dataclass(frozen=True)
class Rule:
    name: str
    attempts: int
    window: timedelta
    lock: timedelta


def rate_limit_table(metadata: MetaData) -> Table:
    return Table(
        "rate_limits",
        metadata,
        Column("key", String(200), primary_key=True),  # "<rule>:<account or address>"
        Column("window_start", UtcDateTime(), nullable=False),
        Column("failures", Integer, nullable=False),
        Column("blocked_until", UtcDateTime()),
    )


class Sessions(Protocol):
    def reading(self) -> Any: ...  # an async context manager giving an AsyncSession
    def writing(self) -> Any: ...


def too_many(until: datetime, now: datetime) -> ApiError:
    """The 429 while a key is locked."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    return ApiError(429, "too_many_attempts",
                    f"Too many failed attempts: try again in {seconds} seconds.",
                    f"失败次数过多，已暂时锁定，请约 {minutes} 分钟后再试。",
                    headers={"Retry-After": str(seconds)})


class Limiter:
    """Failures and locks by key, in ``table`` of the database behind ``sessions``."""

    def __init__(self, sessions: Sessions, table: Table, clock: Clock, *, sqlite_db: bool) -> None:
        self.sessions, self.table, self.clock = sessions, table, clock
        self._insert = dialect_insert("sqlite" if sqlite_db else "postgresql")
        self._seen: dict[str, datetime] = {}
        self._failures = 0

    def locked_here(self, rule: Rule, key: str) -> datetime | None:
        """Until when ``key`` is locked, as far as this process has seen (no database)."""
        until = self._seen.get(f"{rule.name}:{key}")
        if until is not None and until <= self.clock.now():
            self._seen.pop(f"{rule.name}:{key}", None)
            return None
        return until

    async def locked(self, rule: Rule, key: str) -> datetime | None:
        """Until when ``key`` is locked (None: it is not)."""
        if (until := self.locked_here(rule, key)) is not None:
            return until
        async with self.sessions.reading() as session:
            until = await session.scalar(select(self.table.c.blocked_until)
                                         .where(self.table.c.key == f"{rule.name}:{key}"))
        return self._remember(rule, key, until)

    async def failed(self, rule: Rule, key: str) -> tuple[datetime | None, bool]:
        """Count a failure of ``key``: until when it is locked now (None: not), and whether
        this failure locked it."""
        t, now = self.table, self.clock.now()
        stale = t.c.window_start <= literal(now - rule.window, UtcDateTime())
        upsert = self._insert(t).values(key=f"{rule.name}:{key}", window_start=now, failures=1)
        upsert = upsert.on_conflict_do_update(index_elements=[t.c.key], set_={
            "failures": case((stale, 1), else_=t.c.failures + 1),
            "window_start": case((stale, literal(now, UtcDateTime())), else_=t.c.window_start),
        }).returning(t.c.failures, t.c.blocked_until)
        async with self.sessions.writing() as session:
            failures, until = (await session.execute(upsert)).one()
            if until is not None and until > now:
                return self._remember(rule, key, until), False
            if failures < rule.attempts:
                await self._prune(session, now)
                return None, False
            until = now + rule.lock
            await session.execute(update(t).where(t.c.key == f"{rule.name}:{key}").values(
                blocked_until=until, failures=0, window_start=now))
        return self._remember(rule, key, until), True

    async def clear(self, rule: Rule, key: str) -> None:
        """Forget ``key``'s failures (a success); a lock in force stays."""
        now = self.clock.now()
        t = self.table
        async with self.sessions.writing() as session:
            await session.execute(delete(t).where(
                t.c.key == f"{rule.name}:{key}",
                (t.c.blocked_until.is_(None)) | (t.c.blocked_until <= now)))

    def _remember(self, rule: Rule, key: str, until: datetime | None) -> datetime | None:
        if until is None or until <= self.clock.now():
            return None
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        self._seen[f"{rule.name}:{key}"] = until
        return until

    async def _prune(self, session: AsyncSession, now: datetime) -> None:
        """Now and then, rows whose window and lock ended a day ago go."""
        self._failures += 1
        if self._failures % _PRUNE_EVERY:
            return
        t, long_ago = self.table, now - timedelta(days=1)
        await session.execute(delete(t).where(
            t.c.window_start < long_ago,
            (t.c.blocked_until.is_(None)) | (t.c.blocked_until < long_ago)))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class Attempt:
    """One request's attempt, under ``rule``, keyed by its client address."""

    limiter: Limiter
    rule: Rule
    key: str

    async def failed(self) -> None:
        """Count this attempt as failed; 429 at once if that locks the address."""
        until, _ = await self.limiter.failed(self.rule, self.key)
        if until is not None:
            raise too_many(until, self.limiter.clock.now())

    async def succeeded(self) -> None:
        await self.limiter.clear(self.rule, self.key)


def per_address(rule: Rule) -> Callable[[Request], Awaitable[Attempt]]:
    """A dependency: 429 while the client's address is locked under ``rule``; otherwise the
    request's ``Attempt``. The limiter is the app's (``app.state.limiter``, see service_app)."""
    async def attempt(request: Request) -> Attempt:
        limiter: Limiter = request.app.state.limiter
        key = client_address(request)
        if (until := await limiter.locked(rule, key)) is not None:
            raise too_many(until, limiter.clock.now())
        return Attempt(limiter, rule, key)

    return attempt
