"""What the bench is doing while it runs: one line per step, with the time since it started."""

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Prints ``[  12.3s] message`` lines; ``counted`` prints a running count at most every
    tenth of the total (and the last), so that 10,000 applications make a dozen lines."""

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stdout
        self.clock = clock
        self.started = clock()
        self._shown: dict[str, int] = {}

    def say(self, message: str) -> None:
        print(f"[{self.clock() - self.started:7.1f}s] {message}", file=self.stream, flush=True)

    def restart_counts(self) -> None:
        """A new run counts from nothing again (its own tenths shown)."""
        self._shown.clear()

    def counted(self, what: str, done: int, total: int) -> None:
        """``what done/total``, when it has moved on by a tenth of the total or reached it."""
        step = max(1, total // 10)
        last = self._shown.get(what, 0)
        if (done >= total and last < total) or done - last >= step:
            self._shown[what] = done
            self.say(f"{what} {done}/{total}")
