"""Names and free texts in every service's request bodies: an invisible character in a name is
refused (field and reason in both languages); a free text loses its control characters,
keeps its lines where it has several, and refuses direction overrides."""

import copy
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from services.common.errors import field_errors
from services.departments.schemas import (
    AcceptRequest,
    AwayRequest,
    DecisionRequest,
    MaterialsRequestBody,
    ReturnRequest,
    ReviewRequest,
)
from services.intake.schemas import ApplicationCreate, HandoverRequest
from services.routing.jointmeeting.http import AssignRequest, ReferRequest
from services.routing.supervision.schemas import ExtensionCreate
from tests.support.factories import application

PROPERTY = settings(max_examples=200, deadline=None, database=None)
CJK = range(0x4E00, 0x9FFF + 1)


def _application() -> dict[str, Any]:
    body = application(random.Random(5), ["dibao"])
    body["household"]["members"] = [{"name": "王小明", "relation": "子女", "student": True,
                                     "school": "县第一中学"}]
    body["on_behalf_of"] = {"name": "李协理", "role": "村协理员"}
    return body


# (schema, a valid body, where in it) for every name a person reads.
NAMES: list[tuple[type[BaseModel], dict[str, Any], tuple[Any, ...]]] = [
    (ApplicationCreate, _application(), ("applicant", "name")),
    (ApplicationCreate, _application(), ("household", "members", 0, "name")),
    (ApplicationCreate, _application(), ("on_behalf_of", "name")),
    (ApplicationCreate, _application(), ("on_behalf_of", "role")),
    (ExtensionCreate, {"task_id": "t1", "extend_by": {"working_days": 5},
                       "approved_by": "center_director", "reason": "核对超过15日"},
     ("approved_by",)),
    (AssignRequest, {"department": "education", "by": "joint_meeting_office"}, ("by",)),
    (ReferRequest, {"organisation": "慈善总会", "by": "joint_meeting_office"}, ("by",)),
]
# Staff ids (letters, digits, _ . @ -): refused as well.
STAFF_IDS = [
    (ApplicationCreate, _application(), ("received_by",)),
    (HandoverRequest, {"from_staff": "w-01", "to_staff": "w-02", "reason": "调岗"}, ("to_staff",)),
    (AcceptRequest, {"by": "mz-01"}, ("by",)),
    (DecisionRequest, {"outcome": "rejected", "reason": "收入超标", "decided_by": "mz-01"},
     ("decided_by",)),
    (AwayRequest, {"holder": "civil_dibao_a", "approved_by": "deputy_head", "reason": "病假"},
     ("holder",)),
]
# (schema, body, where, several lines?) for every free text.
TEXTS: list[tuple[type[BaseModel], dict[str, Any], tuple[Any, ...], bool]] = [
    (ApplicationCreate, _application(), ("description",), True),
    (ApplicationCreate, _application(), ("applicant", "address"), False),
    (ApplicationCreate, _application(), ("applicant", "village"), False),
    (ApplicationCreate, _application(), ("household", "members", 0, "relation"), False),
    (ApplicationCreate, _application(), ("household", "members", 0, "school"), False),
    (HandoverRequest, {"from_staff": "w-01", "to_staff": "w-02", "reason": "调岗"}, ("reason",),
     True),
    (ReviewRequest, {"by": "mz-02", "opinion": "情况属实"}, ("opinion",), True),
    (DecisionRequest, {"outcome": "rejected", "reason": "收入超标", "decided_by": "mz-01"},
     ("reason",), True),
    (ReturnRequest, {"by": "jy-01", "reason": "不属本部门"}, ("reason",), True),
    (MaterialsRequestBody, {"by": "jy-01", "materials": ["income_proof"], "note": "请补"},
     ("note",), True),
    (AwayRequest, {"holder": "civil_dibao_a", "approved_by": "deputy_head", "reason": "病假"},
     ("reason",), True),
    (ExtensionCreate, {"task_id": "t1", "extend_by": {"working_days": 5},
                       "approved_by": "center_director", "reason": "核对超过15日"},
     ("reason",), True),
    (AssignRequest, {"department": "education", "by": "joint_meeting_office", "note": "议定"},
     ("note",), True),
    (ReferRequest, {"organisation": "慈善总会", "by": "joint_meeting_office", "note": "转介"},
     ("note",), True),
    (ReferRequest, {"organisation": "慈善总会", "by": "joint_meeting_office"}, ("organisation",),
     False),
]

CONTROLS = [*map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x80, 0xA0))]
ZERO_WIDTH = [*map(chr, range(0x200B, 0x2010)), "\ufeff", "\u2060", "\u00ad", "\u061c"]
OVERRIDES = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
INVISIBLE = [c for c in CONTROLS if c != "\x00"] + ZERO_WIDTH + OVERRIDES + ["\u2028", "\u2029"]
# Kept in free texts: these only ever drop out.
DROPPED = [c for c in CONTROLS if c not in "\x00\t\n\r\x85"] + ZERO_WIDTH


def _get(body: Any, where: tuple[Any, ...]) -> Any:
    for part in where:
        body = body[part]
    return body


def _with(body: dict[str, Any], where: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    parent = _get(out, where[:-1])
    parent[where[-1]] = value
    return out


def _insert(text: str, ch: str, at: int) -> str:
    at %= len(text) + 1
    return text[:at] + ch + text[at:]


def _refused(schema: type[BaseModel], body: dict[str, Any], where: tuple[Any, ...]
             ) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        schema.model_validate(body)
    rows = field_errors(list(caught.value.errors()))
    assert [r["field"] for r in rows] == [".".join(map(str, where))]
    return rows[0]


@PROPERTY
@given(case=st.sampled_from(NAMES + STAFF_IDS), ch=st.sampled_from(INVISIBLE),
       at=st.integers(0, 60))
def test_a_name_with_an_invisible_character_is_refused(
        case: tuple[type[BaseModel], dict[str, Any], tuple[Any, ...]], ch: str, at: int) -> None:
    schema, body, where = case
    name = _get(body, where)
    inside = 1 + at % (len(name) - 1)  # between two characters: the ends are trimmed
    row = _refused(schema, _with(body, where, _insert(name, ch, inside)), where)
    assert row["reason"] and any(ord(c) in CJK for c in row["reason_zh"])


@pytest.mark.parametrize("schema, body, where", NAMES + STAFF_IDS)
def test_white_space_around_a_name_is_trimmed(schema: type[BaseModel], body: dict[str, Any],
                                              where: tuple[Any, ...]) -> None:
    name = _get(body, where)
    model = schema.model_validate(_with(body, where, f"\t {name}\r\n"))
    assert _get(model.model_dump(), where) == name


@pytest.mark.parametrize("schema, body, where", NAMES)
def test_names_say_which_character_and_why(schema: type[BaseModel], body: dict[str, Any],
                                           where: tuple[Any, ...]) -> None:
    row = _refused(schema, _with(body, where, "王\u202e明"), where)
    assert "U+202E" in row["reason"] and "第2个字符" in row["reason_zh"]
    assert "方向" in row["reason_zh"]
    row = _refused(schema, _with(body, where, "王\u200b明"), where)
    assert "U+200B" in row["reason"] and "不可见" in row["reason_zh"]


@pytest.mark.parametrize("schema, body, where", [(s, b, w) for s, b, w in NAMES])
def test_ordinary_names_are_kept(schema: type[BaseModel], body: dict[str, Any],
                                 where: tuple[Any, ...]) -> None:
    for name in ["欧阳娜娜", "阿卜杜拉·买买提", "Anna Müller", "王𠀀", "李\U000f0001"]:
        model = schema.model_validate(_with(body, where, f" {name} "))
        assert _get(model.model_dump(), where) == name


@PROPERTY
@given(case=st.sampled_from(TEXTS), chars=st.lists(st.sampled_from(DROPPED), min_size=1,
                                                   max_size=5),
       at=st.lists(st.integers(0, 60), min_size=5, max_size=5))
def test_control_characters_drop_out_of_free_texts(
        case: tuple[type[BaseModel], dict[str, Any], tuple[Any, ...], bool], chars: list[str],
        at: list[int]) -> None:
    schema, body, where, _ = case
    original = _get(body, where)
    text = original
    for ch, n in zip(chars, at, strict=False):
        text = _insert(text, ch, n)
    model = schema.model_validate(_with(body, where, text))
    assert _get(model.model_dump(), where) == original


@pytest.mark.parametrize("schema, body, where, multiline", TEXTS)
def test_line_breaks_stay_in_multi_line_texts_only(
        schema: type[BaseModel], body: dict[str, Any], where: tuple[Any, ...],
        multiline: bool) -> None:
    text = "\r=A(1)\r\n一\r二\u2028三\t完\r\n"
    kept = _get(schema.model_validate(_with(body, where, text)).model_dump(), where)
    if multiline:
        assert kept == "=A(1)\n一\n二\n三\t完"
    else:
        assert kept == "=A(1) 一 二 三 完"
    assert "\r" not in kept  # no carriage return left to hide a formula behind


@PROPERTY
@given(case=st.sampled_from(TEXTS), ch=st.sampled_from(OVERRIDES), at=st.integers(0, 60))
def test_direction_overrides_in_free_texts_are_refused(
        case: tuple[type[BaseModel], dict[str, Any], tuple[Any, ...], bool], ch: str,
        at: int) -> None:
    schema, body, where, _ = case
    row = _refused(schema, _with(body, where, _insert(_get(body, where), ch, at)), where)
    assert f"U+{ord(ch):04X}" in row["reason"] and "方向" in row["reason_zh"]


@pytest.mark.parametrize("schema, body, where, multiline", TEXTS)
def test_a_broken_character_in_a_free_text_is_refused(
        schema: type[BaseModel], body: dict[str, Any], where: tuple[Any, ...],
        multiline: bool) -> None:
    row = _refused(schema, _with(body, where, "说明\ud800"), where)
    assert "有效字符" in row["reason_zh"]


def test_a_required_text_of_control_characters_only_is_refused() -> None:
    body = {"by": "jy-01", "reason": "\x01\u200b\x7f"}
    _refused(ReturnRequest, body, ("reason",))
