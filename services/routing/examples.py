"""Realistic request bodies for routing's OpenAPI document (what ``/docs`` offers to try):
the joint meeting's decisions and a supervisor's extension, in the default region."""

ASSIGN = {
    "assign": {
        "summary": "联席会议指派民政办理",
        "value": {"department": "civil_affairs",
                  "note": "经联席会议研究，由民政办按临时救助办理。"},
    },
}

REFER = {
    "refer": {
        "summary": "转介慈善组织",
        "value": {"organisation": "县慈善总会",
                  "note": "不属政府救助范围，转介慈善总会“微心愿”项目。"},
    },
}

EXTENSION = {
    "extension": {
        "summary": "督办负责人批准延期 5 个工作日",
        "value": {"task_id": "5f0c2d8e9a7b4c1d8e2f3a4b5c6d7e8f", "extend_by": {"working_days": 5},
                  "reason": "需入户核查家庭经济状况，申请延期 5 个工作日。"},
    },
}
