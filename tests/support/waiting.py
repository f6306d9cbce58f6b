"""Waiting for something that happens asynchronously, without fixed sleeps."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 30, interval: float = 0.2) -> T:
    """Call ``check`` until it returns a truthy value (returned) or raise its last failure."""
    deadline = time.monotonic() + timeout
    last: AssertionError | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:
            last = exc
        time.sleep(interval)
    raise last or AssertionError(f"condition not met within {timeout}s")


async def eventually_async(check: Callable[[], Awaitable[T]], timeout: float = 30,
                           interval: float = 0.1) -> T:
    """The same, for an async ``check``."""
    deadline = time.monotonic() + timeout
    last: AssertionError | None = None
    while time.monotonic() < deadline:
        try:
            value = await check()
            if value:
                return value
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    raise last or AssertionError(f"condition not met within {timeout}s")
