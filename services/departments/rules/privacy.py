"""Of the applicant, only what a task's items need (region policy, ``personal_data`` of each
item; none said: everything): the rest is masked for the department's staff."""

from typing import Any

from contracts import Item
from services.common.logs import mask_name
from services.common.policy import Policy

FIELDS = ("name", "id_number", "phone", "address")


def needed_fields(policy: Policy, items: list[str]) -> frozenset[str]:
    """The applicant's fields any of the task's items needs in full."""
    needed: set[str] = set()
    for item in items:
        rule = policy.items.get(Item(item)) if item in policy.items else None
        if rule is None or rule.personal_data is None:
            return frozenset(FIELDS)
        needed |= set(rule.personal_data)
    return frozenset(needed)


def masked_applicant(applicant: dict[str, Any], needed: frozenset[str]) -> dict[str, Any]:
    """The applicant with every field not ``needed`` masked."""
    out = dict(applicant)
    if "name" not in needed:
        out["name"] = mask_name(out.get("name", "")) or "*"
    if "id_number" not in needed:
        out["id_number"] = mask_id_number(out.get("id_number", ""))
    if "phone" not in needed:
        out["phone"] = mask_phone(out.get("phone", ""))
    if "address" not in needed:
        out["address"] = "***" if out.get("address") else ""
    return out


# Local until services/common/logs.py has mask_id_number and mask_phone (issue 9's
# personal-data work adds them): the same shapes.
def mask_id_number(value: str) -> str:
    """320281199001011234 → 320281********1234 (the area code and the last four)."""
    value = value or ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    """+8613912345678 or 13912345678 → 139****5678."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "*" * len(digits)
