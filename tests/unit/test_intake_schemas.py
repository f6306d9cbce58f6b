"""Intake's request schema, validated with no HTTP, and the bilingual field errors."""

import copy
import random
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import Item
from services.common.errors import field_errors
from services.common.idnumber import check_digit
from services.intake.schemas import ApplicationCreate
from services.launcher.demo import sample_application

CJK = range(0x4E00, 0x9FFF + 1)


def items(rng: random.Random) -> list[str]:
    return [str(i) for i in rng.sample(list(Item), rng.randint(1, 5))]


def body(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    return sample_application(rng, items(rng))


def wrong_check_digit(id_number: str) -> str:
    right = check_digit(id_number[:17])
    wrong = next(c for c in "0123456789X" if c != right)
    return id_number[:17] + wrong


def locations(exc: ValidationError) -> set[tuple[Any, ...]]:
    return {tuple(e["loc"]) for e in exc.errors()}


def has_chinese(text: str) -> bool:
    return any(ord(ch) in CJK for ch in text)


@pytest.mark.parametrize("seed", range(100))
def test_sample_applications_are_valid(seed: int) -> None:
    data = body(seed)
    app = ApplicationCreate.model_validate(data)
    assert [str(i) for i in app.items] == data["items"]
    assert app.applicant.phone.startswith("+86")


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("bad_items", [[], ["free_lunch"], ["dibao", "free_lunch"]])
def test_all_errors_are_reported_at_once(seed: int, bad_items: list[str]) -> None:
    data = body(seed)
    data["applicant"]["id_number"] = wrong_check_digit(data["applicant"]["id_number"])
    data["applicant"]["phone"] = random.Random(seed).choice(["12345", "abc", "1380013800"])
    data["household"]["size"] = 0
    data["items"] = bad_items
    with pytest.raises(ValidationError) as exc:
        ApplicationCreate.model_validate(data)
    fields = {loc[:2] if loc[0] != "items" else ("items",) for loc in locations(exc.value)}
    assert fields == {("applicant", "id_number"), ("applicant", "phone"),
                      ("household", "size"), ("items",)}


@pytest.mark.parametrize("seed", range(10))
def test_repeated_items_are_refused(seed: int) -> None:
    rng = random.Random(seed)
    data = body(seed)
    data["items"] = [*data["items"], rng.choice(data["items"])]
    rng.shuffle(data["items"])
    with pytest.raises(ValidationError) as exc:
        ApplicationCreate.model_validate(data)
    (error,) = exc.value.errors()
    assert error["loc"] == ("items",)
    assert error["type"] == "items_repeated"


@pytest.mark.parametrize("seed", range(10))
def test_identity_number_errors_carry_a_chinese_message(seed: int) -> None:
    data = body(seed)
    good = data["applicant"]["id_number"]
    bad_date = good[:10] + "1332" + good[14:17]  # month 13
    for bad in (wrong_check_digit(good), bad_date + check_digit(bad_date)):
        broken = copy.deepcopy(data)
        broken["applicant"]["id_number"] = bad
        with pytest.raises(ValidationError) as exc:
            ApplicationCreate.model_validate(broken)
        (error,) = exc.value.errors()
        assert error["loc"] == ("applicant", "id_number")
        assert error["type"] in {"id_number_checksum", "id_number_birth_date"}
        assert has_chinese(error["ctx"]["zh"])
        assert "身份证" in error["ctx"]["zh"]


def test_wrong_check_digit_is_told_apart_from_an_invalid_number() -> None:
    data = body(3)
    data["applicant"]["id_number"] = wrong_check_digit(data["applicant"]["id_number"])
    with pytest.raises(ValidationError) as exc:
        ApplicationCreate.model_validate(data)
    assert exc.value.errors()[0]["type"] == "id_number_checksum"


def test_unknown_fields_are_refused() -> None:
    data = body(4)
    data["applicant"]["nickname"] = "小王"
    data["priority"] = "high"
    with pytest.raises(ValidationError) as exc:
        ApplicationCreate.model_validate(data)
    assert locations(exc.value) == {("applicant", "nickname"), ("priority",)}


@pytest.mark.parametrize("seed", range(10))
def test_field_errors_give_field_and_both_reasons_for_every_error(seed: int) -> None:
    rng = random.Random(seed)
    data = body(seed)
    data["applicant"]["id_number"] = wrong_check_digit(data["applicant"]["id_number"])
    data["applicant"]["phone"] = "12345"
    data["applicant"]["name"] = ""
    data["household"]["size"] = rng.choice([0, 31, "many"])
    data["household"]["residence"] = "suburban"
    data["items"] = rng.choice([[], ["free_lunch"]])
    data["channel"] = "carrier_pigeon"
    data["received_by"] = "窗口 1"
    data["materials"] = ["id card!"]
    data["surprise"] = True
    with pytest.raises(ValidationError) as exc:
        ApplicationCreate.model_validate(data)
    errors = exc.value.errors()
    out = field_errors(list(errors))
    assert len(out) == len(errors) >= 10
    for row in out:
        assert set(row) == {"field", "reason", "reason_zh", "field_zh"}
        assert row["field"] and row["reason"]
        assert has_chinese(row["reason_zh"]), row
        assert "{" not in row["reason_zh"], row
    fields = {row["field"] for row in out}
    assert {"applicant.id_number", "applicant.phone", "applicant.name", "household.size",
            "household.residence", "channel", "received_by", "materials", "surprise"} <= fields


def test_field_errors_drop_the_request_part_prefix() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "applicant", "name"), "msg": "Field required"},
        {"type": "greater_than_equal", "loc": ("query", "limit"), "msg": "too small",
         "ctx": {"ge": 1}},
        {"type": "json_invalid", "loc": ("body",), "msg": "bad json"},
        {"type": "something_new", "loc": ("path", "id"), "msg": "odd"},
    ]
    out = field_errors(errors)
    assert [r["field"] for r in out] == ["applicant.name", "limit", "(body)", "id"]
    assert out[1]["reason_zh"] == "不能小于 1"
    assert all(has_chinese(r["reason_zh"]) for r in out)


@pytest.mark.parametrize("phone", ["+1 202 555 0123", "+44 20 7946 0958", "12345"])
def test_only_chinese_phone_numbers_are_accepted(phone: str) -> None:
    data = body(7)
    data["applicant"]["phone"] = phone
    with pytest.raises(ValidationError) as caught:
        ApplicationCreate.model_validate(data)
    assert ("applicant", "phone") in locations(caught.value)


@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "010-6552 9988"])
def test_chinese_mobile_and_landline_numbers_are_kept_in_e164(phone: str) -> None:
    data = body(8)
    data["applicant"]["phone"] = phone
    assert ApplicationCreate.model_validate(data).applicant.phone.startswith("+86")


@pytest.mark.parametrize("code", ["身份证", "²", "id card", "a" * 51, ""])
def test_material_codes_are_ascii_letters_digits_and_underscores(code: str) -> None:
    data = body(9)
    data["materials"] = ["id_card", code]
    with pytest.raises(ValidationError) as caught:
        ApplicationCreate.model_validate(data)
    assert ("materials",) in locations(caught.value)
