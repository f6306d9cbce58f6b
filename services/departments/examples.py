"""Realistic request bodies for a department's OpenAPI document (what ``/docs`` offers to
try): Chinese reasons, material codes of the default region. Who acts is the signed-in
account (its token), so no body names them."""

ACCEPT = {"accept": {"summary": "受理", "value": {}}}

REVIEW = {
    "review": {
        "summary": "初审意见（非受理人）",
        "value": {"opinion": "经入户调查，家庭人均收入低于当地低保标准，建议批准。"},
    },
}

DECISION = {
    "approved": {
        "summary": "批准，按月发放",
        "value": {"outcome": "approved", "amount": "620.00",
                  "reason": "家庭人均收入低于当地低保标准，符合条件。"},
    },
    "rejected": {
        "summary": "不予批准，书面说明理由",
        "value": {"outcome": "rejected",
                  "reason": "家庭人均月收入高于当地低保标准，不符合条件。"},
    },
    "emergency": {
        "summary": "急难型临时救助：先行救助，材料后补",
        "value": {"outcome": "approved", "amount": "3000.00",
                  "reason": "房屋失火，先行发放临时救助金。", "paperwork_pending": True},
    },
}

RETURN = {
    "return": {
        "summary": "不属本部门，退回并建议承办部门",
        "value": {"reason": "申请人家中无在读学生，应属民政临时救助。",
                  "suggested_department": "civil_affairs"},
    },
}

MATERIALS_REQUEST = {
    "materials": {
        "summary": "一次性告知需补充的材料",
        "value": {"materials": ["income_proof", "medical_records"],
                  "note": "请补充近六个月家庭收入证明及住院费用票据。"},
    },
}

PAPERWORK = {"paperwork": {"summary": "先行救助的材料已补齐", "value": {}}}

AWAY = {
    "away": {
        "summary": "A 岗外出，分管领导批准，B 岗顶岗",
        "value": {"holder": "civil_dibao_a",
                  "reason": "参加县民政局业务培训", "until": "2026-12-08T18:00:00+08:00"},
    },
}

BACK = {"back": {"summary": "A 岗返岗", "value": {"holder": "civil_dibao_a"}}}
