"""Intake: combined status and outcome, item progress, receipt numbers, request fingerprints."""

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.intake.domain import (
    ApplicationStatus,
    ItemStatus,
    advance,
    combined_outcome,
    combined_status,
    fingerprint,
    missing_after,
    receipt_no,
)

ORDER = ["pending", "assigned", "accepted", "decided"]  # how far along an item is
SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIPT = re.compile(r"^YD(\d{8})-([2-9A-HJ-NP-Z]{6})$")


def statuses(rng: random.Random, choices: list[str], n: int) -> list[str]:
    return [rng.choice(choices) for _ in range(n)]


@pytest.mark.parametrize("seed", range(30))
def test_combined_status(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    pending = ["pending"] * n
    started = statuses(rng, ORDER, n)
    started[rng.randrange(n)] = rng.choice(ORDER[1:])

    assert combined_status(pending, completed=False) == ApplicationStatus.received
    assert combined_status(started, completed=False) == ApplicationStatus.in_progress
    assert combined_status(["decided"] * n, completed=True) == ApplicationStatus.completed
    # The completion can reach intake before the last decision: not completed until it has.
    late = ["decided"] * n
    late[rng.randrange(n)] = rng.choice(ORDER[1:3])
    assert combined_status(late, completed=True) == ApplicationStatus.in_progress


def test_combined_status_accepts_a_generator_and_no_items() -> None:
    assert combined_status((s for s in ["pending", "decided"]), False) == "in_progress"
    assert combined_status([], False) == ApplicationStatus.received


@pytest.mark.parametrize("seed", range(30))
def test_combined_outcome(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    mixed = [*statuses(rng, ["approved", "rejected"], n), "approved", "rejected"]
    rng.shuffle(mixed)
    with_open = [*statuses(rng, ["approved", "rejected"], n), None]
    rng.shuffle(with_open)

    assert combined_outcome(["approved"] * n) == "approved"
    assert combined_outcome(["rejected"] * n) == "rejected"
    assert combined_outcome(mixed) == "partially_approved"
    assert combined_outcome(with_open) is None
    assert combined_outcome(iter(mixed)) == "partially_approved"


def test_combined_outcome_of_nothing_is_none() -> None:
    assert combined_outcome([]) is None


@pytest.mark.parametrize("current", ORDER)
@pytest.mark.parametrize("new", ORDER)
def test_advance_keeps_the_later_status(current: str, new: str) -> None:
    later = max(current, new, key=ORDER.index)
    assert advance(current, ItemStatus(new)) == later


@pytest.mark.parametrize("seed", range(20))
def test_advance_never_moves_an_item_backwards(seed: int) -> None:
    rng = random.Random(seed)
    events = statuses(rng, ORDER, rng.randint(1, 12))  # events may arrive late or twice
    status = "pending"
    for event in events:
        after = advance(status, ItemStatus(event))
        assert ORDER.index(after) >= ORDER.index(status)
        status = after
    assert status == max(["pending", *events], key=ORDER.index)


def random_instant(rng: random.Random) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))


@pytest.mark.parametrize("seed", range(20))
def test_receipt_no_has_the_shanghai_date_and_six_readable_characters(seed: int) -> None:
    rng = random.Random(seed)
    at = random_instant(rng)
    offset = timezone(timedelta(hours=rng.randint(-11, 12)))
    for moment in (at, at.astimezone(offset), at.astimezone(SHANGHAI)):
        match = RECEIPT.match(receipt_no(moment))
        assert match, receipt_no(moment)
        assert match.group(1) == at.astimezone(SHANGHAI).strftime("%Y%m%d")
        assert not set(match.group(2)) & set("01OI")


def test_receipt_no_uses_the_date_in_shanghai_not_utc() -> None:
    assert receipt_no(datetime(2026, 11, 21, 20, 0, tzinfo=UTC)).startswith("YD20261122-")
    assert receipt_no(datetime(2026, 11, 21, 15, 59, 59, tzinfo=UTC)).startswith("YD20261121-")
    assert receipt_no(datetime(2026, 11, 21, 16, 0, tzinfo=UTC)).startswith("YD20261122-")


def test_receipt_numbers_differ_between_calls() -> None:
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    numbers = {receipt_no(at) for _ in range(50)}
    assert len(numbers) == 50


def random_body(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for i in range(rng.randint(1, 6)):
        key = f"k{i}_{rng.randint(0, 999)}"
        kind = rng.randrange(5 if depth < 2 else 4)
        if kind == 0:
            body[key] = rng.randint(-1000, 1000)
        elif kind == 1:
            body[key] = rng.choice(["低保", "medical_aid", "", "东风村 3号"])
        elif kind == 2:
            body[key] = [rng.randint(0, 9) for _ in range(rng.randint(0, 3))]
        elif kind == 3:
            body[key] = rng.choice([None, True, False])
        else:
            body[key] = random_body(rng, depth + 1)
    return body


def reordered(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: reordered(value[k], rng) for k in keys}
    return value


@pytest.mark.parametrize("seed", range(30))
def test_fingerprint_ignores_key_order(seed: int) -> None:
    rng = random.Random(seed)
    body = random_body(rng)
    shuffled = reordered(body, rng)
    assert fingerprint(shuffled) == fingerprint(body)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(body))


@pytest.mark.parametrize("seed", range(30))
def test_fingerprint_tells_different_requests_apart(seed: int) -> None:
    rng = random.Random(seed)
    body = random_body(rng)
    changed = dict(body)
    key = rng.choice(list(body))
    changed[key] = {"changed": body[key]}
    extra = {**body, "another": 1}
    assert len({fingerprint(body), fingerprint(changed), fingerprint(extra)}) == 3


def test_an_application_with_every_item_refused_is_refused() -> None:
    assert combined_status(["refused", "refused"], completed=False) == ApplicationStatus.refused
    # Refused items are closed: the rest decides completion.
    assert combined_status(["refused", "decided"], completed=True) == ApplicationStatus.completed
    assert combined_status(["refused", "pending"], completed=False) == ApplicationStatus.received


def test_waiting_for_materials_shows_until_they_are_in() -> None:
    status = combined_status(["pending", "pending"], completed=False, awaiting_materials=True)
    assert status == ApplicationStatus.awaiting_materials


def test_referred_and_joint_meeting_items() -> None:
    assert combined_status(["referred"], completed=True) == ApplicationStatus.completed
    assert combined_status(["joint_meeting", "decided"], completed=False) == \
        ApplicationStatus.in_progress
    assert combined_status(["referred", "joint_meeting"], completed=True) == \
        ApplicationStatus.in_progress


def test_referred_or_refused_items_are_not_approved_here() -> None:
    assert combined_outcome(["approved", "referred"]) == "partially_approved"
    assert combined_outcome(["refused", "referred"]) == "rejected"


def test_missing_materials_shrink_as_they_are_brought() -> None:
    missing = {"income_proof": ["dibao"], "medical_records": ["medical_aid"]}
    assert missing_after(missing, ["income_proof"]) == {"medical_records": ["medical_aid"]}
    assert missing_after(missing, ["income_proof", "medical_records", "x"]) == {}
