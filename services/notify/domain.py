"""Notify's rules, with no I/O: which notices are due, their Chinese text, and completion."""

from dataclasses import dataclass, field
from decimal import Decimal

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Department, Item

SIGNATURE = "【一门受理】"


@dataclass(frozen=True)
class Contact:
    receipt_no: str
    name: str
    phone: str
    window_staff: str


@dataclass(frozen=True)
class DecisionInfo:
    task_id: str
    department: str
    items: tuple[str, ...]
    outcome: str
    amount: Decimal | None
    reason: str
    automatic: bool = False  # granted without application (免申即享)


@dataclass(frozen=True)
class Notice:
    id: str  # deterministic: the same notice is never created twice
    channel: str  # "sms" (the applicant) or "window_inbox" (the first receiver)
    recipient: str
    kind: str  # decision, completion, materials, refusal, referral, escalation, warning...
    text: str
    # Names the text holds: masked wherever the notice is recorded or shown, not sent.
    names: tuple[str, ...] = ()


@dataclass
class Case:
    application_id: str
    contact: Contact | None = None
    expected_tasks: set[str] | None = None  # known once routing has split the application
    decisions: dict[str, DecisionInfo] = field(default_factory=dict)
    notified_tasks: set[str] = field(default_factory=set)
    completed: bool = False
    # The items to close (from ApplicationSubmitted); a returned task is re-routed under a new
    # id, so completion is counted by item, not by task.
    expected_items: set[str] | None = None
    referred_items: set[str] = field(default_factory=set)

    def pending_notices(self) -> list[Notice]:
        """Notices of decisions not yet told (they wait until the contact is known)."""
        if self.contact is None:
            return []
        return [n for task_id, d in self.decisions.items() if task_id not in self.notified_tasks
                for n in decision_notices(self.contact, d)]

    def closed_items(self) -> set[str]:
        return {i for d in self.decisions.values() for i in d.items} | self.referred_items

    def is_complete(self) -> bool:
        """Every item is decided or referred, and the case was not closed before."""
        if self.completed or self.contact is None:
            return False
        if self.expected_items is not None:
            return self.expected_items <= self.closed_items()
        # Cases from before items were tracked: every task routing created is decided.
        return self.expected_tasks is not None and self.expected_tasks <= set(self.decisions)

    def completion(self) -> tuple[list[str], list[str], list[Notice]]:
        """Approved items, rejected items and the closing notices."""
        approved = [i for d in self.decisions.values() if d.outcome == "approved" for i in d.items]
        rejected = [i for d in self.decisions.values() if d.outcome != "approved" for i in d.items]
        assert self.contact is not None
        referred = sorted(self.referred_items)
        return approved, rejected, completion_notices(self.application_id, self.contact,
                                                      approved, rejected, referred)


def _items(items: tuple[str, ...] | list[str]) -> str:
    return "、".join(ITEM_NAMES[Item(i)] for i in items) or "无"


def _department(code: str) -> str:
    return DEPARTMENT_NAMES[Department(code)].split("（")[0]


def decision_notices(contact: Contact, d: DecisionInfo) -> list[Notice]:
    items, dept = _items(d.items), _department(d.department)
    if d.automatic:
        to_applicant = (f"{SIGNATURE}{contact.name}您好：根据民政部门认定结果，您家无需申请即享受"
                        f"「{items}」（{dept}部门）。{d.reason}")
        to_window = f"回执 {contact.receipt_no}：{dept}部门免申即享「{items}」。{d.reason}"
    elif d.outcome == "approved":
        money = f"，金额 {d.amount} 元" if d.amount is not None else ""
        to_applicant = (f"{SIGNATURE}{contact.name}您好：您的申请（回执号 {contact.receipt_no}）"
                        f"中的「{items}」已经{dept}部门审核同意{money}。")
        to_window = f"回执 {contact.receipt_no}：{dept}部门同意「{items}」{money}。"
    else:
        to_applicant = (f"{SIGNATURE}{contact.name}您好：您的申请（回执号 {contact.receipt_no}）"
                        f"中的「{items}」经{dept}部门审核不予批准，理由：{d.reason}。"
                        "如有异议，可到乡镇社会救助窗口咨询或申请复核。")
        to_window = f"回执 {contact.receipt_no}：{dept}部门不予批准「{items}」，理由：{d.reason}。"
    return [
        Notice(f"{d.task_id}:decision:sms", "sms", contact.phone, "decision", to_applicant),
        Notice(f"{d.task_id}:decision:window", "window_inbox", contact.window_staff, "decision",
               to_window),
    ]


def completion_notices(application_id: str, contact: Contact, approved: list[str],
                       rejected: list[str], referred: list[str] | None = None) -> list[Notice]:
    # Only what happened: a list that says "none" reads as if something had been refused.
    parts = [(label, items) for label, items in (("同意", approved), ("不予批准", rejected),
                                                 ("已转介", referred or [])) if items]
    summary = "；".join(f"{label}：{_items(items)}" for label, items in parts) or "无需办理事项"
    if rejected:
        summary += "。对不予批准的事项如有异议，可到乡镇社会救助窗口申请复核"
    return [
        Notice(f"{application_id}:completion:sms", "sms", contact.phone, "completion",
               f"{SIGNATURE}{contact.name}您好：您的申请（回执号 {contact.receipt_no}）已全部办结。"
               f"{summary}。如需帮助，请联系乡镇社会救助窗口。"),
        Notice(f"{application_id}:completion:window", "window_inbox", contact.window_staff,
               "completion", f"回执 {contact.receipt_no} 已全部办结。{summary}。"),
    ]
