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
    awaiting_materials = "awaiting_materials"  # registered; told once what is missing
    received = "received"  # accepted with every material, not yet split among departments
    in_progress = "in_progress"  # handed on, some parts still open
    completed = "completed"  # every part closed and the applicant told
    refused = "refused"  # nothing in it any policy here covers: refused at the door, in writing


class ItemStatus(StrEnum):
    pending = "pending"
    joint_meeting = "joint_meeting"  # no clear owner: before the joint meeting
    returned = "returned"  # a department said it is not theirs; being re-routed
    assigned = "assigned"
    awaiting_materials = "awaiting_materials"  # its department asked for more materials
    accepted = "accepted"
    decided = "decided"
    referred = "referred"  # to a charity or social organisation (转介)
    refused = "refused"  # outside every policy here


CLOSED = frozenset({ItemStatus.decided, ItemStatus.referred, ItemStatus.refused})
# How far along an item is; an event never moves an item backwards (events may arrive late).
_ORDER = {s: i for i, s in enumerate(ItemStatus)}


def advance(current: str, new: ItemStatus) -> str:
    """The item status after an event: the later of the two."""
    return new if _ORDER[new] > _ORDER[ItemStatus(current)] else current


def combined_status(item_statuses: Iterable[str], completed: bool,
                    awaiting_materials: bool = False) -> ApplicationStatus:
    """Completed once notify closed the case *and* every item's closing event has reached
    intake: the two arrive on different subjects, in either order."""
    statuses = list(item_statuses)
    if statuses and all(s == ItemStatus.refused for s in statuses):
        return ApplicationStatus.refused
    if awaiting_materials:
        return ApplicationStatus.awaiting_materials
    if completed and all(s in CLOSED for s in statuses):
        return ApplicationStatus.completed
    if any(s not in (ItemStatus.pending, ItemStatus.refused) for s in statuses):
        return ApplicationStatus.in_progress
    return ApplicationStatus.received


def combined_outcome(outcomes: Iterable[str | None]) -> str | None:
    """approved, rejected or partially_approved once every item has an outcome (an item
    referred elsewhere or refused at the door counts as not approved here)."""
    values = list(outcomes)
    if not values or any(o is None for o in values):
        return None
    if all(o == "approved" for o in values):
        return "approved"
    if all(o != "approved" for o in values):
        return "rejected"
    return "partially_approved"


def missing_after(missing: dict[str, list[str]], provided: Iterable[str]) -> dict[str, list[str]]:
    """What is still missing once ``provided`` has been handed in."""
    have = set(provided)
    return {code: items for code, items in missing.items() if code not in have}


def receipt_no(received_at: datetime) -> str:
    """A receipt number staff can read out: the date in Shanghai and six random letters."""
    day = received_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"YD{day}-" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(6))


def fingerprint(request: dict[str, Any]) -> str:
    """Identity of a request body, to tell a retry from a different request with the same key."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
