"""The Chinese text of the notices beyond decisions: the one-time notice of missing materials,
a refusal at the door, a referral, a supervision alert, a hand-over. No I/O."""

from contracts import (
    DEPARTMENT_NAMES,
    ITEM_NAMES,
    ApplicationMaterialsRequested,
    ApplicationRefused,
    Department,
    ItemsReferred,
    SupervisionAlert,
)
from contracts import (
    Contact as WireContact,
)
from services.common.timefmt import beijing_text
from services.notify.domain import SIGNATURE, Contact, Notice

STAGES = {"transfer": "转办", "accept": "受理", "decide": "办结", "paperwork": "补齐手续",
          "assign": "联席会议指派"}


def _items(items: list[str]) -> str:
    return "、".join(ITEM_NAMES.get(i, i) for i in items)  # type: ignore[call-overload]


def _when(value: object) -> str:
    return beijing_text(value)  # type: ignore[arg-type]


def materials_notices(event: ApplicationMaterialsRequested, c: WireContact,
                      notice_id: str) -> list[Notice]:
    """一次性告知: every missing material in one notice, to the applicant and the window
    (``c``: the event's contact in full)."""
    listing = "；".join(f"{n}. {m.name}（用于：{_items(m.items)}）" if m.items else f"{n}. {m.name}"
                       for n, m in enumerate(event.missing, 1))
    who = ("窗口" if event.requested_by == "window"
           else DEPARTMENT_NAMES.get(Department(event.requested_by), event.requested_by))
    note = f"说明：{event.note}。" if event.note else ""
    return [
        Notice(f"{notice_id}:sms", "sms", c.phone, "materials",
               f"{SIGNATURE}{c.name}您好：您的申请（回执号 {c.receipt_no}）还需补齐以下材料：{listing}。"
               f"{note}请一次性带齐到乡镇社会救助窗口补交，补齐后即继续办理。"),
        Notice(f"{notice_id}:window", "window_inbox", c.window_staff, "materials",
               f"回执 {c.receipt_no}：已一次性告知补齐材料（{who}提出）：{listing}。"),
    ]


def refusal_notices(event: ApplicationRefused, c: WireContact, notice_id: str) -> list[Notice]:
    """A written refusal at the door, with the reason and where to go instead (``c``: the
    event's contact in full)."""
    parts = "；".join(f"「{ITEM_NAMES[r.item]}」{r.reason}，请到：{r.go_to}" for r in event.items)
    rest = "" if event.whole else "其余事项正常办理。"
    return [
        Notice(f"{notice_id}:sms", "sms", c.phone, "refusal",
               f"{SIGNATURE}{c.name}您好：您的申请（回执号 {c.receipt_no}）中{parts}。{rest}"),
        Notice(f"{notice_id}:window", "window_inbox", c.window_staff, "refusal",
               f"回执 {c.receipt_no}：不予受理并已书面告知去向：{parts}。"),
    ]


def referral_notices(event: ItemsReferred, contact: Contact, notice_id: str) -> list[Notice]:
    items = _items(list(event.items))
    return [
        Notice(f"{notice_id}:sms", "sms", contact.phone, "referral",
               f"{SIGNATURE}{contact.name}您好：您的申请（回执号 {contact.receipt_no}）中的「{items}」"
               f"已转介至{event.organisation}，该机构将与您联系。"),
        Notice(f"{notice_id}:window", "window_inbox", contact.window_staff, "referral",
               f"回执 {contact.receipt_no}：「{items}」已转介至{event.organisation}。"),
    ]


def alert_notice(event: SupervisionAlert, receipt_no: str | None, escalated: bool) -> Notice:
    """To the supervisor the policy names: an overdue stage (督办), or one about to be (预警)."""
    what = f"回执 {receipt_no or event.application_id} 的「{_items(list(event.items))}」"
    dept = f"（{DEPARTMENT_NAMES[event.department]}）" if event.department else ""
    stage = STAGES[event.stage]
    if escalated:
        text = (f"督办：{what}{dept}{stage}已超过时限（{_when(event.due_at)}），"
                f"第{event.level}次督办，请督促办理。")
    else:
        text = f"预警：{what}{dept}将于 {_when(event.due_at)} 到{stage}时限，请关注。"
    return Notice(f"{event.alert_id}:inbox", "window_inbox", event.supervisor,
                  "escalation" if escalated else "warning", text)


def handover_notice(receipt_no: str | None, application_id: str, from_staff: str, to_staff: str,
                    reason: str, notice_id: str) -> Notice:
    return Notice(f"{notice_id}:window", "window_inbox", to_staff, "handover",
                  f"回执 {receipt_no or application_id} 已由 {from_staff} 移交给您（首问负责）：{reason}。")
