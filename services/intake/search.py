"""How the window finds an application: what a search value is compared with (no I/O)."""

import re

# A receipt as ``domain.receipt_no`` makes it; application ids are 32 lower-case hex digits,
# so neither can be taken for the other.
RECEIPT_NO = re.compile(r"YD\d{8}-[2-9A-HJ-NP-Z]{6}")


def normalise_id_number(value: str) -> str:
    """An identity number as stored: no surrounding blanks, an upper-case check digit X."""
    return value.strip().upper()


def id_number_key(value: str) -> str:
    """What the identity-number column holds and a search compares with, whole."""
    return normalise_id_number(value)


def as_receipt_no(value: str) -> str | None:
    """``value`` as a receipt number (read out, maybe typed in lower case), or None."""
    candidate = value.strip().upper()
    return candidate if RECEIPT_NO.fullmatch(candidate) else None
