"""Bad input at the HTTP APIs: schemathesis generates requests from each app's OpenAPI
document (valid ones, and invalid ones on purpose) and sends them to the running app — real
database, real nats-server. No request may get a 5xx, every response must match its documented
schema (status code, content type, headers and body), and afterwards nothing may be half-written:

- intake: every application has its items, its "received" history and exactly one
  ApplicationSubmitted event in the outbox, and exactly the applications answered 201 exist;
- a department: no task changed state without the outbox event that announces the change.

Generated bodies are nearly always refused (an identity number with a valid check digit is not
something a generator stumbles on), so valid ones are sent too — applications made the way the
demo makes them, with generated Idempotency-Keys and descriptions; acceptances and decisions of
tasks that exist — as they are, and with each string in turn swapped for edge values (NUL...).

The tests are synchronous: schemathesis runs the app's lifespan on its own event-loop thread.
"""

import asyncio
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from contracts import (
    Applicant,
    ApplicationSubmittedMessage,
    Department,
    Household,
    Item,
    TaskAcceptedMessage,
    TaskAssigned,
    TaskAssignedMessage,
    TaskDecidedMessage,
    subjects,
)
from services.accounts.domain import Role
from services.common import keystore
from services.common.sealed_types import attach_keys
from services.common.settings import Settings
from services.departments import app as department_service
from services.departments.models import MESSAGING as DEPARTMENT_MESSAGING
from services.departments.models import Task
from services.intake import app as intake_service
from services.intake.models import MESSAGING as INTAKE_MESSAGING
from services.intake.models import Application, ApplicationItem, HistoryEntry
from services.launcher.demo import sample_application
from tests.support.auth import Signer, SyncStaff
from tests.support.backends import Backend
from tests.support.fuzzing import EDGE_BASES, Fuzzer, cases
from tests.support.nats import NatsServer
from tests.support.waiting import eventually

EXAMPLES = 25  # per operation and kind of generated request: the whole file stays well under a minute
DEPARTMENT = Department.civil_affairs
SEEDED_TASKS = 8

APPLICATIONS = "/api/v1/applications"
ONE_APPLICATION = "/api/v1/applications/{application_id}"
TASKS = "/api/v1/tasks"
ONE_TASK = "/api/v1/tasks/{task_id}"


def _first(operations: list[Any], *labels: str) -> list[Any]:
    """The operations in this order: ``labels`` first (so later ones find what they made)."""
    rank = {label: n for n, label in enumerate(labels)}
    return sorted(operations, key=lambda op: rank.get(op.label, len(rank)))


async def _rows(settings: Settings, service: str, *tables: Any) -> list[list[Any]]:
    """All rows of some tables of a service's database, through a connection of our own."""
    url, schema = settings.database_for(service)
    options = {"schema_translate_map": {None: schema}} if schema else {}
    engine = create_async_engine(url, poolclass=NullPool, execution_options=options)
    # The service's keys: its personal data and messages are stored encrypted.
    attach_keys(engine.sync_engine.dialect,
                keystore.load(settings.data_dir, settings.key_values(), bus=False))
    try:
        async with engine.connect() as conn:
            return [list((await conn.execute(select(t))).mappings().all()) for t in tables]
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------
# Intake


def _valid_application(seed: int, items: list[Item], key: str | None, description: str
                       ) -> dict[str, Any]:
    body = sample_application(random.Random(seed), [str(i) for i in items])
    body["description"] = description
    return {"body": body, "headers": {"Idempotency-Key": key} if key else {}}


def test_intake_api_fuzz(backend: Backend, nats_server: NatsServer) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    fuzzer = Fuzzer.for_app(intake_service.create_app(settings), max_examples=EXAMPLES,
                            sign=Signer(SyncStaff(settings), Role.window).headers)
    try:
        submit = fuzzer.operation("POST", APPLICATIONS)
        valid = cases(
            submit, _valid_application,
            seed=st.integers(0, 2**32),
            items=st.lists(st.sampled_from(list(Item)), min_size=1, max_size=4, unique=True),
            # A few keys only: the same key comes back, with the same body or another.
            key=st.none() | st.sampled_from(["window-1-0001", "window-1-0002", "window-2-0001"]),
            description=st.text(max_size=300),
        )
        for operation in _first(fuzzer.operations(), f"POST {APPLICATIONS}"):
            extra, pinned = [], None
            if operation.label == submit.label:
                extra = [("valid bodies", valid, EXAMPLES),
                         ("valid bodies, edge values", fuzzer.edge(valid), EDGE_BASES)]
            made = sorted({e.body["id"] for e in fuzzer.successes("POST", APPLICATIONS)})
            if operation.label == f"GET {ONE_APPLICATION}" and made:
                pinned = {"application_id": made}  # reads of what was made: the full body
            fuzzer.fuzz_operation(operation, extra=extra, pinned=pinned)
    finally:
        fuzzer.stop()
    print(fuzzer.summary())

    problems = asyncio.run(_intake_half_written(settings, fuzzer))
    report = fuzzer.report(problems)
    assert not report, report
    assert fuzzer.successes("POST", APPLICATIONS, 201), "no valid application got through"


async def _intake_half_written(settings: Settings, fuzzer: Fuzzer) -> list[str]:
    apps, items, history, outbox = await _rows(
        settings, "intake", Application.__table__, ApplicationItem.__table__,
        HistoryEntry.__table__, INTAKE_MESSAGING.outbox)
    problems = []
    app_ids = {a["id"] for a in apps}
    answered = {e.body["id"] for e in fuzzer.successes("POST", APPLICATIONS, 201)}
    if app_ids != answered:
        problems.append(f"applications stored {sorted(app_ids)} != answered 201 {sorted(answered)}")
    items_of: dict[str, list[str]] = {}
    refused_of: dict[str, set[str]] = {}
    for row in sorted(items, key=lambda r: (r["application_id"], r["position"])):
        items_of.setdefault(row["application_id"], []).append(row["item"])
        if row["status"] == "refused":
            refused_of.setdefault(row["application_id"], set()).add(row["item"])
    received = {h["application_id"] for h in history if h["event"] == "received"}
    events: dict[str, list[ApplicationSubmittedMessage]] = {}
    others: dict[tuple[str, str], int] = {}  # (application, suffix) → how many
    for row in outbox:
        if row["subject"] in (subjects.APPLICATION_REFUSED,
                              subjects.APPLICATION_MATERIALS_REQUESTED):
            app_id, _, suffix = row["message_id"].partition(":")
            others[app_id, suffix] = others.get((app_id, suffix), 0) + 1
            continue
        if row["subject"] != subjects.APPLICATION_SUBMITTED:
            problems.append(f"unexpected outbox event {row['message_id']} on {row['subject']}")
            continue
        message = ApplicationSubmittedMessage.model_validate_json(row["payload"])
        if row["message_id"] != f"{message.application_id}:submitted":
            problems.append(f"outbox message id {row['message_id']} for {message.application_id}")
        events.setdefault(message.application_id, []).append(message)
    for orphan in (set(items_of) | set(events) | received
                   | {a for a, _ in others}) - app_ids:
        problems.append(f"items, history or event of a missing application {orphan}")
    for app in apps:
        app_id = app["id"]
        if not items_of.get(app_id):
            problems.append(f"application {app_id} has no items")
        if app_id not in received:
            problems.append(f"application {app_id} has no 'received' history")
        refused = refused_of.get(app_id, set())
        kept = [i for i in items_of.get(app_id, []) if i not in refused]
        if others.get((app_id, "refused"), 0) != (1 if refused else 0):
            problems.append(f"application {app_id}: {sorted(refused)} refused, "
                            f"{others.get((app_id, 'refused'), 0)} ApplicationRefused events")
        waiting = app["status"] == "awaiting_materials"
        if others.get((app_id, "materials_requested"), 0) != (1 if waiting else 0):
            problems.append(f"application {app_id} is {app['status']} with "
                            f"{others.get((app_id, 'materials_requested'), 0)} notices")
        sent = events.get(app_id, [])
        if len(sent) != (1 if kept and not waiting else 0):
            problems.append(f"application {app_id} ({app['status']}) has {len(sent)} "
                            "ApplicationSubmitted events")
            continue
        if not sent:
            continue
        payload = sent[0].payload
        if [str(i) for i in payload.items] != kept or payload.receipt_no != app["receipt_no"]:
            problems.append(f"application {app_id}: the event says {payload.items} "
                            f"{payload.receipt_no}, the database {kept} {app['receipt_no']}")
    return problems


# ---------------------------------------------------------------------------------------------
# A department


def _assigned(rng: random.Random) -> TaskAssignedMessage:
    body = sample_application(rng, ["dibao", "tekun"])
    app_id = uuid.UUID(int=rng.getrandbits(128)).hex
    task_id = uuid.uuid5(uuid.NAMESPACE_URL, f"fuzz:{app_id}:{DEPARTMENT}").hex
    now = datetime.now(UTC)
    return TaskAssignedMessage(
        message_id=f"{task_id}:assigned", type=TaskAssignedMessage.EVENT, occurred_at=now,
        application_id=app_id, correlation_id=app_id,
        payload=TaskAssigned(
            task_id=task_id, application_id=app_id, receipt_no="YD20260101-FUZZ01",
            department=DEPARTMENT, items=[Item.dibao, Item.tekun],
            applicant=Applicant.model_validate(body["applicant"]),
            household=Household.model_validate(body["household"]),
            materials=body["materials"], description=body["description"],
            received_at=now, assigned_at=now, due_at=now + timedelta(days=10)),
    )


async def _publish(url: str, messages: list[TaskAssignedMessage]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for message in messages:
            await js.publish(subjects.for_department(subjects.TASK_ASSIGNED, DEPARTMENT),
                             message.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": message.message_id})
    finally:
        await nc.close()


def test_department_api_fuzz(backend: Backend, nats_server: NatsServer) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    fuzzer = Fuzzer.for_app(department_service.create_app(settings, DEPARTMENT),
                            sign=Signer(SyncStaff(settings), Role.department, DEPARTMENT).headers,
                            max_examples=EXAMPLES)
    try:
        # Some real tasks, so that accepting and deciding can succeed (and change something).
        rng = random.Random(uuid.uuid4().int)
        seeded = [_assigned(rng) for _ in range(SEEDED_TASKS)]
        asyncio.run(_publish(nats_server.url, seeded))
        listing = fuzzer.operation("GET", TASKS)

        def all_queued() -> bool:
            response = fuzzer.call(listing.Case(query={"limit": 200}))
            assert response.status_code == 200 and response.json()["total"] == SEEDED_TASKS
            return True

        eventually(all_queued, timeout=20)
        ids = [m.payload.task_id for m in seeded]
        task = st.sampled_from(ids)
        staff = st.from_regex(r"[A-Za-z0-9_.@-]{1,12}", fullmatch=True) | st.sampled_from(
            ["civil-01", "civil-02"])  # often the same person again: a retry
        accept = fuzzer.operation("POST", f"{ONE_TASK}/accept")
        valid_accepts = cases(accept, lambda task_id, by: {
            "path_parameters": {"task_id": task_id}, "body": {"by": by}}, task_id=task, by=staff)
        decide = fuzzer.operation("POST", f"{ONE_TASK}/decision")
        valid_decisions = cases(decide, lambda task_id, outcome, reason, amount, by: {
            "path_parameters": {"task_id": task_id},
            "body": {"outcome": outcome, "reason": reason, "decided_by": by}
            | ({"amount": amount} if amount is not None else {})},
            task_id=task, outcome=st.sampled_from(["approved", "rejected"]),
            reason=st.text(max_size=200), by=staff,
            amount=st.none() | st.decimals(0, 99999, places=2).map(str))
        valid = {accept.label: valid_accepts, decide.label: valid_decisions}
        order = [f"GET {TASKS}", f"GET {ONE_TASK}", accept.label, decide.label]
        for operation in _first(fuzzer.operations(), *order):
            extra = []
            if operation.label in valid:  # edge values first, while tasks are still undecided
                extra = [("valid bodies, edge values", fuzzer.edge(valid[operation.label]), EDGE_BASES),
                         ("valid bodies", valid[operation.label], EXAMPLES)]
            pinned = {"task_id": ids} if "{task_id}" in operation.path else None
            fuzzer.fuzz_operation(operation, extra=extra, pinned=pinned)
    finally:
        fuzzer.stop()
    print(fuzzer.summary())

    problems = asyncio.run(_department_half_written(settings, fuzzer, seeded))
    report = fuzzer.report(problems)
    assert not report, report


OTHER_TASK_EVENTS = {
    *(subjects.for_department(t, DEPARTMENT) for t in (
        subjects.TASK_RETURNED, subjects.TASK_MATERIALS_REQUESTED,
        subjects.TASK_PAPERWORK_COMPLETED)),
    subjects.HOUSEHOLD_STATUS_CONFIRMED,
}


async def _department_half_written(settings: Settings, fuzzer: Fuzzer,
                                   seeded: list[TaskAssignedMessage]) -> list[str]:
    tasks, outbox = await _rows(settings, f"department_{DEPARTMENT}", Task.__table__,
                                DEPARTMENT_MESSAGING.outbox)
    problems = []
    by_id = {t["id"]: t for t in tasks}
    if set(by_id) != {m.payload.task_id for m in seeded}:
        problems.append(f"tasks {sorted(by_id)} are not the ones assigned")
    accepted: dict[str, list[TaskAcceptedMessage]] = {}
    decided: dict[str, list[TaskDecidedMessage]] = {}
    for row in outbox:
        if row["subject"] == subjects.for_department(subjects.TASK_ACCEPTED, DEPARTMENT):
            message = TaskAcceptedMessage.model_validate_json(row["payload"])
            accepted.setdefault(message.payload.task_id, []).append(message)
            suffix = "accepted"
        elif row["subject"] == subjects.for_department(subjects.TASK_DECIDED, DEPARTMENT):
            message = TaskDecidedMessage.model_validate_json(row["payload"])
            decided.setdefault(message.payload.task_id, []).append(message)
            suffix = "decided"
        elif row["subject"] in OTHER_TASK_EVENTS:
            # Returned, materials requested, paperwork completed, household confirmed: each
            # names its task and is identified by it (checked in the departments' own tests).
            task_id = json.loads(row["payload"])["payload"]["task_id"]
            if not row["message_id"].startswith(f"{task_id}:") or task_id not in by_id:
                problems.append(f"event {row['message_id']} about task {task_id}")
            continue
        else:
            problems.append(f"unexpected outbox event {row['message_id']} on {row['subject']}")
            continue
        if row["message_id"] != f"{message.payload.task_id}:{suffix}":
            problems.append(f"outbox message id {row['message_id']} for {message.payload.task_id}")
        if message.payload.task_id not in by_id:
            problems.append(f"event {row['message_id']} about a task that does not exist")
    for task_id, task in by_id.items():
        acc, dec = accepted.get(task_id, []), decided.get(task_id, [])
        status = task["status"]
        expected = {"assigned": {(0, 0)}, "accepted": {(1, 0)}, "decided": {(1, 1)},
                    # returned or waiting for materials, before or after accepting
                    "returned": {(0, 0), (1, 0)}, "awaiting_materials": {(0, 0), (1, 0)},
                    }.get(status, set())
        if (len(acc), len(dec)) not in expected:
            problems.append(f"task {task_id} is {status} with {len(acc)} TaskAccepted and "
                            f"{len(dec)} TaskDecided events")
            continue
        if status == "assigned" and (task["accepted_by"] or task["outcome"] or task["decided_by"]):
            problems.append(f"task {task_id} is assigned but has {dict(task)}")
        if acc and (acc[0].payload.accepted_by, acc[0].payload.accepted_at) != (
                task["accepted_by"], task["accepted_at"]):
            problems.append(f"task {task_id}: accepted by {task['accepted_by']} at "
                            f"{task['accepted_at']}, the event says {acc[0].payload}")
        if dec:
            event = dec[0].payload
            stored = (task["outcome"], task["amount"], task["reason"], task["decided_by"],
                      task["decided_at"])
            if (str(event.outcome), event.amount, event.reason, event.decided_by,
                    event.decided_at) != stored:
                problems.append(f"task {task_id}: decided {stored}, the event says {event}")
    # What the API answered is what was kept.
    for exchange in fuzzer.successes("POST", f"{ONE_TASK}/accept", 200):
        task = by_id.get(exchange.body["id"])
        if task is None or task["accepted_by"] != exchange.body["accepted_by"]:
            problems.append(f"accept answered {json.dumps(exchange.body)[:300]}, "
                            f"the database has {task and dict(task)}")
    for exchange in fuzzer.successes("POST", f"{ONE_TASK}/decision", 200):
        task = by_id.get(exchange.body["id"])
        if task is None or (task["outcome"], task["decided_by"]) != (
                exchange.body["outcome"], exchange.body["decided_by"]):
            problems.append(f"decision answered {json.dumps(exchange.body)[:300]}, "
                            f"the database has {task and dict(task)}")
    return problems
