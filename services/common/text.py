"""What people type into requests: names, staff ids and free texts, as field types every HTTP
schema uses.

Names (of people, a proxy's role, staff) are compared, searched and printed on notices: an
invisible character in one — a control character, a zero-width space, a direction override —
makes two names that look alike differ, or shows a name reversed, so it is refused (422).
Free texts (descriptions, addresses, reasons, notes) reach SMS and CSV: control characters are
dropped (a multi-line text keeps its line breaks and tabs, a carriage return becomes a line
break so no cell starts with a hidden CR), and direction overrides, which would make an SMS or
a ledger line read differently from what was written, are refused.
"""

import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder the text shown.
DIRECTION_OVERRIDES = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# Control (C0, DEL, C1), format (zero-width, LRM/RLM, U+FEFF, soft hyphen...), surrogate, and the
# line and paragraph separators: nothing a name shows.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\u0085")
STAFF_ID_PATTERN = r"^[A-Za-z0-9_.@-]+$"


def _refused(kind: str, position: int, ch: str) -> PydanticCustomError:
    n, code = position + 1, f"U+{ord(ch):04X}"
    if kind == "override":
        return PydanticCustomError(
            "text_direction_override",
            "character {n} ({code}) overrides the text direction, so readers would see "
            "something else than was written: remove it",
            {"n": n, "code": code, "zh": "第{n}个字符是改变文字显示方向的控制字符，会使显示内容"
                                         "与实际填写不符，请删除"})
    if kind == "surrogate":
        return PydanticCustomError(
            "text_invalid_character", "character {n} ({code}) is not a valid character",
            {"n": n, "code": code, "zh": "第{n}个字符不是有效字符，请删除"})
    return PydanticCustomError(
        "text_invisible_character",
        "character {n} ({code}) is a control or invisible character: remove it",
        {"n": n, "code": code, "zh": "第{n}个字符是控制字符或不可见字符，请删除后重新填写"})


def check_name(value: Any) -> Any:
    """A name as typed, trimmed (a line break pasted after it goes too); refused if any
    character left in it is invisible."""
    if not isinstance(value, str):
        return value  # the str validation after this says what is wrong
    value = value.strip()
    for n, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category in _INVISIBLE:
            kind = ("override" if ch in DIRECTION_OVERRIDES
                    else "surrogate" if category == "Cs" else "invisible")
            raise _refused(kind, n, ch)
    return value


def clean_text(value: Any, *, multiline: bool) -> Any:
    """A free text without control or invisible format characters, trimmed; line breaks kept
    (as ``\\n``) with tabs in a multi-line text, turned into spaces otherwise. Direction
    overrides and broken characters are refused, not dropped: the writer should see them."""
    if not isinstance(value, str):
        return value
    for n, ch in enumerate(value):
        if ch in DIRECTION_OVERRIDES:
            raise _refused("override", n, ch)
        if unicodedata.category(ch) == "Cs":
            raise _refused("surrogate", n, ch)
    for brk in _LINE_BREAKS:
        value = value.replace(brk, "\n")
    kept = []
    for ch in value:
        if ch in "\n\t":
            kept.append(ch if multiline else " ")
        elif unicodedata.category(ch) not in _INVISIBLE:
            kept.append(ch)
    return "".join(kept).strip()


# A person's name, or the role of someone applying for them.
PersonName = Annotated[str, BeforeValidator(check_name)]
# A staff member or supervisor named as the region's policy names them (any script).
StaffName = Annotated[str, Field(min_length=1, max_length=50), BeforeValidator(check_name)]
# A staff id as the window and departments use them: letters, digits and _ . @ -.
StaffId = Annotated[str, Field(min_length=1, max_length=50, pattern=STAFF_ID_PATTERN),
                    BeforeValidator(check_name)]
# Descriptions, reasons, opinions, notes: several lines allowed.
FreeText = Annotated[str, BeforeValidator(lambda v: clean_text(v, multiline=True))]
# Addresses, villages, schools, organisations: one line.
FreeLine = Annotated[str, BeforeValidator(lambda v: clean_text(v, multiline=False))]
