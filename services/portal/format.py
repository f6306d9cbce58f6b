"""Jinja filters every screen shares: times as people read them (Beijing time), money."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services.common.workdays import SHANGHAI
from services.portal.i18n import Translator


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


def item_name(code: str, lang: str) -> str:
    """An item code as people read it, in ``lang`` (messages/common.toml's [item])."""
    key = f"item.{code}"
    name = Translator(lang)(key)
    return code.replace("_", " ") if name == key else name


def item_names(codes: list[str], lang: str) -> list[str]:
    return [item_name(code, lang) for code in codes]


FILTERS = {"when": when, "yuan": yuan}
