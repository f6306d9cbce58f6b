"""Times are stored in UTC and shown in Asia/Shanghai: the type every read model uses, and the
form a text for people (a notice, a history line, an error message) gives them."""

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

from services.common.workdays import SHANGHAI


def shanghai(value: datetime) -> str:
    """ISO 8601 with the +08:00 offset, e.g. ``2026-10-09T23:59:59+08:00``."""
    return value.astimezone(SHANGHAI).isoformat()


def beijing_text(value: datetime) -> str:
    """Beijing wall-clock time to the minute, for texts people read: ``2026-10-09 23:59``."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# A datetime field of a response: serialised in Shanghai time (same instant as stored).
LocalTime = Annotated[datetime, PlainSerializer(shanghai, return_type=str, when_used="json")]
