"""How personal data is shown to a role that does not need it in full: 张**,
320281********123X, 139****5678.

Local until ``services/common/logs.py`` has ``mask_id_number`` and ``mask_phone`` (issue 9's
personal-data work adds them, same shapes): then these defer to it."""

from services.common.logs import mask_name

__all__ = ["mask_id_number", "mask_name", "mask_phone"]


def mask_id_number(value: str) -> str:
    """320281199001011234 → 320281********1234 (the area code and the last four)."""
    value = value or ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """+8613912345678 or 13912345678 → 139****5678 (its first three and last four digits)."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "*" * len(digits)
