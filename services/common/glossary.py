"""Error texts in Chinese: the reason for each kind of invalid value, and the Chinese names of
request fields and of their allowed values — ``applicant.id_number`` is shown as
``申请人.身份证号码`` (list positions kept), "not one of 'urban', 'rural'" as
"不是可选值之一：城镇、农村".

One glossary for every service: a field name means the same wherever it appears. A name not
listed here is shown as sent (e.g. a field the client made up).
"""

import re
from collections.abc import Iterable, Mapping

from contracts import CHANNEL_NAMES, DEPARTMENT_NAMES, ITEM_NAMES
from services.common.text import STAFF_ID_PATTERN

FIELD_NAMES: dict[str, str] = {
    # an application
    "channel": "受理渠道",
    "received_by": "受理人",
    "applicant": "申请人",
    "name": "姓名",
    "id_number": "身份证号码",
    "phone": "联系电话",
    "address": "住址",
    "village": "村（社区）",
    "household": "家庭",
    "size": "家庭人口数",
    "residence": "城乡类别",
    "monthly_income_per_capita": "家庭月人均收入",
    "members": "家庭成员",
    "relation": "与申请人关系",
    "student": "是否在校学生",
    "school": "就读学校",
    "items": "救助事项",
    "item": "救助事项",
    "materials": "材料",
    "description": "情况说明",
    "on_behalf_of": "代办人",
    "role": "代办身份",
    # the window's other requests
    "from_staff": "移交人",
    "to_staff": "接收人",
    "reason": "理由",
    "owner": "首问责任人",
    "receipt_no": "回执编号",
    # a department's requests
    "by": "经办人",
    "opinion": "初审意见",
    "outcome": "办理结果",
    "amount": "救助金额",
    "decided_by": "决定人",
    "paperwork_pending": "先行救助、后补手续",
    "suggested_department": "建议承办部门",
    "note": "备注",
    "holder": "岗位人员",
    "approved_by": "批准人",
    "until": "截止时间",
    "since": "起始日期",
    "assignee": "当前经办人",
    "open": "是否未办结",
    # supervision and the joint meeting
    "task_id": "任务编号",
    "application_id": "申请编号",
    "case_id": "联席会议事项编号",
    "extend_by": "延长期限",
    "working_days": "工作日数",
    "days": "天数",
    "hours": "小时数",
    "department": "部门",
    "organisation": "转介机构",
    "post": "岗位",
    # lists, periods, requests
    "status": "状态",
    "stage": "阶段",
    "offset": "起始位置",
    "limit": "每页条数",
    "from": "起始日期",
    "to": "截止日期",
    "format": "导出格式",
    "received_at": "受理时间",
    "header": "请求头",
    "idempotency-key": "幂等键",
    "(body)": "（请求内容）",
    "(request)": "（请求）",
}

_STATUSES = {
    # an application (intake)
    "awaiting_materials": "待补材料", "received": "材料齐全待分办", "in_progress": "办理中",
    "completed": "已办结", "refused": "不予受理",
    # a task (departments)
    "assigned": "已分派", "accepted": "已受理", "returned": "已退回", "decided": "已作出决定",
    # a joint-meeting case
    "open": "待处理", "resolved": "已处理",
}

# Allowed values by the field that takes them (the same code may mean different things:
# "window" is a channel, a department and a level).
VALUE_NAMES: dict[str, Mapping[str, str]] = {
    "channel": CHANNEL_NAMES,
    "items": ITEM_NAMES,
    "item": ITEM_NAMES,
    "department": DEPARTMENT_NAMES,
    "suggested_department": DEPARTMENT_NAMES,
    "residence": {"urban": "城镇", "rural": "农村"},
    "outcome": {"approved": "批准", "rejected": "不予批准"},
    "status": _STATUSES,
    "stage": {"decide": "办结", "transfer": "转办", "accept": "接收", "assign": "指派",
              "paperwork": "补齐手续"},
    "format": {"json": "结构化数据", "csv": "表格文件"},
}

# Chinese reasons for pydantic's error types (custom validators carry their own, "zh" in ctx);
# ``{expected}`` is filled with the Chinese names of the allowed values.
REASONS_ZH: dict[str, str] = {
    "missing": "必填项缺失",
    "string_too_short": "内容过短（至少 {min_length} 个字符）",
    "string_too_long": "内容过长（最多 {max_length} 个字符）",
    "string_type": "应为文本",
    "string_unicode": "应为有效文本",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "小数最多 {decimal_places} 位",
    "decimal_max_digits": "数字位数过多（最多 {max_digits} 位）",
    "decimal_whole_digits": "整数部分位数过多",
    "enum": "不是可选值之一：{expected}",
    "literal_error": "不是可选值之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "请求内容格式错误，无法解析",
    "json_type": "请求内容格式错误，无法解析",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "bool_parsing": "应为真或假",
    "bool_type": "应为真或假",
    "date_parsing": "日期格式不正确",
    "date_type": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "datetime_parsing": "日期时间格式不正确",
    "datetime_type": "日期时间格式不正确",
    "datetime_from_date_parsing": "日期时间格式不正确",
    "timezone_aware": "日期时间须带时区",
    "value_error": "取值无效",
}

# What a pattern a field must match means, instead of "格式不正确".
PATTERN_TEXTS: dict[str, str] = {
    STAFF_ID_PATTERN: "工号只能由字母、数字和 _ . @ - 组成",
}

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def field_zh(field: str) -> str:
    """``applicant.id_number`` → ``申请人.身份证号码``; positions and unknown names kept."""
    if field in FIELD_NAMES:
        return FIELD_NAMES[field]
    return ".".join(FIELD_NAMES.get(part, part) for part in field.split("."))


def values_zh(field: str, values: Iterable[str]) -> str:
    """Allowed values named in Chinese, for the (last named part of the) field taking them."""
    names = VALUE_NAMES.get(_last_name(field), {})
    return "、".join(names.get(v, _any_name(v)) for v in values)


def expected_zh(field: str, expected: str) -> str:
    """Pydantic's ``expected`` ("'urban' or 'rural'") in Chinese."""
    return values_zh(field, _QUOTED.findall(expected))


def _last_name(field: str) -> str:
    return next((p for p in reversed(field.split(".")) if not p.isdigit()), field)


def _any_name(value: str) -> str:
    for names in VALUE_NAMES.values():
        if value in names:
            return names[value]
    return value
