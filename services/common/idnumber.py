"""Resident identity numbers (GB 11643-1999): 6-digit area code, birth date, sequence, check
digit — one check for every place that takes one.

python-stdnum's ``cn.ric.validate`` also requires the area code to have been in use on the
birth date. That refuses real people: a number keeps its code when the county is renamed or
upgraded, so someone born in 1980 may hold 320281 (江阴市, a code from 1989). Here the area
only has to be in the national code list at *any* date (python-stdnum's own list, with the
years of each code).
"""

from datetime import date

EARLIEST_BIRTH_YEAR = 1900
_CHECK_CHARS = "0123456789X"


class InvalidIdNumber(ValueError):
    """Why a number is not a resident identity number, in English and Chinese."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code, self.message, self.message_zh = code, message, message_zh


def check_digit(first17: str) -> str:
    """The check digit (0-9 or X) of the first 17 digits."""
    # python-stdnum at the first number checked (it brings pydoc): not resident in every start.
    from stdnum.cn import ric

    return ric.calc_check_digit(first17[:17] + "0")  # it expects a placeholder check digit


def area_name(code: str) -> str | None:
    """The county of a 6-digit area code, under any of its names over the years; None if the
    national list never had it."""
    from stdnum import numdb

    counties = [props["county"] for _, props in numdb.get("cn/loc").info(code)
                if props.get("county")]
    if not counties:
        return None
    # e.g. "[-1998]砀山县" or "[1983-]肥西县,[-1983]..." (the years it was used)
    return "、".join(dict.fromkeys(n.split("]")[-1] for n in counties[-1].split(",")))


def check_resident_id(value: str, today: date) -> str:
    """The number (a final x upper-cased), or :class:`InvalidIdNumber` naming the first problem:
    its shape, the check digit, the birth date (real, from 1900, not after ``today``), the
    area code (in the national list at any date)."""
    number = value.strip().upper()
    if (len(number) != 18 or not all("0" <= c <= "9" for c in number[:17])
            or number[17] not in _CHECK_CHARS):
        raise InvalidIdNumber(
            "id_number_format", "18 characters: 17 digits, then a digit or X",
            "身份证号码应为18位：前17位是数字，最后一位是数字或X")
    if check_digit(number) != number[17]:
        raise InvalidIdNumber("id_number_checksum", "identity number check digit is wrong",
                              "身份证号码校验位错误，请核对")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(
            "id_number_birth_date", "the birth date (digits 7-14) is not a real date",
            "身份证号码中的出生日期（第7至14位）不是有效日期") from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(
            "id_number_birth_year", f"the birth year is before {EARLIEST_BIRTH_YEAR}",
            f"身份证号码中的出生年份早于{EARLIEST_BIRTH_YEAR}年")
    if born > today:
        raise InvalidIdNumber("id_number_birth_future", "the birth date is in the future",
                              "身份证号码中的出生日期晚于今天")
    if area_name(number[:6]) is None:
        raise InvalidIdNumber(
            "id_number_area", "the area code (first 6 digits) is not in the national code list",
            "身份证号码的地址码（前6位）不在国家行政区划代码中")
    return number
