"""A message that would overwrite what an earlier one settled (a second decision for a task
already decided): the first stands, the same again is a duplicate, a different one a conflict."""

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from services.common.deliveries import Refused


def first_stands(what: str, first: Mapping[str, Any], later: Mapping[str, Any], *,
                 private: Collection[str] = ()) -> None:
    """Return if ``later`` settles ``what`` as ``first`` did (a duplicate: nothing to do);
    otherwise raise Refused naming what differs, to be recorded for the ops team.

    Values of ``private`` fields (free texts that may name people) are never shown."""
    differs = [key for key in first if _norm(first[key]) != _norm(later.get(key))]
    if not differs:
        return

    def shown(values: Mapping[str, Any]) -> str:
        return ", ".join(f"{key} {'(text)' if key in private else _show(values.get(key))}"
                         for key in differs)

    raise Refused(f"conflict: {what} was already settled; a later message differs in "
                  f"{', '.join(differs)} (first: {shown(first)}; this one: {shown(later)}). "
                  "Not applied: the first stands.")


def _norm(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


def _show(value: Any) -> str:
    normal = _norm(value)
    if normal is None:
        return "none"
    if isinstance(normal, list):
        return "/".join(normal)
    return format(normal, "f") if isinstance(normal, Decimal) else normal
