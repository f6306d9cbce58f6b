"""Editing nested JSON documents in tests: a copy with one value replaced."""

from typing import Any


def replaced(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` (keys and list indexes) set to ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {**document, head: replaced(document[head], rest, new)}
    copy = list(document)
    copy[head] = replaced(copy[head], rest, new)
    return copy
