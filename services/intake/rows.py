"""The combined view's rows as the projections change them: set-based where a batch allows,
columns rather than whole applications (whose personal columns are encrypted), and without a
flush before each read (a batch's changes are on the objects the session hands back)."""

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, insert, select, update

from services.common.uow import Transaction
from services.intake import domain, texts
from services.intake.models import Application, ApplicationItem, HistoryEntry, Notification

APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]
HISTORY: Table = HistoryEntry.__table__  # type: ignore[assignment]


class State(NamedTuple):
    """The application's columns the combined status is computed from."""

    status: str
    outcome: str | None
    completed_at: datetime | None


async def items(tx: Transaction, application_id: str) -> dict[str, ApplicationItem]:
    """The application's items by code, as the session holds them: read once per batch (the
    same dict again for the batch's next event of the application; a projection adding an
    item adds it to this dict)."""
    key = (ApplicationItem, application_id)
    found = tx.memo.get(key)
    if found is not None:
        return found
    # No flush first: a batch's earlier changes to these rows are on the very objects the
    # query returns (the session's identity map), so they are written once, at commit, rather
    # than flushed before every message's query. A new row is flushed where it is added.
    with tx.session.no_autoflush:
        rows = await tx.session.scalars(
            select(ApplicationItem).where(ApplicationItem.application_id == application_id))
    found = tx.memo[key] = {r.item: r for r in rows}
    return found


async def state(tx: Transaction, application_id: str) -> State | None:
    """What the combined status is computed from, without loading the application (its
    personal columns are encrypted: decrypting them for every event was the hot spot); read
    once per batch, kept up to date by set_columns."""
    key = (State, application_id)
    if key in tx.memo:
        return tx.memo[key]
    with tx.session.no_autoflush:  # in a projection only set_columns changes them (at once)
        found = (await tx.session.execute(
            select(APPLICATIONS.c.status, APPLICATIONS.c.outcome, APPLICATIONS.c.completed_at)
            .where(APPLICATIONS.c.id == application_id))).first()
    if found is None:
        return None  # not remembered: the window registers applications, not the batch
    tx.memo[key] = State(*found)
    return tx.memo[key]


async def set_columns(tx: Transaction, application_id: str, **values: Any) -> None:
    """Change the application's columns in the database at once (not through the session)."""
    with tx.session.no_autoflush:  # as in items(): the batch's rows are flushed at commit
        await tx.session.execute(
            update(APPLICATIONS).where(APPLICATIONS.c.id == application_id).values(**values))
    key = (State, application_id)
    if key in tx.memo:
        tx.memo[key] = tx.memo[key]._replace(
            **{k: v for k, v in values.items() if k in State._fields})


async def refresh_status(tx: Transaction, application_id: str,
                          items: dict[str, ApplicationItem]) -> None:
    """The combined status and outcome again from ``items``, written if they changed."""
    now = await state(tx, application_id)
    if now is None:
        return
    waiting = now.status == domain.ApplicationStatus.awaiting_materials
    status = domain.combined_status((i.status for i in items.values()),
                                    completed=now.completed_at is not None,
                                    awaiting_materials=waiting)
    outcome = domain.combined_outcome(i.outcome for i in items.values())
    if (status, outcome) != (now.status, now.outcome):
        await set_columns(tx, application_id, status=status, outcome=outcome)


def history(tx: Transaction, application_id: str, at: Any, event: str, department: str | None,
             actor: str | None, detail: str) -> None:
    """A history line, written with the batch's others in one statement at commit (in order)."""
    tx.insert_later(HISTORY, {
        "application_id": application_id, "at": at, "event": event, "department": department,
        "actor": actor, "detail": detail})


async def write_notifications(tx: Transaction, notices: list[dict[str, Any]]) -> None:
    """A batch's notices, in two queries and two inserts (the most frequent event here): each
    once, and only for an application the window registered."""
    ids = {n["application_id"] for n in notices}
    with tx.session.no_autoflush:
        known = set(await tx.session.scalars(
            select(APPLICATIONS.c.id).where(APPLICATIONS.c.id.in_(ids))))
        seen = set(await tx.session.scalars(select(Notification.id).where(
            Notification.id.in_([n["id"] for n in notices]))))
    fresh: dict[str, dict[str, Any]] = {}
    for n in notices:
        if n["application_id"] in known and n["id"] not in seen:
            fresh.setdefault(n["id"], n)
    if not fresh:
        return
    await tx.session.execute(insert(Notification), list(fresh.values()))
    for n in fresh.values():
        history(tx, n["application_id"], n["sent_at"], "notified", None, "notify",
                 texts.notice(n["channel"], n["kind"]))
