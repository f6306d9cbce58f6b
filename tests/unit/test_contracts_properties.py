"""Property-based tests of the wire contracts and the window's request schema: bad input is
refused with a ``ValidationError`` (never another exception), good input round-trips unchanged.

No broker, no database: models, the batch decoder and the HTTP request schema only.
"""

import asyncio
import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import contracts
from contracts import Channel, Department, Envelope, Item, Outcome
from services.common.consumer import Delivery, envelope_decoder
from services.intake.schemas import ApplicationCreate
from services.launcher.demo import sample_application
from tests.support.documents import replaced

PROPERTY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
FEW = settings(PROPERTY, max_examples=60)

MESSAGE_CLASSES: list[type[Envelope[Any]]] = [
    getattr(contracts, n) for n in contracts.__all__ if n.endswith("Message")
]

# ---------------------------------------------------------------------------------------------
# Valid values, within every constraint the contracts declare.


def text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=max_size)


# Real offsets are whole minutes (pydantic writes an offset to the minute: see the note below).
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31),
                     timezones=offsets | st.just(UTC))
items = st.lists(st.sampled_from(list(Item)), min_size=1, max_size=len(Item), unique=True)
departments = st.sampled_from(list(Department))
money = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2,
                    allow_nan=False, allow_infinity=False)

applicants = st.builds(
    contracts.Applicant,
    name=text(1, 50), id_number=text(18, 18), phone=text(5, 20),
    address=text(0, 200), village=text(0, 100),
)
households = st.builds(
    contracts.Household,
    size=st.integers(1, 30), residence=st.sampled_from(["urban", "rural"]),
    monthly_income_per_capita=money,
    members=st.lists(st.builds(contracts.HouseholdMember, name=text(1, 50), relation=text(0, 20),
                               student=st.booleans(), school=text(0, 100)), max_size=3),
)
on_behalf = st.none() | st.builds(contracts.OnBehalfOf, name=text(1, 50), role=text(1, 50))
planned_tasks = st.builds(
    contracts.PlannedTask,
    task_id=text(), department=departments, items=items, due_at=aware,
    items_due_at=st.dictionaries(st.sampled_from(list(Item)), aware, max_size=3),
)

needs = st.builds(contracts.MaterialNeed, code=text(1, 50), name=text(1, 100),
                  items=st.lists(st.sampled_from(list(Item)), max_size=3))
contacts = st.builds(contracts.Contact, receipt_no=text(), name=text(), phone=text(),
                     window_staff=text())
alerts = st.builds(
    contracts.SupervisionAlert,
    alert_id=text(), application_id=text(), task_id=st.none() | text(),
    department=st.none() | departments, items=items,
    stage=st.sampled_from(["transfer", "accept", "decide", "paperwork", "assign"]), due_at=aware,
    level=st.integers(0, 10), supervisor=text(), detected_at=aware,
)

PAYLOADS: dict[type[Envelope[Any]], st.SearchStrategy[BaseModel]] = {
    contracts.ApplicationSubmittedMessage: st.builds(
        contracts.ApplicationSubmitted,
        application_id=text(), receipt_no=text(), channel=st.sampled_from(list(Channel)),
        received_by=text(), received_at=aware, applicant=applicants, household=households,
        items=items, materials=st.lists(text(), max_size=4), description=text(0, 2000),
        on_behalf_of=on_behalf,
    ),
    contracts.ApplicationRoutedMessage: st.builds(
        contracts.ApplicationRouted,
        application_id=text(), tasks=st.lists(planned_tasks, min_size=1, max_size=3),
        routed_at=aware,
    ),
    contracts.TaskAssignedMessage: st.builds(
        contracts.TaskAssigned,
        task_id=text(), application_id=text(), receipt_no=text(), department=departments,
        items=items, applicant=applicants, household=households,
        materials=st.lists(text(), max_size=4), description=text(0, 2000), received_at=aware,
        assigned_at=aware, due_at=aware,
        items_due_at=st.dictionaries(st.sampled_from(list(Item)), aware, max_size=3),
    ),
    contracts.TaskAcceptedMessage: st.builds(
        contracts.TaskAccepted,
        task_id=text(), application_id=text(), department=departments, accepted_by=text(),
        accepted_at=aware,
    ),
    contracts.TaskDecidedMessage: st.builds(
        contracts.TaskDecided,
        task_id=text(), application_id=text(), department=departments, items=items,
        outcome=st.sampled_from(list(Outcome)), amount=st.none() | money, reason=text(0, 2000),
        decided_by=text(), decided_at=aware,
    ),
    contracts.ApplicationCompletedMessage: st.builds(
        contracts.ApplicationCompleted,
        application_id=text(), approved_items=st.lists(st.sampled_from(list(Item)), max_size=4),
        rejected_items=st.lists(st.sampled_from(list(Item)), max_size=4), completed_at=aware,
    ),
    contracts.NotificationSentMessage: st.builds(
        contracts.NotificationSent,
        notification_id=text(), application_id=text(),
        channel=st.sampled_from(["sms", "window_inbox"]), recipient=text(),
        kind=st.sampled_from(["decision", "completion", "materials", "refusal", "referral",
                              "escalation", "warning", "handover"]),
        text=text(0, 500), sent_at=aware,
    ),
    contracts.TaskReturnedMessage: st.builds(
        contracts.TaskReturned,
        task_id=text(), application_id=text(), department=departments, items=items,
        reason=text(1, 2000), suggested_department=st.none() | departments, returned_by=text(),
        returned_at=aware,
    ),
    contracts.TaskMaterialsRequestedMessage: st.builds(
        contracts.TaskMaterialsRequested,
        task_id=text(), application_id=text(), department=departments,
        materials=st.lists(needs, min_size=1, max_size=3), note=text(0, 2000),
        requested_by=text(), requested_at=aware,
    ),
    contracts.TaskMaterialsSupplementedMessage: st.builds(
        contracts.TaskMaterialsSupplemented,
        task_id=text(), application_id=text(), department=departments,
        materials=st.lists(text(1, 50), min_size=1, max_size=3), received_by=text(),
        supplemented_at=aware,
    ),
    contracts.TaskDeadlineExtendedMessage: st.builds(
        contracts.TaskDeadlineExtended,
        task_id=text(), application_id=text(), department=departments, items=items,
        previous_due_at=aware, due_at=aware, approved_by=text(), reason=text(1, 2000),
        extended_at=aware,
    ),
    contracts.TaskPaperworkCompletedMessage: st.builds(
        contracts.TaskPaperworkCompleted,
        task_id=text(), application_id=text(), department=departments, completed_by=text(),
        completed_at=aware,
    ),
    contracts.ApplicationMaterialsRequestedMessage: st.builds(
        contracts.ApplicationMaterialsRequested,
        application_id=text(), contact=contacts, missing=st.lists(needs, min_size=1, max_size=3),
        requested_by=text(), task_id=st.none() | text(), note=text(0, 2000), requested_at=aware,
    ),
    contracts.ApplicationRefusedMessage: st.builds(
        contracts.ApplicationRefused,
        application_id=text(), contact=contacts, items=st.lists(st.builds(
            contracts.RefusedItem, item=st.sampled_from(list(Item)), reason=text(1, 1000),
            go_to=text(0, 500)), min_size=1, max_size=3),
        whole=st.booleans(), refused_by=text(), refused_at=aware,
    ),
    contracts.ApplicationHandedOverMessage: st.builds(
        contracts.ApplicationHandedOver,
        application_id=text(), from_staff=text(), to_staff=text(), reason=text(1, 500),
        handed_over_at=aware,
    ),
    contracts.ItemsReferredMessage: st.builds(
        contracts.ItemsReferred,
        application_id=text(), items=items, organisation=text(1, 200), note=text(0, 1000),
        referred_by=text(), referred_at=aware,
    ),
    contracts.JointMeetingQueuedMessage: st.builds(
        contracts.JointMeetingQueued,
        case_id=text(), application_id=text(), items=items, reason=text(1, 1000),
        queued_at=aware, assign_due_at=aware,
    ),
    contracts.HouseholdStatusConfirmedMessage: st.builds(
        contracts.HouseholdStatusConfirmed,
        application_id=text(), task_id=text(), items=items, applicant=applicants,
        household=households, confirmed_by=text(), confirmed_at=aware,
        effective_from=st.dates(),
    ),
    contracts.SupervisionEscalatedMessage: alerts,
    contracts.SupervisionWarnedMessage: alerts,
}


def messages(cls: type[Envelope[Any]]) -> st.SearchStrategy[Envelope[Any]]:
    return st.builds(
        cls,
        message_id=text(1, 200),
        schema_version=st.integers(),
        type=st.just(cls.EVENT) | text(1, 100),
        occurred_at=aware,
        application_id=text(1, 64),
        correlation_id=text(1, 200),
        causation_id=st.none() | text(0, 200),
        payload=PAYLOADS[cls],
    )


any_message = st.sampled_from(MESSAGE_CLASSES).flatmap(messages)

# ---------------------------------------------------------------------------------------------
# Arbitrary input.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner,
                                                                  max_size=5),
    max_leaves=25,
)


def json_text(value: Any) -> str:
    return json.dumps(value)  # NaN and Infinity included: not JSON, so they must be refused


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value could be replaced."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out




@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> Any:
    """A valid document with one value somewhere replaced, removed, or a field added."""
    document = draw(documents)
    path = draw(st.sampled_from(_paths(document)))
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove" and path:
        parent_path, key = path[:-1], path[-1]
        parent = _lookup(document, parent_path)
        if isinstance(parent, dict):
            return replaced(document, parent_path, {k: v for k, v in parent.items() if k != key})
        return replaced(document, parent_path, [v for i, v in enumerate(parent) if i != key])
    if action == "add":
        target = _lookup(document, path)
        if isinstance(target, dict):
            return replaced(document, path, {**target, draw(st.text(max_size=15)): draw(json_values)})
    return replaced(document, path, draw(json_values))


def _lookup(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


@st.composite
def message_documents(draw: st.DrawFn) -> tuple[type[Envelope[Any]], Any]:
    cls = draw(st.sampled_from(MESSAGE_CLASSES))
    return cls, json.loads(draw(messages(cls)).model_dump_json())


def _validates_or_refuses(model: type[BaseModel], data: str | bytes) -> BaseModel | None:
    """The one allowed failure is pydantic's ValidationError; anything else fails the test."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        assert exc.errors(), "a ValidationError with no error in it"
        return None


# ---------------------------------------------------------------------------------------------
# Envelopes.


def test_every_message_class_has_a_strategy() -> None:
    assert len(MESSAGE_CLASSES) == 20
    assert set(MESSAGE_CLASSES) == set(PAYLOADS)


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda c: c.__name__)
def test_valid_messages_round_trip_through_json_unchanged(cls: type[Envelope[Any]]) -> None:
    @FEW
    @given(message=messages(cls))
    def check(message: Envelope[Any]) -> None:
        wire = message.model_dump_json()
        again = cls.model_validate_json(wire)
        assert again == message
        assert again.model_dump() == message.model_dump()
        assert again.model_dump_json() == wire  # same instants, same offsets, same decimals
        # bytes, as they come off the stream
        assert cls.model_validate_json(wire.encode()) == message

    check()


@PROPERTY
@given(cls=st.sampled_from(MESSAGE_CLASSES), data=st.binary(max_size=300))
def test_arbitrary_bytes_validate_or_raise_validation_error(
    cls: type[Envelope[Any]], data: bytes
) -> None:
    _validates_or_refuses(cls, data)


@PROPERTY
@given(cls=st.sampled_from(MESSAGE_CLASSES), value=json_values)
def test_arbitrary_json_validates_or_raises_validation_error(
    cls: type[Envelope[Any]], value: Any
) -> None:
    _validates_or_refuses(cls, json_text(value))


@PROPERTY
@given(document=message_documents().flatmap(
    lambda pair: st.tuples(st.just(pair[0]), mutated(st.just(pair[1])))))
def test_damaged_messages_validate_or_raise_validation_error(
    document: tuple[type[Envelope[Any]], Any],
) -> None:
    cls, value = document
    decoded = _validates_or_refuses(cls, json_text(value))
    if decoded is not None:  # whatever was accepted is a message that round-trips
        assert cls.model_validate_json(decoded.model_dump_json()) == decoded


# ---------------------------------------------------------------------------------------------
# The batch decoder every consumer uses.


@dataclass
class FakeMsg:
    """What the decoder reads of a ``nats.aio.msg.Msg``."""

    data: bytes
    subject: str = "onedoor.test"
    headers: dict[str, str] | None = None


@dataclass
class FakeBatch:
    """What the decoder reads of (and writes on) faststream's ``StreamMessage``."""

    raw_message: list[FakeMsg]


@st.composite
def payloads_for(draw: st.DrawFn, cls: type[Envelope[Any]]) -> tuple[bytes, bool | None]:
    """Raw bytes for a batch, with True if they are a valid ``cls`` (None: unknown)."""
    kind = draw(st.sampled_from(["valid", "other", "bytes", "json", "damaged"]))
    if kind == "valid":
        return draw(messages(cls)).model_dump_json().encode(), True
    if kind == "other":  # another event type on the wrong subject: may or may not parse
        other = draw(st.sampled_from(MESSAGE_CLASSES))
        return draw(messages(other)).model_dump_json().encode(), None
    if kind == "bytes":
        return draw(st.binary(max_size=200)), None
    if kind == "json":
        return json_text(draw(json_values)).encode(), None
    document = json.loads(draw(messages(cls)).model_dump_json())
    return json_text(draw(mutated(st.just(document)))).encode(), None


@st.composite
def batches(draw: st.DrawFn) -> tuple[type[Envelope[Any]], list[tuple[bytes, bool | None]]]:
    cls = draw(st.sampled_from(MESSAGE_CLASSES))
    return cls, draw(st.lists(payloads_for(cls), max_size=8))


@PROPERTY
@given(batch=batches(), headers=st.none() | st.dictionaries(
    st.text(string.ascii_letters + "-", min_size=1, max_size=12), st.text(max_size=20), max_size=3))
def test_envelope_decoder_sorts_any_batch_into_deliveries_and_malformed(
    batch: tuple[type[Envelope[Any]], list[tuple[bytes, bool | None]]],
    headers: dict[str, str] | None,
) -> None:
    cls, contents = batch
    raws = [FakeMsg(data, subject=f"onedoor.test.{n}", headers=headers)
            for n, (data, _) in enumerate(contents)]
    message = FakeBatch(raws)

    decoded = asyncio.run(envelope_decoder(cls)(message))

    deliveries: list[Delivery] = message.deliveries  # type: ignore[attr-defined]
    malformed: list[tuple[FakeMsg, str]] = message.malformed  # type: ignore[attr-defined]
    # Every message lands on exactly one side, in the order it came.
    assert len(deliveries) + len(malformed) == len(raws)
    delivered = [d.raw for d in deliveries]
    set_aside = [raw for raw, _ in malformed]
    assert [r for r in raws if any(r is d for d in delivered)] == delivered
    assert [r for r in raws if any(r is m for m in set_aside)] == set_aside
    assert {id(r) for r in delivered}.isdisjoint({id(r) for r in set_aside})
    # What the handler gets is what was delivered, each a model of the consumer's type.
    assert decoded == [d.envelope for d in deliveries]
    assert all(isinstance(d.envelope, cls) for d in deliveries)
    for raw, error in malformed:
        assert isinstance(error, str) and 0 < len(error) <= 2000
        with pytest.raises(ValidationError):
            cls.model_validate_json(raw.data)
    # The messages known to be valid are delivered as they were sent.
    for raw, (data, valid) in zip(raws, contents, strict=True):
        if valid:
            match = [d for d in deliveries if d.raw is raw]
            assert len(match) == 1
            assert match[0].envelope == cls.model_validate_json(data)


# ---------------------------------------------------------------------------------------------
# What the window sends: ApplicationCreate (the body of POST /api/v1/applications).


def _valid_bodies() -> st.SearchStrategy[dict[str, Any]]:
    import random

    return st.builds(
        lambda seed, chosen: sample_application(random.Random(seed), [str(i) for i in chosen]),
        st.integers(0, 2**32), items,
    )


# Strings in the shapes the validators parse: identity numbers and phone numbers, nearly right.
id_like = st.text(alphabet=string.digits + "Xx \u0660\u0661\uff10\uff11-", min_size=15, max_size=20)
phone_like = st.text(alphabet=string.digits + "+-() x#*\uff11\u0661", min_size=3, max_size=22)


@PROPERTY
@given(value=json_values)
def test_application_create_arbitrary_json(value: Any) -> None:
    _validates_or_refuses(ApplicationCreate, json_text(value))


@PROPERTY
@given(data=st.binary(max_size=300))
def test_application_create_arbitrary_bytes(data: bytes) -> None:
    _validates_or_refuses(ApplicationCreate, data)


@PROPERTY
@given(body=mutated(_valid_bodies()))
def test_application_create_damaged_body(body: Any) -> None:
    _validates_or_refuses(ApplicationCreate, json_text(body))


@PROPERTY
@given(body=_valid_bodies(), id_number=st.one_of(id_like, text(0, 25)),
       phone=st.one_of(phone_like, text(0, 25)))
def test_application_create_identity_and_phone_checks_only_refuse(
    body: dict[str, Any], id_number: str, phone: str
) -> None:
    body["applicant"] = {**body["applicant"], "id_number": id_number, "phone": phone}
    created = _validates_or_refuses(ApplicationCreate, json_text(body))
    if created is not None:
        assert isinstance(created, ApplicationCreate)
        assert created.applicant.phone.startswith("+86")
        assert len(created.applicant.id_number) == 18


@FEW
@given(body=_valid_bodies())
def test_application_create_accepts_valid_bodies(body: dict[str, Any]) -> None:
    created = ApplicationCreate.model_validate_json(json_text(body))
    assert created.items == [Item(i) for i in body["items"]]
    # What intake builds its event from is a valid contract payload.
    contracts.Applicant.model_validate(created.applicant.model_dump())
    contracts.Household.model_validate(created.household.model_dump())
