"""Every 422 the request schemas can produce reads wholly in Chinese: one bad value of each
kind in each field of each service's request bodies (and the query parameters of the lists),
and every ``reason_zh``, ``field_zh`` and ``message_zh`` holds no Latin letter.

Allowed, because they are codes, not words: ``X`` (the identity number's check digit letter,
printed on the card); a field the client invented keeps its own name in ``field_zh``.
"""

import copy
import random
import re
import typing
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel, ValidationError, create_model

from contracts import Department, Item
from services.common.errors import ApiError, field_errors, install_error_handlers
from services.common.guard import RequestGuard
from services.departments.domain import TaskStatus
from services.departments.schemas import (
    AcceptRequest,
    AwayRequest,
    BackRequest,
    DecisionRequest,
    MaterialsRequestBody,
    PaperworkRequest,
    ReturnRequest,
    ReviewRequest,
)
from services.intake.domain import ApplicationStatus
from services.intake.schemas import ApplicationCreate, HandoverRequest, MaterialsSupplement
from services.routing.jointmeeting.http import AssignRequest, ReferRequest
from services.routing.supervision.schemas import ExtensionCreate
from tests.support.factories import application

LATIN = re.compile(r"[A-Za-z]")
CODES = re.compile(r"(?<![A-Za-z])X(?![A-Za-z])")  # the check digit letter
MESSAGE_ZH = "提交的内容有误，请按提示逐项修改。"
INVENTED = "surprise"


def _application() -> dict[str, Any]:
    body = application(random.Random(11), ["dibao", "education_aid"])
    body["household"]["members"] = [{"name": "王小明", "relation": "子女", "student": True,
                                     "school": "县第一中学"}]
    body["on_behalf_of"] = {"name": "李协理", "role": "村协理员"}
    return body


# Every request body of every service, each valid, with every optional field present.
BODIES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (ApplicationCreate, _application()),
    (MaterialsSupplement, {"received_by": "w-01", "materials": ["income_proof"]}),
    (HandoverRequest, {"from_staff": "w-01", "to_staff": "w-02", "reason": "调岗"}),
    (AcceptRequest, {"by": "mz-01"}),
    (ReviewRequest, {"by": "mz-02", "opinion": "情况属实"}),
    (DecisionRequest, {"outcome": "approved", "reason": "", "amount": "600.00",
                       "decided_by": "mz-03", "paperwork_pending": False}),
    (ReturnRequest, {"by": "jy-01", "reason": "不属本部门", "suggested_department": "civil_affairs"}),
    (MaterialsRequestBody, {"by": "jy-01", "materials": ["income_proof"], "note": "请补"}),
    (PaperworkRequest, {"by": "mz-01"}),
    (AwayRequest, {"holder": "civil_dibao_a", "approved_by": "deputy_head", "reason": "病假",
                   "until": "2026-12-24T09:00:00+08:00"}),
    (BackRequest, {"holder": "civil_dibao_a"}),
    (ExtensionCreate, {"task_id": "t1", "extend_by": {"working_days": 5},
                       "approved_by": "center_director", "reason": "核对超过15日"}),
    (AssignRequest, {"department": "education", "by": "joint_meeting_office", "note": "议定"}),
    (ReferRequest, {"organisation": "慈善总会", "by": "joint_meeting_office", "note": "转介"}),
]

BAD_VALUES: list[Any] = [
    None, 12345, -1, 0, 10**15, 1.5, True, "", " ", "x" * 5000, "无效值", "carrier_pigeon",
    "-1", "1.234", "1e400", "2026-13-45", "2026-12-24T09:00:00", "王\u202e明", "王\u200b明",
    "说明\ud800", [], ["无效值"], ["carrier_pigeon"], [1, 2], ["a"] * 200, {}, {INVENTED: 1},
    "32028119800517123", "32028119800517123Y", "320281198005171231", "320281202912311230",
]


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally, or as a list), and whether in a list."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list and args:
        inner, _ = _submodel(args[0])
        return inner, True
    if len(args) == 1:
        return _submodel(args[0])
    return None, False


def _paths(model: type[BaseModel], body: dict[str, Any], at: tuple[Any, ...] = ()
           ) -> list[tuple[Any, ...]]:
    """Every field of ``model`` and of the models in it, as paths into ``body``."""
    out = []
    for name, info in model.model_fields.items():
        path = (*at, name)
        out.append(path)
        inner, in_list = _submodel(info.annotation)
        value = body.get(name)
        if inner and in_list and value:
            out += _paths(inner, value[0], (*path, 0))
        elif inner and isinstance(value, dict):
            out += _paths(inner, value, path)
        elif inner:  # an optional model left out: its fields from a blank
            out += _paths(inner, {}, path)
    return out


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    parent: Any = out
    for part in path[:-1]:
        if isinstance(parent, dict) and not isinstance(parent.get(part), dict | list):
            parent[part] = {}
        parent = parent[part]
    if value is _MISSING:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return out


_MISSING = object()


def _rows() -> list[tuple[str, dict[str, str]]]:
    """(what was sent, the field error) for every bad value in every field."""
    rows = []
    for schema, body in BODIES:
        for path in _paths(schema, body):
            for value in [*BAD_VALUES, _MISSING]:
                try:
                    schema.model_validate(_set(body, path, value))
                except ValidationError as exc:
                    sent = f"{schema.__name__} {'.'.join(map(str, path))}={value!r}"[:120]
                    rows += [(sent, row) for row in field_errors(list(exc.errors()))]
        for at in [(), *{p[:-1] for p in _paths(schema, body) if len(p) > 1}]:
            try:
                schema.model_validate(_set(body, (*at, INVENTED), 1))
            except ValidationError as exc:
                rows += [(f"{schema.__name__} invented field", r)
                         for r in field_errors(list(exc.errors()))]
            else:
                rows.append((f"{schema.__name__} invented field", {"accepted": ".".join(
                    map(str, (*at, INVENTED)))}))
    return rows


ROWS = _rows()


def _latin(text: str) -> list[str]:
    return LATIN.findall(CODES.sub("", text))


def test_the_walk_reaches_every_kind_of_error() -> None:
    kinds = {row["reason"].split(" ")[0] for _, row in ROWS}
    assert len(ROWS) > 1000 and len(kinds) > 10
    fields = {row["field"] for _, row in ROWS}
    assert {"applicant.id_number", "household.members.0.name", "on_behalf_of.role",
            "extend_by.hours", "suggested_department", "until", "amount"} <= fields


def test_every_reason_and_field_is_named_in_chinese() -> None:
    bad = []
    for sent, row in ROWS:
        assert set(row) == {"field", "reason", "reason_zh", "field_zh"}, row
        field_zh = row["field_zh"].replace(INVENTED, "")
        if _latin(row["reason_zh"]) or _latin(field_zh) or "{" in row["reason_zh"]:
            bad.append(f"{sent}: {row}")
    assert not bad, "\n".join(sorted(set(bad))[:40])


@pytest.mark.parametrize("field, names", [
    ("channel", ["窗口受理", "12345热线", "村（社区）协理员代办"]),
    ("household.residence", ["城镇", "农村"]),
    ("items.0", ["最低生活保障（低保）", "法律援助"]),
])
def test_allowed_values_are_named_in_chinese(field: str, names: list[str]) -> None:
    row = next(r for s, r in ROWS if r["field"] == field and "carrier_pigeon" in s)
    assert row["reason_zh"].startswith("不是可选值之一：")
    assert all(name in row["reason_zh"] for name in names)


def test_fields_are_named_in_chinese_with_their_positions() -> None:
    named = {r["field"]: r["field_zh"] for _, r in ROWS}
    assert named["applicant.id_number"] == "申请人.身份证号码"
    assert named["household.members.0.name"] == "家庭.家庭成员.0.姓名"
    assert named["extend_by.working_days"] == "延长期限.工作日数"
    one_unit = next(r for s, r in ROWS if r["field"] == "extend_by" and "working_days" in s)
    assert one_unit["reason_zh"] == "工作日数、天数、小时数须且只能填写一项"


def test_decisions_name_their_outcomes_in_chinese() -> None:
    with pytest.raises(ValidationError) as caught:
        DecisionRequest.model_validate({"outcome": "maybe", "decided_by": "mz-01"})
    (row,) = field_errors(list(caught.value.errors()))
    assert row["reason_zh"] == "不是可选值之一：批准、不予批准"
    assert row["field_zh"] == "办理结果"


# The query parameters of the lists (names and types as the routes declare them).
QUERIES = create_model(
    "Queries",
    status=(ApplicationStatus | None, None),
    task_status=(TaskStatus | None, None),
    case_status=(Literal["open", "resolved"], "open"),
    department=(Department | None, None),
    item=(Item | None, None),
    open=(bool | None, None),
    offset=(Annotated[int, Query(ge=0, le=1_000_000)], 0),
    limit=(Annotated[int, Query(ge=1, le=200)], 50),
    format=(Literal["json", "csv"], "json"),
    since=(date | None, None),
    until=(date | None, None),
)


@pytest.mark.parametrize("value", ["nonsense", "-5", "999999999", "2026-02-30", ""])
def test_query_parameters_are_named_in_chinese(value: str) -> None:
    data = {name: value for name in QUERIES.model_fields}
    with pytest.raises(ValidationError) as caught:
        QUERIES.model_validate(data)
    errors = [e | {"loc": ("query", {"task_status": "status", "case_status": "status"}
                                    .get(e["loc"][0], e["loc"][0]), *e["loc"][1:])}
              for e in caught.value.errors()]
    for row in field_errors(errors):
        assert not _latin(row["reason_zh"]) and not _latin(row["field_zh"]), row


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestGuard)
    install_error_handlers(app)

    @app.post("/handover")
    async def handover() -> None:
        raise ApiError(422, "validation_failed", "The request has invalid fields.", MESSAGE_ZH,
                       [{"field": "to_staff", "reason": "already the owner",
                         "reason_zh": "接收人已是首问责任人"}])

    @app.post("/echo")
    async def echo(body: AcceptRequest) -> None:
        return None

    return app


async def test_the_error_bodies_of_handlers_and_the_guard_are_chinese_too() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        handler = (await client.post("/handover")).json()["error"]
        assert handler["fields"][0]["field_zh"] == "接收人"
        nul = (await client.post("/echo", content=b'{"by": "a\\u0000"}')).json()["error"]
        large = (await client.post("/echo", content=b" " * (300 * 1024))).json()["error"]
        broken = (await client.post("/echo", content=b'{"by": ')).json()["error"]
    for error in (handler, nul, large, broken):
        assert not _latin(error["message_zh"]), error
        for field in error["fields"]:
            assert not _latin(field["reason_zh"]) and not _latin(field["field_zh"]), field


def test_status_enums_have_chinese_names() -> None:
    from services.common.glossary import VALUE_NAMES

    for enum in (ApplicationStatus, TaskStatus):
        assert issubclass(enum, StrEnum)
        assert all(s in VALUE_NAMES["status"] for s in enum)
