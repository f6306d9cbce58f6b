"""Realistic request bodies for intake's OpenAPI document (what ``/docs`` offers to try):
Chinese names, valid identity and phone numbers, item and material codes of the default
region. Each is checked against its model, and the applications are posted, by the tests."""

from typing import Any

# 安徽省砀山县 (341321), born 1999-04-12, check digit 0; 139 is a mobile prefix.
_APPLICANT = {"name": "王秀英", "id_number": "341321199904120020", "phone": "13912345678",
              "address": "东风村三组12号", "village": "东风村"}

APPLICATION: dict[str, Any] = {
    "complete": {
        "summary": "低保和医疗救助，材料齐全",
        "description": "Every required material brought: the items go to their departments.",
        "value": {
            "channel": "window", "applicant": _APPLICANT,
            "household": {"size": 3, "residence": "rural", "monthly_income_per_capita": "480.00",
                          "members": [{"name": "王小明", "relation": "子女", "student": True,
                                       "school": "县第一中学"}]},
            "items": ["dibao", "medical_aid"],
            "materials": ["application_form", "economic_check_authorization", "income_proof",
                          "medical_records"],
            "description": "丈夫去年因病去世，本人患慢性病，家庭收入不足以维持基本生活。",
        },
    },
    "on_behalf": {
        "summary": "村代办员代为申请临时救助，材料未齐（一次性告知）",
        "description": "A village assistant applies for the applicant; the missing materials "
                       "are listed at once in one notice.",
        "value": {
            "channel": "village",
            "applicant": {"name": "李建国", "id_number": "340123198511034574",
                          "phone": "13800551234", "address": "红星村五组3号", "village": "红星村"},
            "household": {"size": 2, "residence": "rural", "monthly_income_per_capita": "320.00"},
            "items": ["temporary_aid"],
            "materials": ["application_form"],
            "description": "房屋失火，生活用品全部损毁。",
            "on_behalf_of": {"name": "赵春梅", "role": "村社会救助协理员"},
        },
    },
}

MATERIALS = {
    "supplement": {
        "summary": "补齐一次性告知的材料",
        "value": {"materials": ["situation_statement"]},
    },
}

HANDOVER = {
    "handover": {
        "summary": "首问负责人外出，交同事跟进",
        "value": {"to_staff": "window-02",
                  "reason": "受理人参加县里培训一周，交由同事跟进"},
    },
}
