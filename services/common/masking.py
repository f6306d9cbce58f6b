"""Personal data shown masked: identity numbers, phone numbers (mobile and landline) and names,
one value at a time (``mask_id_number``, ``mask_phone``, ``mask_name``) or wherever they
appear in a text (``mask``: what the log lines, dead-letter previews and the local SMS sink
show). Names cannot be recognised in free text: ``mask_text`` masks the ones it is given."""

import re
from collections.abc import Iterable

import phonenumbers

_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
# 18 characters (17 digits and a check digit), with at most one blank or hyphen between two of
# them as people write them ("3202 8119 8001 0112 3X"), or the old 15 digits in one piece.
# Not next to another letter or digit, so that hex ids with a run of digits inside are left
# alone.
_ID_NUMBER = re.compile(_EDGE_BEFORE + r"(\d(?:[ -]?\d){16}[ -]?[\dXx]|\d{15})" + _EDGE_AFTER)
# A mobile number, maybe after +86 / 0086 / (+86), in one piece or as 3-4-4 with blanks or
# hyphens ("139 1234 5678", "+86-139-1234-5678").
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])((?:\(?(?:\+|00)86\)?|86)[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})"
    + _EDGE_AFTER)
# A landline: an area code (0 and 2 or 3 digits, maybe in brackets) and 7 or 8 digits, with or
# without a blank or hyphen between ("0510-86881234", "(010) 6552 9988"); or in E.164 after
# +86 ("+86 510 8688 1234").
_LANDLINE = re.compile(
    _EDGE_BEFORE + r"(\(?0\d{2,3}\)?[-\s]?)(\d{3,4}[-\s]?\d{0,4}?)(\d{4})" + _EDGE_AFTER)
_E164_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z+])((?:\+|00)86[-\s]?(?:10|[2-9]\d{1,2})[-\s]?)(\d{3,4}[-\s]?\d{0,4}?)(\d{4})"
    + _EDGE_AFTER)


def mask_id_number(value: str) -> str:
    """320281198001011234 → ``320281********1234``: the area code and the last 4 characters
    (blanks and hyphens dropped); anything else of 10 characters or fewer wholly masked."""
    compact = re.sub(r"[\s-]", "", value or "")
    if len(compact) <= 10:
        return "*" * len(compact)
    return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]


def mask_phone(value: str) -> str:
    """A mobile number → ``139****5678``; a landline → ``0510-8688****`` (area code kept);
    a number not recognised keeps its first 3 digits."""
    value = (value or "").strip()
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.country_code == 86:
        national = str(number.national_number)
        if re.fullmatch(r"1[3-9]\d{9}", national):
            return f"{national[:3]}****{national[-4:]}"
        area_length = 2 if national[:1] == "1" or national[:1] == "2" else 3
        area, local = national[:area_length], national[area_length:]
        if 7 <= len(local) <= 8:
            return f"0{area}-{local[:-4]}****"
    digits = [c for c in value if c.isdigit()]
    kept = 0
    out = []
    for c in value:
        if c.isdigit():
            out.append(c if kept < 3 else "*")
            kept += 1
        else:
            out.append(c)
    return "".join(out) if digits else value


def mask_name(name: str) -> str:
    """张三丰 → 张**: the first character, then one ``*`` for each of the others."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask(text: str) -> str:
    """Identity numbers, mobile and landline numbers masked wherever they are in ``text``
    (with or without blanks and hyphens inside)."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(1)), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)
    text = _E164_LANDLINE.sub(_landline, text)
    return _LANDLINE.sub(_landline, text)


def _landline(match: re.Match[str]) -> str:
    # The area code and the start of the number stay; the last four digits go.
    return f"{match.group(1)}{match.group(2)}****"


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """``mask`` of ``text``, and each of ``names`` in it masked as ``mask_name`` does (the
    longest first, so that a name containing another is masked whole)."""
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return mask(text)
