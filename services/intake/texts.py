"""The words of intake's history lines, which people read: items, notices by name."""

from collections.abc import Iterable

from contracts import ITEM_NAMES, Item

NOTICE_CHANNELS = {"sms": "短信", "window_inbox": "窗口收件箱"}
NOTICE_KINDS = {"decision": "办理结果", "completion": "办结", "materials": "补齐材料告知",
                "refusal": "不予受理告知", "referral": "转介", "escalation": "督办",
                "warning": "预警", "handover": "移交"}
_KNOWN = {i.value for i in Item}


def item_names(items: Iterable[str]) -> str:
    """``dibao, medical_aid`` as ``最低生活保障（低保）、医疗救助``."""
    return "、".join(ITEM_NAMES[Item(i)] if i in _KNOWN else str(i) for i in items)


def notice(channel: str, kind: str) -> str:
    """A notice sent, as ``短信：办理结果``."""
    return f"{NOTICE_CHANNELS.get(channel, channel)}：{NOTICE_KINDS.get(kind, kind)}"
