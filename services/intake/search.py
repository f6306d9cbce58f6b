"""How the window finds an application: what a search value is compared with (no I/O).

The identity number and the name are stored as keyed hashes of their normal form
(``models.Application``: ``KeyedHash``), so a search by either is exact: the whole number,
the whole name (blanks, width and letter case aside)."""

import re
import unicodedata

# A receipt as ``domain.receipt_no`` makes it; application ids are 32 lower-case hex digits,
# so neither can be taken for the other.
RECEIPT_NO = re.compile(r"YD\d{8}-[2-9A-HJ-NP-Z]{6}")
# What each keyed hash is for (a name never hashes like an identity number).
ID_NUMBER, NAME = "id_number", "name"


def normalise_id_number(value: str) -> str:
    """An identity number as hashed: no surrounding blanks, an upper-case check digit X."""
    return value.strip().upper()


def normalise_name(value: str) -> str:
    """A name as hashed: full-width forms folded (NFKC), no blanks, letters in one case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


def as_receipt_no(value: str) -> str | None:
    """``value`` as a receipt number (read out, maybe typed in lower case), or None."""
    candidate = value.strip().upper()
    return candidate if RECEIPT_NO.fullmatch(candidate) else None
