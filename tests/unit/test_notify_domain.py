"""Notify: decision notices, completion detection and the closing notices."""

import random
from decimal import Decimal

import pytest

from contracts import ITEM_NAMES, Department, Item
from services.common.policy import load_policy
from services.notify.domain import Case, Contact, DecisionInfo, Notice

POLICY = load_policy("default")
CJK = range(0x4E00, 0x9FFF + 1)


def contact(rng: random.Random) -> Contact:
    return Contact(receipt_no=f"YD20260302-{rng.randint(100000, 999999)}",
                   name=rng.choice(["王秀英", "李建国", "张海燕"]),
                   phone=f"+86138{rng.randint(0, 99999999):08d}",
                   window_staff=f"window-{rng.randint(1, 9):02d}")


def decision(rng: random.Random, task_id: str, department: Department,
             outcome: str | None = None) -> DecisionInfo:
    items = [i for i in Item if POLICY.department_of(i) == department]
    chosen = tuple(str(i) for i in rng.sample(items, rng.randint(1, len(items))))
    outcome = outcome or rng.choice(["approved", "rejected"])
    if outcome == "approved":
        amount = rng.choice([None, Decimal(rng.randint(100, 500000)).scaleb(-2)])
        return DecisionInfo(task_id, str(department), chosen, outcome, amount, "")
    reason = f"家庭月人均收入 {rng.randint(900, 3000)} 元，高于当地标准"
    return DecisionInfo(task_id, str(department), chosen, outcome, None, reason)


def decided_case(seed: int, with_contact: bool = True) -> Case:
    rng = random.Random(seed)
    departments = rng.sample(list(Department), rng.randint(1, len(Department)))
    case = Case(application_id=f"app-{seed}", contact=contact(rng) if with_contact else None)
    for n, dept in enumerate(departments):
        case.decisions[f"task-{seed}-{n}"] = decision(rng, f"task-{seed}-{n}", dept)
    case.expected_tasks = set(case.decisions)
    return case


def has_chinese(text: str) -> bool:
    return any(ord(ch) in CJK for ch in text)


@pytest.mark.parametrize("seed", range(20))
def test_no_notices_until_the_contact_is_known(seed: int) -> None:
    case = decided_case(seed, with_contact=False)
    assert case.pending_notices() == []
    case.contact = contact(random.Random(seed))
    assert len(case.pending_notices()) == 2 * len(case.decisions)


@pytest.mark.parametrize("seed", range(20))
def test_two_notices_per_decision(seed: int) -> None:
    case = decided_case(seed)
    assert case.contact is not None
    notices = case.pending_notices()
    assert len(notices) == 2 * len(case.decisions)
    for task_id, d in case.decisions.items():
        mine = [n for n in notices if task_id in n.id]
        assert sorted(n.channel for n in mine) == ["sms", "window_inbox"]
        for n in mine:
            assert n.kind == "decision"
            assert case.contact.receipt_no in n.text
            assert all(ITEM_NAMES[Item(i)] in n.text for i in d.items)
            expected = case.contact.phone if n.channel == "sms" else case.contact.window_staff
            assert n.recipient == expected
        sms = next(n for n in mine if n.channel == "sms")
        assert case.contact.name in sms.text
        if d.outcome == "rejected":
            assert all(d.reason in n.text for n in mine)
        elif d.amount is not None:
            assert all(str(d.amount) in n.text for n in mine)


@pytest.mark.parametrize("seed", range(20))
def test_notice_ids_are_deterministic_and_unique(seed: int) -> None:
    first, second = decided_case(seed).pending_notices(), decided_case(seed).pending_notices()
    assert [n.id for n in first] == [n.id for n in second]
    assert first == second
    assert len({n.id for n in first}) == len(first)


def test_rejection_sms_gives_the_reason_and_the_way_to_appeal() -> None:
    rng = random.Random(5)
    for _ in range(10):
        case = Case("app-r", contact=contact(rng))
        d = decision(rng, "t-1", rng.choice(list(Department)), outcome="rejected")
        case.decisions["t-1"] = d
        sms = next(n for n in case.pending_notices() if n.channel == "sms")
        assert d.reason in sms.text
        assert "不予批准" in sms.text
        assert "复核" in sms.text


@pytest.mark.parametrize("seed", range(10))
def test_told_decisions_are_not_noticed_again(seed: int) -> None:
    rng = random.Random(seed)
    case = decided_case(seed)
    told = set(rng.sample(sorted(case.decisions), rng.randint(0, len(case.decisions))))
    case.notified_tasks = told
    notices = case.pending_notices()
    assert len(notices) == 2 * (len(case.decisions) - len(told))
    assert not any(t in n.id for n in notices for t in told)


def test_is_complete_needs_contact_expected_tasks_and_every_decision() -> None:
    for seed in range(20):
        case = decided_case(seed)
        assert case.is_complete()

        no_contact = decided_case(seed, with_contact=False)
        assert not no_contact.is_complete()

        case.expected_tasks = None
        assert not case.is_complete()

        case.expected_tasks = {*case.decisions, "task-still-open"}
        assert not case.is_complete()

        case.expected_tasks = set(case.decisions)
        case.completed = True
        assert not case.is_complete()


def test_is_complete_waits_for_every_expected_task() -> None:
    rng = random.Random(1)
    case = Case("app-x", contact=contact(rng), expected_tasks={"a", "b"})
    case.decisions["a"] = decision(rng, "a", Department.medical)
    assert not case.is_complete()
    case.decisions["b"] = decision(rng, "b", Department.education)
    assert case.is_complete()


@pytest.mark.parametrize("seed", range(20))
def test_completion_lists_items_and_makes_two_chinese_notices(seed: int) -> None:
    case = decided_case(seed)
    assert case.contact is not None
    approved, rejected, notices = case.completion()

    want_ok = [i for d in case.decisions.values() if d.outcome == "approved" for i in d.items]
    want_no = [i for d in case.decisions.values() if d.outcome == "rejected" for i in d.items]
    assert approved == want_ok
    assert rejected == want_no

    assert len(notices) == 2
    assert {n.channel: n.recipient for n in notices} == {
        "sms": case.contact.phone, "window_inbox": case.contact.window_staff}
    for n in notices:
        assert isinstance(n, Notice)
        assert n.kind == "completion"
        assert has_chinese(n.text)
        assert "办结" in n.text
        assert case.contact.receipt_no in n.text
        assert all(ITEM_NAMES[Item(i)] in n.text for i in approved + rejected)
    assert [n.id for n in notices] == [n.id for n in decided_case(seed).completion()[2]]
    assert len({n.id for n in notices}) == 2


def test_completion_names_only_what_happened_and_how_to_ask_for_review() -> None:
    rng = random.Random(2)
    case = Case("app-ok", contact=contact(rng), expected_tasks={"t"})
    case.decisions["t"] = decision(rng, "t", Department.housing, outcome="approved")
    approved, rejected, notices = case.completion()
    assert approved == ["housing_aid"]
    assert rejected == []
    assert all("同意：住房救助" in n.text and "不予批准" not in n.text and "复核" not in n.text
               for n in notices)

    refused = Case("app-no", contact=contact(rng), expected_tasks={"t"})
    refused.decisions["t"] = decision(rng, "t", Department.housing, outcome="rejected")
    _, rejected, notices = refused.completion()
    assert rejected == ["housing_aid"]
    assert all("不予批准：住房救助" in n.text and "同意：" not in n.text and "复核" in n.text
               for n in notices)
