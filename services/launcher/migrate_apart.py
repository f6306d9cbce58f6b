"""``onedoor run`` migrates its databases in a short-lived child, not in the serving process.

Alembic, Mako and the revisions take ~10 MB that Python never gives back once imported; a
service needs them for a second at start and then runs for weeks. A forked child (everything
already imported, no second start-up) upgrades the databases and exits, taking that memory with
it; the service's own start then finds them at head without importing Alembic
(``Database.create_schema``). If the child fails, it says nothing: the service's start migrates
again in its own process and reports the error exactly as it always has.
"""

import asyncio
import os
import sys
from collections.abc import Sequence

from services.common.db import Database


def migrate_apart(databases: Sequence[Database]) -> None:
    """Bring ``databases`` to head in a forked child, if any is not there already."""
    if not asyncio.run(_behind(databases)):
        return
    sys.stdout.flush()  # else the child would write what is buffered here a second time
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            asyncio.run(_upgrade(databases))
            code = 0
        except BaseException:  # the service's own start reports it (above)
            pass
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # not the parent's exit handlers (span files, locks)
    os.waitpid(pid, 0)


async def _behind(databases: Sequence[Database]) -> bool:
    try:
        return not all([await db.at_head() for db in databases if db.migrations is not None])
    finally:
        for db in databases:
            await db.dispose()  # their connections belong to this loop, not the server's


async def _upgrade(databases: Sequence[Database]) -> None:
    for db in databases:
        await db.create_schema()
