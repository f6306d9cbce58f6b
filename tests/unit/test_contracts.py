"""Wire contracts: envelopes round-trip, stay forward compatible, and name their subjects."""

import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import contracts
from contracts import Department, Envelope, Item, subjects

Payload = Callable[[random.Random], dict[str, Any]]


def when(rng: random.Random) -> str:
    tz = timezone(timedelta(hours=rng.choice([0, 8, -5])))
    moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**8))
    return moment.astimezone(tz).isoformat()


def some_items(rng: random.Random) -> list[str]:
    return [str(i) for i in rng.sample(list(Item), rng.randint(1, 4))]


def applicant(rng: random.Random) -> dict[str, Any]:
    return {"name": "王秀英", "id_number": "34132119900101001X",
            "phone": f"+86139{rng.randint(0, 99999999):08d}", "village": "东风村"}


def household(rng: random.Random) -> dict[str, Any]:
    return {"size": rng.randint(1, 8), "residence": rng.choice(["urban", "rural"]),
            "monthly_income_per_capita": str(Decimal(rng.randint(0, 300000)).scaleb(-2))}


def common(rng: random.Random) -> dict[str, Any]:
    return {"application_id": uuid.UUID(int=rng.getrandbits(128)).hex}


PAYLOADS: dict[type[Envelope[Any]], Payload] = {
    contracts.ApplicationSubmittedMessage: lambda r: {
        **common(r), "receipt_no": "YD20260302-ABCDEF", "channel": r.choice(["window", "online"]),
        "received_by": "window-01", "received_at": when(r), "applicant": applicant(r),
        "household": household(r), "items": some_items(r), "materials": ["id_card"],
        "on_behalf_of": r.choice([None, {"name": "李建国", "role": "村协理员"}])},
    contracts.ApplicationRoutedMessage: lambda r: {
        **common(r), "routed_at": when(r), "tasks": [
            {"task_id": uuid.uuid4().hex, "department": d, "items": ["dibao"], "due_at": when(r),
             "items_due_at": {"dibao": when(r)}} for d in r.sample(list(Department), 2)]},
    contracts.TaskAssignedMessage: lambda r: {
        **common(r), "task_id": "t1", "receipt_no": "YD20260302-ABCDEF",
        "department": r.choice(list(Department)), "items": some_items(r),
        "applicant": applicant(r), "household": household(r), "received_at": when(r),
        "assigned_at": when(r), "due_at": when(r)},
    contracts.TaskAcceptedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "medical", "accepted_by": "med-01",
        "accepted_at": when(r)},
    contracts.TaskDecidedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "medical", "items": ["medical_aid"],
        "outcome": r.choice(["approved", "rejected"]), "amount": r.choice([None, "1234.50"]),
        "reason": "理由", "decided_by": "med-01", "decided_at": when(r)},
    contracts.ApplicationCompletedMessage: lambda r: {
        **common(r), "approved_items": some_items(r), "rejected_items": [], "completed_at": when(r)},
    contracts.NotificationSentMessage: lambda r: {
        **common(r), "notification_id": "n1", "channel": r.choice(["sms", "window_inbox"]),
        "recipient": "+8613900000000", "kind": r.choice(["decision", "completion"]),
        "text": "【一门受理】您好", "sent_at": when(r)},
    contracts.TaskReturnedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "medical", "items": ["medical_aid"],
        "reason": "不属于本部门", "suggested_department": r.choice([None, "hrss"]),
        "returned_by": "med-01", "returned_at": when(r)},
    contracts.TaskMaterialsRequestedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "housing",
        "materials": [{"code": "housing_proof", "name": "住房困难情况证明", "items": ["housing_aid"]}],
        "note": "", "requested_by": "hou-01", "requested_at": when(r)},
    contracts.TaskMaterialsSupplementedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "housing", "materials": ["housing_proof"],
        "received_by": "window-01", "supplemented_at": when(r)},
    contracts.TaskDeadlineExtendedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "civil_affairs", "items": ["dibao"],
        "previous_due_at": when(r), "due_at": when(r), "approved_by": "deputy_head",
        "reason": "经济状况核对超过15天", "extended_at": when(r)},
    contracts.TaskPaperworkCompletedMessage: lambda r: {
        **common(r), "task_id": "t1", "department": "civil_affairs", "completed_by": "ca-01",
        "completed_at": when(r)},
    contracts.ApplicationMaterialsRequestedMessage: lambda r: {
        **common(r), "contact": {"receipt_no": "YD20260302-ABCDEF", "name": "王秀英",
                                 "phone": "+8613900000000", "window_staff": "window-01"},
        "missing": [{"code": "income_proof", "name": "家庭收入证明", "items": ["dibao"]}],
        "requested_by": r.choice(["window", "housing"]), "requested_at": when(r)},
    contracts.ApplicationRefusedMessage: lambda r: {
        **common(r), "contact": {"receipt_no": "YD20260302-ABCDEF", "name": "王秀英",
                                 "phone": "+8613900000000", "window_staff": "window-01"},
        "items": [{"item": "legal_aid", "reason": "不属于受理范围", "go_to": "司法局"}],
        "whole": r.choice([True, False]), "refused_by": "window-01", "refused_at": when(r)},
    contracts.ApplicationHandedOverMessage: lambda r: {
        **common(r), "from_staff": "window-01", "to_staff": "window-02", "reason": "调岗",
        "handed_over_at": when(r)},
    contracts.ItemsReferredMessage: lambda r: {
        **common(r), "items": ["charity_referral"], "organisation": "慈善总会",
        "referred_by": "routing", "referred_at": when(r)},
    contracts.JointMeetingQueuedMessage: lambda r: {
        **common(r), "case_id": "c1", "items": ["other"], "reason": "实施主体不明确",
        "queued_at": when(r), "assign_due_at": when(r)},
    contracts.HouseholdStatusConfirmedMessage: lambda r: {
        **common(r), "task_id": "t1", "items": ["dibao"], "applicant": applicant(r),
        "household": {**household(r), "members": [{"name": "王小明", "student": True}]},
        "confirmed_by": "ca-03", "confirmed_at": when(r), "effective_from": "2026-12-01"},
    contracts.SupervisionEscalatedMessage: lambda r: {
        **common(r), "alert_id": "a1", "task_id": "t1", "department": "medical",
        "items": ["medical_aid"], "stage": r.choice(["accept", "decide"]), "due_at": when(r),
        "level": r.randint(1, 3), "supervisor": "center_director", "detected_at": when(r)},
    contracts.SupervisionWarnedMessage: lambda r: {
        **common(r), "alert_id": "a1", "items": ["other"], "stage": "assign", "due_at": when(r),
        "supervisor": "center_director", "detected_at": when(r)},
}
MESSAGE_CLASSES = [getattr(contracts, n) for n in contracts.__all__ if n.endswith("Message")]


def envelope(cls: type[Envelope[Any]], rng: random.Random) -> dict[str, Any]:
    payload = PAYLOADS[cls](rng)
    return {"message_id": f"{payload['application_id']}:{cls.EVENT}", "type": cls.EVENT,
            "occurred_at": when(rng), "application_id": payload["application_id"],
            "correlation_id": payload["application_id"], "payload": payload}


def test_every_message_class_is_exercised() -> None:
    assert len(MESSAGE_CLASSES) == 20
    assert set(MESSAGE_CLASSES) == set(PAYLOADS)


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_message_class_has_event_and_subject(cls: type[Envelope[Any]]) -> None:
    assert issubclass(cls, Envelope)
    assert cls.EVENT
    subject: str = cls.SUBJECT  # type: ignore[attr-defined]
    assert subject.startswith("onedoor.")
    assert subject.removeprefix("onedoor.").startswith(cls.EVENT)


def test_events_and_subjects_are_distinct() -> None:
    assert len({c.EVENT for c in MESSAGE_CLASSES}) == len(MESSAGE_CLASSES)
    assert len({c.SUBJECT for c in MESSAGE_CLASSES}) == len(MESSAGE_CLASSES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_round_trip_through_json(cls: type[Envelope[Any]], seed: int) -> None:
    message = cls.model_validate(envelope(cls, random.Random(seed)))
    again = cls.model_validate_json(message.model_dump_json())
    assert again == message
    assert again.model_dump() == message.model_dump()


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_unknown_fields_are_ignored(cls: type[Envelope[Any]]) -> None:
    data = envelope(cls, random.Random(1))
    plain = cls.model_validate(data)
    data["added_in_v9"] = {"anything": [1, 2]}
    data["payload"]["new_optional_field"] = "x"
    newer = cls.model_validate_json(json.dumps(data))
    assert newer == plain
    assert "added_in_v9" not in newer.model_dump_json()


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_naive_occurred_at_is_rejected(cls: type[Envelope[Any]]) -> None:
    data = envelope(cls, random.Random(2))
    data["occurred_at"] = datetime(2026, 3, 2, 10, 0).isoformat()
    with pytest.raises(ValidationError) as exc:
        cls.model_validate_json(json.dumps(data))
    assert [e["loc"] for e in exc.value.errors()] == [("occurred_at",)]


def test_naive_datetime_in_a_payload_is_rejected() -> None:
    data = envelope(contracts.TaskAcceptedMessage, random.Random(3))
    data["payload"]["accepted_at"] = "2026-03-02T10:00:00"
    with pytest.raises(ValidationError):
        contracts.TaskAcceptedMessage.model_validate(data)


def test_envelope_is_immutable_and_versioned() -> None:
    message = contracts.TaskAcceptedMessage.model_validate(
        envelope(contracts.TaskAcceptedMessage, random.Random(4)))
    assert message.schema_version == contracts.SCHEMA_VERSION
    assert isinstance(message.payload, BaseModel)
    with pytest.raises(ValidationError):
        message.message_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("department", list(Department))
@pytest.mark.parametrize("template",
                         [subjects.TASK_ASSIGNED, subjects.TASK_ACCEPTED, subjects.TASK_DECIDED])
def test_per_department_subjects(template: str, department: Department) -> None:
    concrete = subjects.for_department(template, department)
    wildcard = subjects.all_departments(template)
    assert concrete.startswith("onedoor.task.")
    assert concrete.split(".")[-1] == department.value
    assert wildcard.endswith(".*")
    assert wildcard[:-1] == concrete[: -len(department.value)]
    assert "{" not in concrete and "{" not in wildcard
