"""Masking: one value (identity number, phone, name), and every number of a text however it is
written — blanks, hyphens, +86, landlines — as the log lines and the SMS sink show them."""

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common import logs
from services.common.masking import mask, mask_id_number, mask_name, mask_phone, mask_text
from tests.support.factories import identity_number

_AROUND = st.sampled_from(["", " ", "身份证", "电话：", "id=", "（", "，", "tel ", "\n", "号码:"])
_AFTER = st.sampled_from(["", " ", "。", "，", "）", "\n", ";", " 已登记"])


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["320281", "341321", "110105", "340123", "510107", "650102"]))
    born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2015, 12, 31)))
    return identity_number(area, born, draw(st.integers(0, 999)))


def _written(number: str, style: int) -> str:
    """An identity number as people write it."""
    if style == 0:
        return number
    if style == 1:  # 4-4-4-4-2
        return " ".join(number[i:i + 4] for i in range(0, 18, 4))
    if style == 2:  # area, birth date, the rest
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if style == 3:
        return f"{number[:6]}-{number[6:14]}-{number[14:]}"
    return number.lower()


@given(id_numbers(), st.integers(0, 4), _AROUND, _AFTER)
def test_an_identity_number_is_masked_however_it_is_written(number: str, style: int,
                                                            before: str, after: str) -> None:
    text = f"{before}{_written(number, style)}{after}"
    masked = mask(text)
    assert number.upper() not in _digits(masked).upper()
    assert number[6:14] not in masked  # the birth date never shows
    assert mask_id_number(number)[:6] == number[:6] and f"{number[:6]}********" in masked


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(mobiles, st.sampled_from(["{}", "{} {} {}", "{}-{}-{}", "+86{}", "+86 {} {} {}",
                                 "+86-{}-{}-{}", "0086 {}", "(+86){}", "86{}"]), _AROUND, _AFTER)
def test_a_mobile_number_is_masked_however_it_is_written(number: str, form: str, before: str,
                                                         after: str) -> None:
    parts = (number[:3], number[3:7], number[7:]) if form.count("{}") == 3 else (number,)
    masked = mask(f"{before}{form.format(*parts)}{after}")
    assert number not in _digits(masked)
    assert f"{number[:3]}****{number[-4:]}" in masked


landlines = st.tuples(st.sampled_from(["010", "021", "0510", "0551", "0991", "025"]),
                      st.from_regex(r"[2-8][0-9]{6,7}", fullmatch=True))


@given(landlines, st.sampled_from(["{a}-{n}", "{a} {n}", "({a}){n}", "{a}{n}", "+86 {e} {n}",
                                   "+86{e}{n}"]), _AROUND, _AFTER)
def test_a_landline_is_masked_however_it_is_written(number: tuple[str, str], form: str,
                                                    before: str, after: str) -> None:
    area, local = number
    text = f"{before}{form.format(a=area, e=area[1:], n=local)}{after}"
    masked = mask(text)
    assert local not in _digits(masked) and f"{local[:-4]}****" in masked.replace(" ", "")


@given(st.text(alphabet="abcdef0123456789", min_size=32, max_size=32))
def test_hex_ids_stay(hex_id: str) -> None:
    assert mask(f"application {hex_id} routed") == f"application {hex_id} routed"


@pytest.mark.parametrize("text", ["took 12.5s, 1000 of 1000", "2025-03-04T08:15:30Z",
                                  "seq 1234567890123456789", "ports 8000 8001 8002 8003 8004",
                                  "message 9f1c:submitted", "amount 1350.00 yuan"])
def test_what_is_not_personal_data_stays(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize(("value", "masked"), [
    ("32028119800101123X", "320281********123X"), ("3202 8119 8001 0112 3X", "320281********123X"),
    ("341321990412002", "341321*****2002"), ("", ""),
])
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("13912345678", "139****5678"), ("+8613912345678", "139****5678"),
    ("139 1234 5678", "139****5678"), ("0510-86881234", "0510-8688****"),
    ("+8651086881234", "0510-8688****"), ("010-65529988", "010-6552****"),
    ("+862165529988", "021-6552****"),
])
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@given(mobiles)
def test_a_masked_phone_still_passes_for_a_phone_on_the_wire(number: str) -> None:
    assert 5 <= len(mask_phone("+86" + number)) <= 20  # contracts.Applicant.phone


def test_names_given_are_masked_in_a_text_with_the_numbers() -> None:
    text = "【一门受理】王秀英您好：王秀您的电话 13912345678 已登记。"
    assert mask_text(text, ["王秀", "王秀英"]) == "【一门受理】王**您好：王*您的电话 139****5678 已登记。"
    assert mask_name(" 欧阳娜娜 ") == "欧***"
    assert logs.mask is mask and logs.mask_name is mask_name
