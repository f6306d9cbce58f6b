"""The first message settling something stands: the same again is nothing, a different one
is refused with what differs (free texts never quoted)."""

from decimal import Decimal

import pytest

from services.common.conflicts import first_stands
from services.common.deliveries import Refused

FIRST = {"outcome": "approved", "amount": Decimal("500.00"), "reason": "", "items": ["a", "b"]}


def test_the_same_decision_again_is_nothing_to_do() -> None:
    first_stands("task t1", FIRST, {"outcome": "approved", "amount": Decimal(500), "reason": None,
                                    "items": ["b", "a"], "decided_by": "someone else"})


def test_a_different_decision_is_refused_naming_what_differs() -> None:
    with pytest.raises(Refused) as refused:
        first_stands("the decision of task t1", FIRST,
                     {"outcome": "rejected", "amount": None, "reason": "张三家收入超标",
                      "items": ["a", "b"]}, private=("reason",))
    text = str(refused.value)
    assert text.startswith("conflict: the decision of task t1")
    assert "outcome, amount, reason" in text
    assert "first: outcome approved, amount 500, reason (text)" in text
    assert "this one: outcome rejected, amount none, reason (text)" in text
    assert "张三" not in text
