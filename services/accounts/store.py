"""The identity store's database (``<data-dir>/accounts.db``, or the PostgreSQL schema
``<prefix>accounts``) and its lookups. Every service process opens it to resolve callers;
the ``onedoor staff`` commands and ``onedoor up`` write it."""

import asyncio
import contextlib
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.domain import Actor, Role, parse_token
from services.accounts.models import Account, ApiToken, Base
from services.common.clock import Clock, SystemClock
from services.common.db import Database
from services.common.settings import Settings

NAME = "accounts"
MIGRATIONS = Path(__file__).parent / "migrations"
# A token's last use is written at most this often (a write per request would make every
# read a write, from every process, on one file).
TOUCH_EVERY = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountStore:
    """Accounts and tokens of one deployment; ``open`` brings its schema to head once."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        url, schema = settings.database_for(NAME)
        self.db = Database(url, Base.metadata, schema=schema, migrations=MIGRATIONS)
        self.clock = clock or SystemClock()
        self._opened = False
        self._opening: asyncio.Lock | None = None

    async def open(self) -> None:
        """Migrate the store (once per process; several processes may race: they take turns)."""
        if self._opened:
            return
        self._opening = self._opening or asyncio.Lock()
        async with self._opening:
            if not self._opened:
                await self.db.create_schema()
                if self.db.file is not None:  # password hashes and token digests: ours only
                    os.chmod(self.db.file, 0o600)
                self._opened = True

    async def close(self) -> None:
        await self.db.dispose()
        self._opened = False

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        await self.open()
        async with self.db.reading() as session:
            yield session

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        await self.open()
        async with self.db.writing() as session:
            yield session

    async def account(self, username: str) -> Account | None:
        async with self.reading() as session:
            return await session.scalar(select(Account).where(Account.username == username))

    async def accounts(self) -> list[Account]:
        async with self.reading() as session:
            return list(await session.scalars(select(Account).order_by(Account.role,
                                                                       Account.username)))

    async def token_holder(self, token: str) -> Actor | None:
        """The actor an API token stands for; None if it is unknown, wrong, expired, revoked,
        or its account disabled."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        now = self.clock.now()
        async with self.reading() as session:
            row = (await session.execute(
                select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
                .where(ApiToken.id == token_id))).first()
        if row is None:
            return None
        stored, account = row
        if not hmac.compare_digest(stored.secret_sha256, secret_digest(secret)):
            return None
        if stored.revoked_at is not None or account.disabled:
            return None
        if stored.expires_at is not None and stored.expires_at <= now:
            return None
        if stored.last_used_at is None or now - stored.last_used_at >= TOUCH_EVERY:
            await self._touch(stored.id, account.id, now)
        return actor_of(account)

    async def _touch(self, token_id: str, account_id: str, now: datetime) -> None:
        """Record the use; a busy store must not refuse the caller for it."""
        with contextlib.suppress(Exception):
            async with self.writing() as session:
                await session.execute(update(ApiToken).where(ApiToken.id == token_id)
                                      .values(last_used_at=now))
                await session.execute(update(Account).where(Account.id == account_id)
                                      .values(last_used_at=now))


def actor_of(account: Account, via: str = "token") -> Actor:
    return Actor(account_id=account.id, username=account.username,
                 display_name=account.display_name, role=Role(account.role),
                 department=account.department, region=account.region,
                 township=account.township, via=via)
