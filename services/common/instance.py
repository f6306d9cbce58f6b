"""With SQLite a service runs once: a second process would join the same durable consumers and
take part of the messages into another database.

Two guards. On one machine, an exclusive lock on ``<data_dir>/<service>.lock`` for the life of
the process (``flock``: the kernel drops it when the process dies, SIGKILL included, so a
restart on the same directory always starts). Across machines or data directories, the owner is
recorded on NATS, where the consumers are shared: a key per service in a KV bucket whose entries
expire unless the owner renews them (the watchdog's round), naming its database. Another
database is refused while the owner lives; the same one (a restart, or PostgreSQL instances
sharing one database) is welcome.
"""

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import (
    BucketNotFoundError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)
from sqlalchemy.engine import make_url

from services.common.natsauth import connect_options
from services.common.settings import Settings

log = logging.getLogger(__name__)

BUCKET = "onedoor_owners"
OWNER_TTL = 60.0  # seconds a dead owner's record outlives it (renewed well before)
RENEW_EVERY = OWNER_TTL / 4
SEVERAL = "with SQLite each service runs once; several instances need PostgreSQL (--database-url)"


class InstanceConflict(RuntimeError):
    """Another process owns this service's data: the message is the one line to show."""


def database_identity(url: str, schema: str | None) -> str:
    """What names one database, without credentials: ``sqlite://host/path`` or
    ``postgresql://host:port/db#schema``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite://{socket.gethostname()}{Path(parsed.database or '').resolve()}"
    return f"{parsed.get_backend_name()}://{parsed.host}:{parsed.port or ''}/{parsed.database}" \
           f"#{schema or ''}"


class DataDirLock:
    """The exclusive lock of one service on its SQLite data directory, held until released."""

    def __init__(self, directory: Path, service: str) -> None:
        self.path = directory / f"{service}.lock"
        self.service = service
        directory.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip()
            os.close(self._fd)
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise InstanceConflict(
                f"{service} is already running on the SQLite data directory {directory.resolve()}"
                f"{pid}: {SEVERAL}") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        # The file stays: removing it would let a third process lock a new file while a
        # second one still waits on the old.
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = -1


class Ownership:
    """This process's record, on NATS, of the database that ``service``'s consumers feed."""

    def __init__(self, service: str, identity: str, replicas: int = 1, *,
                 declare: bool = True) -> None:
        self.service, self.identity, self.replicas = service, identity, replicas
        # Create the bucket if it is missing: on an open NATS only (on a closed one the admin
        # user creates it, and a service's user may touch nothing but its own key).
        self.declare = declare
        self.record = json.dumps({"database": identity, "host": socket.gethostname(),
                                  "pid": os.getpid()}).encode()
        self.lost: str | None = None  # set when another database took the record over
        self._renewed_at = 0.0
        self._kv: Any = None

    async def check(self, js: JetStreamContext) -> None:
        """Raise InstanceConflict if a live owner has another database (nothing recorded)."""
        with contextlib.suppress(BucketNotFoundError):
            kv = await js.key_value(BUCKET)
            with contextlib.suppress(KeyNotFoundError, KeyDeletedError):
                self._refuse(json.loads((await kv.get(self.service)).value or b"{}"))

    async def claim(self, js: JetStreamContext) -> None:
        """Record this process as the owner, unless a live owner has another database."""
        kv = await self._bucket(js)
        for _ in range(5):  # another process may write between our read and our write
            try:
                entry = await kv.get(self.service)
            except (KeyNotFoundError, KeyDeletedError):
                entry = None
            try:
                if entry is None:
                    await kv.create(self.service, self.record)
                else:
                    self._refuse(json.loads(entry.value or b"{}"))
                    await kv.update(self.service, self.record, last=entry.revision)
                self._renewed_at = asyncio.get_running_loop().time()
                return
            except KeyWrongLastSequenceError:
                continue
        raise InstanceConflict(f"{self.service}: could not record its owner on NATS")

    async def renew(self, js: JetStreamContext) -> None:
        """Keep the record alive (each watchdog round, at most every ``RENEW_EVERY``)."""
        now = asyncio.get_running_loop().time()
        if now - self._renewed_at < RENEW_EVERY:
            return
        try:
            await self.claim(js)
            self.lost = None
        except InstanceConflict as exc:  # NATS lost us long enough for another to take over
            if self.lost is None:
                log.error("%s", exc)
            self.lost = str(exc)
            self._renewed_at = now

    async def release(self, js: JetStreamContext) -> None:
        """Remove the record if it is still this process's own (a clean stop)."""
        with contextlib.suppress(Exception):
            kv = await self._bucket(js)
            entry = await kv.get(self.service)
            if entry.value == self.record:
                await kv.delete(self.service, last=entry.revision)

    def _refuse(self, owner: dict[str, Any]) -> None:
        theirs = owner.get("database")
        if theirs in (None, self.identity):
            return
        raise InstanceConflict(
            f"{self.service} is already running on this NATS with another database, "
            f"{_shown(theirs)} (pid {owner.get('pid', '?')} on host {owner.get('host', '?')}); "
            f"its durable consumers are shared, so each database would get part of the "
            f"messages: {SEVERAL}")

    async def _bucket(self, js: JetStreamContext) -> Any:
        if self._kv is None:
            try:
                self._kv = await js.key_value(BUCKET)
            except BucketNotFoundError:
                if not self.declare:
                    raise
                self._kv = await js.create_key_value(bucket_config(self.replicas))
        return self._kv


def bucket_config(replicas: int = 1) -> KeyValueConfig:
    """The owners bucket, as whoever declares it creates it. Direct gets: a key is read on
    a subject naming it, so each service's user may be allowed its own key only."""
    return KeyValueConfig(bucket=BUCKET, history=1, ttl=OWNER_TTL, replicas=replicas,
                          direct=True,
                          description="OneDoor: which database each service's consumers feed")


def _shown(identity: str) -> str:
    """``sqlite://host/path`` → ``the SQLite file /path``; others as they are."""
    if identity.startswith("sqlite://"):
        return "the SQLite file /" + identity.removeprefix("sqlite://").partition("/")[2]
    return identity


async def preflight(ownership: Ownership | None, settings: Settings) -> None:
    """Before a process starts serving: refuse at once, in one line, if NATS already names
    another owner. An unreachable NATS is left to the start-up, which waits for it."""
    if ownership is None:
        return
    try:
        nc = await nats.connect(settings.nats_servers, connect_timeout=5,
                                max_reconnect_attempts=0, allow_reconnect=False,
                                error_cb=_unreachable,
                                **connect_options(settings.nats_credentials,
                                                  settings.nats_ca_file))
    except Exception:
        return
    try:
        await ownership.check(nc.jetstream())
    finally:
        await nc.close()


async def _unreachable(exc: Exception) -> None:
    """nats-py logs each failed attempt with its traceback; the start-up says it in one line."""
    log.debug("owner check: NATS not reachable: %s", exc)
