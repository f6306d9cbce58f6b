"""``onedoor keys``: a new primary data key and every value re-encrypted under it (``rotate``,
``--retire`` to drop the old keys once nothing uses them), a key for the environment (``new``);
and the private data directory every command that writes one prepares."""

import argparse
import asyncio
import logging
import os
import stat
import sys
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from contracts import Department
from services.common import keystore
from services.common.crypto import KeyProblem, Keyring, encode_key, key_id, new_key
from services.common.db import Database
from services.common.keystore import DATA
from services.common.rekey import reseal
from services.common.settings import Settings
from services.launcher.preflight import CONFIG_ERROR, ConfigError, check_settings

log = logging.getLogger("onedoor")

# How long ``rotate`` waits after writing the new key file before re-encrypting: a running
# service takes a new primary within its keyring's watch (1 second) when it next seals.
GRACE_SECONDS = 3.0
RETIRE_PASSES = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="rotate the key of personal data at rest; make a key",
                          description="Keys of personal data: the data key (values at rest), the "
                                      "search key (keyed hashes) and the bus key (the personal "
                                      "part of messages).")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", help="a new primary data key; every value in every service's database "
                       "re-encrypted under it (running services keep working)",
        description="Add a new primary data key to <data-dir>/keys/data.json and re-encrypt "
                    "every value under it, batch by batch; safe to run again if interrupted. With "
                    "ONEDOOR_DATA_KEY set, its first key is the primary: values are re-encrypted "
                    "under it (put a new key first, restart the services, then run this).")
    rotate.add_argument("--retire", action="store_true",
                        help="then drop every other key, once no value is sealed under it")
    rotate.add_argument("--data-dir", type=Path,
                        help="the data directory 'up' was given (default: ONEDOOR_DATA_DIR, "
                             "else var)")
    rotate.add_argument("--database-url",
                        help="PostgreSQL, as 'up' was given (default: ONEDOOR_DATABASE_URL, else "
                             "the SQLite files under the data directory)")
    rotate.add_argument("--grace", type=float, default=GRACE_SECONDS, metavar="SECONDS",
                        help="wait this long after the new key is written, for running services "
                             "to take it up")
    actions.add_parser("new", help="print a new random key (base64) for ONEDOOR_*_KEY",
                       description="Print a new random key, e.g. for ONEDOOR_DATA_KEY of a "
                                   "PostgreSQL deployment on several machines.")


def run(args: argparse.Namespace) -> int:
    if args.action == "new":
        print(encode_key(new_key()))
        return 0
    overrides = {k: v for k, v in {"data_dir": args.data_dir,
                                   "database_url": args.database_url}.items() if v is not None}
    try:
        settings = check_settings(**overrides)
        return asyncio.run(rotate(settings, retire=args.retire, grace=args.grace))
    except (ConfigError, KeyProblem) as exc:
        print(f"onedoor keys rotate: {exc}", file=sys.stderr)
        return CONFIG_ERROR


async def rotate(settings: Settings, *, retire: bool = False, grace: float = GRACE_SECONDS) -> int:
    """Re-encrypt every service's database under a new primary key (under the environment's
    first key, if the keys come from there); with ``retire``, then drop the others."""
    env = settings.key_values()
    from_env = bool((env[DATA] or "").strip())
    path = keystore.key_file(settings.data_dir, DATA)
    if from_env:
        ring = keystore.keyring(DATA, env[DATA], settings.data_dir)
        log.info("keys from ONEDOOR_DATA_KEY: re-encrypting under its first key %s", ring.primary)
    else:
        if not path.exists():
            raise KeyProblem(f"no key file {path}: nothing was ever encrypted with it "
                             "(check --data-dir)")
        with keystore.locked(settings.data_dir):
            old = keystore.read_key_file(path)
            key = new_key()
            keystore.write_key_file(path, {key_id(key): key, **old.keys}, key_id(key))
        ring = keystore.read_key_file(path)
        log.info("new primary key %s in %s (kept: %s); re-encrypting in %.0fs", ring.primary, path,
                 ", ".join(old.ids), grace)
        await asyncio.sleep(grace)
    databases = await service_databases(settings, ring)
    try:
        for name, db in databases:
            await db.create_schema()
            done = await reseal(db, ring)
            log.info("%s: %d value(s) re-encrypted under %s", name, done.resealed, ring.primary)
        if retire:
            return await _retire(settings, databases, ring, from_env, path)
        return 0
    finally:
        for _, db in databases:
            await db.dispose()


async def _retire(settings: Settings, databases: list[tuple[str, Database]], ring: Keyring,
                  from_env: bool, path: Path) -> int:
    """Drop every key but the primary once no value is under one (a value a service sealed
    under an old key meanwhile is re-encrypted first)."""
    for _ in range(RETIRE_PASSES):
        left = {name: sum(n for kid, n in (await reseal(db, ring, count_only=True)).by_key.items()
                          if kid != ring.primary) for name, db in databases}
        if not any(left.values()):
            break
        for name, db in databases:
            if left[name]:
                await reseal(db, ring)
    else:
        still = ", ".join(f"{name} ({n})" for name, n in left.items() if n)
        raise KeyProblem(f"values under old keys remain in {still}: not retired; run it again")
    old = [kid for kid in ring.ids if kid != ring.primary]
    if from_env:
        log.info("no value is sealed under %s any more: remove them from ONEDOOR_DATA_KEY",
                 ", ".join(old) or "another key")
        return 0
    with keystore.locked(settings.data_dir):
        current = keystore.read_key_file(path)
        if current.primary != ring.primary:
            raise KeyProblem(f"{path} changed meanwhile (another rotation?): not retired")
        keystore.write_key_file(path, {ring.primary: ring.keys[ring.primary]}, ring.primary)
    log.info("retired %s: %s holds %s only", ", ".join(old) or "nothing", path, ring.primary)
    return 0


async def service_databases(settings: Settings, ring: Keyring) -> list[tuple[str, Database]]:
    """Every service's database that exists, opened with ``ring`` (and no other key)."""
    from services.departments import app as departments
    from services.departments.models import Base as DepartmentBase
    from services.intake import app as intake
    from services.intake.models import Base as IntakeBase
    from services.notify import app as notify
    from services.notify.models import Base as NotifyBase
    from services.routing import app as routing
    from services.routing.models import Base as RoutingBase

    services = [("intake", IntakeBase.metadata, intake.MIGRATIONS),
                ("routing", RoutingBase.metadata, routing.MIGRATIONS),
                ("notify", NotifyBase.metadata, notify.MIGRATIONS)]
    services += [(f"department_{d.value}", DepartmentBase.metadata, departments.MIGRATIONS)
                 for d in Department]
    keys = keystore.Keys(data=ring, search=b"")  # re-encryption never hashes
    found = []
    for name, metadata, migrations in services:
        url, schema = settings.database_for(name)
        if url.startswith("sqlite") and not Path(make_url(url).database or "").exists():
            continue
        db = Database(url, metadata, schema=schema, migrations=migrations, keys=keys)
        if schema and not await _has_schema(db):
            await db.dispose()
            continue
        found.append((name, db))
    return found


async def _has_schema(db: Database) -> bool:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda sync: inspect(sync).has_schema(db.schema))


def private_data_dir(path: Path) -> None:
    """The data directory readable by this user only (0700): made so, or narrowed if it is
    OneDoor's (it has key files, databases, NATS's store or span files) or empty. A directory
    holding other things (``--data-dir /tmp``) is left as it is, with a warning."""
    # exist_ok: several processes started together (the cluster test) race to make it
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 == 0:
        return
    ours = (not any(path.iterdir()) or any(path.glob("*.db"))
            or any((path / marker).exists() for marker in (keystore.KEY_DIR, "nats", "traces")))
    if ours and info.st_uid == os.getuid():
        os.chmod(path, 0o700)
    else:
        log.warning("the data directory %s is readable by others (mode %o): use a directory of "
                    "its own", path, stat.S_IMODE(info.st_mode))
