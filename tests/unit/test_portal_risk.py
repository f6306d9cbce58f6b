"""The worklist's rule for late work (services/portal/pages/window.py): an open item past its
due time is overdue, one due before the end of the next working day is at risk; closed items
are neither. And every status the screens name by code has a name in both languages."""

from datetime import datetime

import pytest

from contracts import Item
from services.common.workdays import SHANGHAI, Calendar
from services.intake.domain import ApplicationStatus, ItemStatus
from services.portal.i18n import Translator
from services.portal.pages.window import AT_RISK, OVERDUE, deadline_state, search_field

CALENDAR = Calendar()
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)  # no holiday near it
FRIDAY_10 = datetime(2026, 3, 13, 10, 0, tzinfo=SHANGHAI)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("now", "due", "status", "expected"), [
    (MONDAY_10, _at(9, 9), "assigned", OVERDUE),
    (MONDAY_10, MONDAY_10, "accepted", OVERDUE),  # due now: late from this moment
    (MONDAY_10, _at(9, 18), "assigned", AT_RISK),  # later today
    (MONDAY_10, _at(10, 23, 59), "awaiting_materials", AT_RISK),  # end of the next working day
    (MONDAY_10, _at(11, 0, 1), "accepted", None),
    (FRIDAY_10, _at(16, 12), "assigned", AT_RISK),  # the weekend does not count
    (FRIDAY_10, _at(17, 12), "assigned", None),
    (MONDAY_10, _at(2, 9), "decided", None),  # closed: never late
    (MONDAY_10, _at(2, 9), "referred", None),
    (MONDAY_10, _at(2, 9), "refused", None),
    (MONDAY_10, None, "pending", None),  # no due time yet
])
def test_overdue_and_at_risk(now: datetime, due: datetime | None, status: str,
                             expected: str | None) -> None:
    assert deadline_state(due, status, now, CALENDAR) == expected


def test_the_search_box_guesses_the_field_unless_told() -> None:
    assert search_field("auto", "yd20260309-ABC234") == "receipt_no"
    assert search_field("auto", "11010519491231002X") == "id_number"
    assert search_field("auto", "张三") == "name"
    assert search_field("village", "张家村") == "village"


def test_every_status_and_item_has_a_name_in_both_languages() -> None:
    for lang in ("zh", "en"):
        t = Translator(lang)
        for family, codes in (("app_status", ApplicationStatus), ("item_status", ItemStatus),
                              ("item", Item)):
            for code in codes:
                assert t(f"{family}.{code}") != f"{family}.{code}", (lang, family, code)
        assert t("window.overdue") != t("window.at_risk")
