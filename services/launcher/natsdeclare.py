"""What only the admin user does on a closed bus, before any service starts: declare the
stream, the owners bucket and every process's durable consumers, with the settings the code
configures (``jetstream.stream_config``, ``instance.bucket_config``, the durables' own
``jetstream.durable_config``: natsperms.bus_users reads them off each process)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.errors import BadRequestError

from contracts import subjects
from services.common.instance import bucket_config
from services.common.jetstream import ensure_stream
from services.common.natsauth import connect_options
from services.launcher.natsperms import KV_STREAM, BusUser

log = logging.getLogger("onedoor")

READY_TIMEOUT = 90.0  # a new cluster elects its JetStream leaders after the servers listen


class DeclareFailed(RuntimeError):
    """The bus could not be declared: the one line to show."""


async def declare(servers: list[str], credentials: Path, users: list[BusUser], *,
                  replicas: int = 1, ca_file: Path | None = None,
                  timeout: float = READY_TIMEOUT) -> None:
    """As the admin (``credentials``): the stream, the owners bucket, every durable of
    ``users``; each created, or brought to its configuration if it exists."""
    try:
        nc = await nats.connect(servers, connect_timeout=5, max_reconnect_attempts=-1,
                                reconnect_time_wait=1,
                                **connect_options(credentials, ca_file))
    except Exception as exc:
        raise DeclareFailed(f"cannot connect to NATS {','.join(servers)} as the admin: "
                            f"{exc}") from None
    try:
        js = nc.jetstream()
        deadline = asyncio.get_running_loop().time() + timeout
        await _until_answers(lambda: ensure_stream(js, replicas), deadline, "the stream")
        await _until_answers(lambda: _ensure_bucket(js, replicas), deadline, "the owners bucket")
        for user in users:
            for config in user.durables:
                await _until_answers(lambda c=config: _ensure_durable(js, c), deadline,
                                     f"the durable {config.durable_name}")
    finally:
        await nc.close()


async def _ensure_bucket(js: JetStreamContext, replicas: int) -> None:
    try:
        await js.create_key_value(bucket_config(replicas))
    except BadRequestError:  # there already, perhaps from before direct gets were asked for
        info = await js.stream_info(KV_STREAM)
        if not info.config.allow_direct:
            info.config.allow_direct = True
            await js.update_stream(info.config)


async def _ensure_durable(js: JetStreamContext, config: Any) -> None:
    try:
        await js.add_consumer(subjects.STREAM, config)  # creates, or updates what may change
    except BadRequestError as exc:
        # A setting the server cannot change on an existing durable: it keeps working as
        # it is; an operator deletes it (as the admin) to have it made again.
        log.warning("the durable %s keeps its settings (%s); delete it as the admin to have "
                    "it made anew", config.durable_name, exc.description)


async def _until_answers(step: Callable[[], Awaitable[Any]], deadline: float, what: str) -> None:
    delay = 0.2
    while True:
        try:
            await step()
            return
        except BadRequestError:
            raise
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise DeclareFailed(f"JetStream did not let the admin declare {what}: "
                                    f"{exc.__class__.__name__}: {exc}") from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
