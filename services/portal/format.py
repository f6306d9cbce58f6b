"""Jinja filters every screen shares: times as people read them (Beijing time), money."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services.common.workdays import SHANGHAI


def when(value: Any, with_time: bool = True) -> str:
    """An API time (ISO 8601 with offset) as ``2026-12-01 14:05`` in Beijing time."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def yuan(value: Any) -> str:
    """An amount as ``1,234.50``."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


FILTERS = {"when": when, "yuan": yuan}
