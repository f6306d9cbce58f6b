"""Resident identity numbers at the window: any area code the national list ever had, with any
real birth date, is accepted; each kind of bad number is refused with its own reason."""

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.common.errors import field_errors
from services.common.idnumber import check_digit
from services.common.workdays import SHANGHAI
from services.intake.schemas import ApplicationCreate
from tests.support.factories import Area, application, area_codes, identity_number

PROPERTY = settings(max_examples=300, deadline=None, database=None)
AREAS = area_codes()
DATED = [a for a in AREAS if a.start or a.end]
KNOWN = {a.code for a in AREAS}
TODAY = datetime.now(SHANGHAI).date()
BODY = application(random.Random(8), ["temporary_aid"])


def validate(id_number: str) -> Any:
    body = BODY | {"applicant": BODY["applicant"] | {"id_number": id_number}}
    return ApplicationCreate.model_validate(body)


def refusal(id_number: str) -> dict[str, str]:
    """The one field error a bad number gets, as the API shows it, plus its type."""
    with pytest.raises(ValidationError) as caught:
        validate(id_number)
    (error,) = caught.value.errors()
    assert error["loc"] == ("applicant", "id_number")
    (row,) = field_errors([error])
    return row | {"type": error["type"]}


def births(low: date = date(1900, 1, 1), high: date = TODAY) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high)


@pytest.mark.parametrize("area, born", [
    ("320281", date(1980, 5, 17)),  # 江阴市: code from 1989
    ("341321", date(1990, 2, 1)),  # 砀山县: code from 1998 (342221 before)
    ("340123", date(1980, 11, 30)),  # 肥西县: code from 1983
    ("342221", date(2005, 3, 9)),  # 砀山县's old code, issued before 1998 and kept
    ("810000", date(1960, 7, 1)),  # Hong Kong: code from 1997
])
def test_the_residents_stdnum_refused_are_accepted(area: str, born: date) -> None:
    number = identity_number(area, born, 123)
    assert validate(number).applicant.id_number == number


@PROPERTY
@given(area=st.sampled_from(DATED), born=births(), sequence=st.integers(0, 999))
def test_any_listed_area_code_with_any_real_birth_date_is_accepted(
        area: Area, born: date, sequence: int) -> None:
    """Codes retired before, or created after, the birth date included."""
    number = identity_number(area.code, born, sequence)
    assert validate(number).applicant.id_number == number


@PROPERTY
@given(area=st.sampled_from([a for a in DATED if a.start and a.start > 1901]), data=st.data())
def test_a_birth_date_before_the_code_existed_is_accepted(area: Area, data: Any) -> None:
    assert area.start is not None
    born = data.draw(births(high=date(area.start - 1, 12, 31)))
    validate(identity_number(area.code, born, data.draw(st.integers(0, 999))))


@PROPERTY
@given(area=st.sampled_from([a for a in DATED if a.end and a.end < TODAY.year - 1]),
       data=st.data())
def test_a_birth_date_after_the_code_was_retired_is_accepted(area: Area, data: Any) -> None:
    assert area.end is not None
    born = data.draw(births(low=date(area.end + 1, 1, 1)))
    validate(identity_number(area.code, born, data.draw(st.integers(0, 999))))


@PROPERTY
@given(area=st.sampled_from(AREAS), born=births(), sequence=st.integers(0, 999),
       wrong=st.sampled_from("0123456789X"))
def test_a_wrong_check_digit_is_refused(area: Area, born: date, sequence: int,
                                        wrong: str) -> None:
    number = identity_number(area.code, born, sequence)
    if wrong == number[-1]:
        return
    row = refusal(number[:17] + wrong)
    assert row["type"] == "id_number_checksum" and "校验位" in row["reason_zh"]


@pytest.mark.parametrize("digits", ["19800230", "19810229", "20230431", "19801301", "19800000",
                                    "19800100"])
def test_an_impossible_birth_date_is_refused(digits: str) -> None:
    body = f"320281{digits}123"
    row = refusal(body + check_digit(body))
    assert row["type"] == "id_number_birth_date"
    assert "出生日期" in row["reason_zh"] and "birth date" in row["reason"]


@PROPERTY
@given(area=st.sampled_from(AREAS), days=st.integers(1, 3650))
def test_a_birth_date_in_the_future_is_refused(area: Area, days: int) -> None:
    row = refusal(identity_number(area.code, TODAY + timedelta(days=days), 1))
    assert row["type"] == "id_number_birth_future" and "晚于今天" in row["reason_zh"]


@PROPERTY
@given(area=st.sampled_from(AREAS), born=births(date(1800, 1, 1), date(1899, 12, 31)))
def test_a_birth_year_before_1900_is_refused(area: Area, born: date) -> None:
    row = refusal(identity_number(area.code, born, 1))
    assert row["type"] == "id_number_birth_year" and "1900" in row["reason_zh"]


@PROPERTY
@given(area=st.from_regex(r"[0-9]{6}", fullmatch=True).filter(lambda c: c not in KNOWN),
       born=births())
def test_an_area_code_never_in_the_list_is_refused(area: str, born: date) -> None:
    row = refusal(identity_number(area, born, 1))
    assert row["type"] == "id_number_area" and "地址码" in row["reason_zh"]


@pytest.mark.parametrize("bad", ["32028119800517123", "3202811980051712345", "32028119800517A23X",
                                 "3202811980O517123X", "３２０２８１１９８００５１７１２３X"])
def test_a_number_of_the_wrong_shape_is_refused(bad: str) -> None:
    row = refusal(bad)
    assert row["type"] in {"id_number_format", "string_too_short", "string_too_long"}


def test_each_refusal_has_its_own_reason() -> None:
    good = identity_number("320281", date(1980, 5, 17), 123)

    def numbered(body: str) -> str:
        return body + check_digit(body)

    rows = [refusal(good[:17] + ("0" if good[-1] != "0" else "1")),
            refusal(numbered("32028119800230123")),
            refusal(identity_number("320281", TODAY + timedelta(days=1), 123)),
            refusal(identity_number("320281", date(1899, 12, 31), 123)),
            refusal(identity_number("329999", date(1980, 5, 17), 123)),
            refusal("32028119800517123Y")]
    assert len({r["type"] for r in rows}) == len({r["reason"] for r in rows}) == len(
        {r["reason_zh"] for r in rows}) == len(rows)


def test_a_lower_case_x_is_read_as_x() -> None:
    for n in range(1000):
        number = identity_number("320281", date(1980, 5, 17), n)
        if number.endswith("X"):
            assert validate(number.lower()).applicant.id_number == number
            return
    raise AssertionError("no number with check digit X")
