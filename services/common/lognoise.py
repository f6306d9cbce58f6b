"""Lines that tell neither a person at the console nor an operator anything, kept out of every
service's log (both formats) by ``QuietFilter``, which ``logs.configure`` puts on its handler."""

import asyncio
import logging
import re

# (logger-name prefix, start of the message) of the lines dropped: alembic naming its plugins
# and its dialect at every start, and each revision it runs (migrations.py says the whole
# upgrade in one line); faststream announcing each task's callback as the broker stops.
_NOISE = (
    ("alembic.runtime.plugins", re.compile(r"setup plugin ")),
    ("alembic.runtime.migration", re.compile(r"Context impl |Will assume |Running upgrade ")),
    ("faststream", re.compile(r"callback for .* is being executed")),
)
_LOGGERS = ("alembic", "faststream", "sqlalchemy.pool")


class QuietFilter(logging.Filter):
    """Drops the lines of ``_NOISE``, and the traceback SQLAlchemy's pool logs when a task
    holding a connection is cancelled at shutdown (Ctrl-C): that transaction is rolled back and
    its message, never acknowledged, is delivered again, so nothing is wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(_LOGGERS):
            return True
        message = record.getMessage()
        for prefix, pattern in _NOISE:
            if record.name.startswith(prefix) and pattern.match(message):
                return False
        return not (record.name.startswith("sqlalchemy.pool") and _cancelled(record))


def _cancelled(record: logging.LogRecord) -> bool:
    kind = record.exc_info[0] if record.exc_info else None
    return kind is not None and issubclass(kind, asyncio.CancelledError)
