"""Intake's rules, with no I/O: statuses of the combined view, receipts, request identity."""

import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.common.workdays import SHANGHAI

_RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a window


class ApplicationStatus(StrEnum):
    received = "received"  # registered, not yet split among departments
    in_progress = "in_progress"  # every part handed to its department, some still open
    completed = "completed"  # every part decided and the applicant told


class ItemStatus(StrEnum):
    pending = "pending"
    assigned = "assigned"
    accepted = "accepted"
    decided = "decided"


# How far along an item is; an event never moves an item backwards (events may arrive late).
_ORDER = {s: i for i, s in enumerate(ItemStatus)}


def advance(current: str, new: ItemStatus) -> str:
    """The item status after an event: the later of the two."""
    return new if _ORDER[new] > _ORDER[ItemStatus(current)] else current


def combined_status(item_statuses: Iterable[str], completed: bool) -> ApplicationStatus:
    """Completed once notify closed the case *and* every item's decision has reached intake:
    the two arrive on different subjects, in either order."""
    statuses = list(item_statuses)
    if completed and all(s == ItemStatus.decided for s in statuses):
        return ApplicationStatus.completed
    if any(s != ItemStatus.pending for s in statuses):
        return ApplicationStatus.in_progress
    return ApplicationStatus.received


def combined_outcome(outcomes: Iterable[str | None]) -> str | None:
    """approved, rejected or partially_approved once every item has an outcome."""
    values = list(outcomes)
    if not values or any(o is None for o in values):
        return None
    if all(o == "approved" for o in values):
        return "approved"
    if all(o == "rejected" for o in values):
        return "rejected"
    return "partially_approved"


def receipt_no(received_at: datetime) -> str:
    """A receipt number staff can read out: the date in Shanghai and six random letters."""
    day = received_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"YD{day}-" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(6))


def fingerprint(request: dict[str, Any]) -> str:
    """Identity of a request body, to tell a retry from a different request with the same key."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
