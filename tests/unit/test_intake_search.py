"""What a search value is compared with: receipt numbers and ids never taken for each other,
identity numbers compared as stored."""

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.intake import domain, search


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 30)))
def test_every_receipt_number_is_read_as_one_and_no_id_is(moment: datetime) -> None:
    receipt = domain.receipt_no(moment.replace(tzinfo=UTC))
    assert search.as_receipt_no(receipt) == receipt
    assert search.as_receipt_no(f" {receipt.lower()} ") == receipt
    assert search.as_receipt_no(uuid.uuid4().hex) is None


def test_a_receipt_number_has_no_letter_that_reads_as_a_digit() -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=1)
    for wrong in ("YD20261201-ABC0EF", "YD20261201-ABCOEF", "YD20261201-ABC1EF",
                  "YD20261201-ABCIEF", "YD2026121-ABCDEF", "XD20261201-ABCDEF"):
        assert search.as_receipt_no(wrong) is None, wrong
    assert search.as_receipt_no(domain.receipt_no(day)) is not None


def test_an_identity_number_is_compared_upper_case_and_stripped() -> None:
    assert search.normalise_id_number(" 34132119990412002x\t") == "34132119990412002X"
    assert search.normalise_id_number("341321199904120020") == "341321199904120020"


@given(st.text(alphabet="王秀英李建国张欧阳娜 \u3000\tAaBb", min_size=1, max_size=8))
def test_a_name_is_compared_whatever_its_blanks_width_and_case(name: str) -> None:
    """What the keyed hash of a name is made from: the same for the ways one name is typed."""
    normal = search.normalise_name(name)
    assert search.normalise_name(f"  {name.upper()} ") == search.normalise_name(name.lower()) \
        == normal
    assert search.normalise_name(name.replace("A", "Ａ")) == normal  # full-width
    assert not any(c.isspace() for c in normal)
