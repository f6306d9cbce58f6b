"""Of the applicant, only what a task's items need (region policy, ``personal_data`` of each
item; none said: everything): the rest is masked for the department's staff."""

from typing import Any

from contracts import Item
from services.common.masking import mask_id_number, mask_name, mask_phone
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
