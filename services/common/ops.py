"""Operations API every service has: its dead letters, and replaying one after a fix."""

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update

from services.common.deliveries import Refused
from services.common.errors import ApiError, field_errors
from services.common.logs import mask
from services.common.timefmt import LocalTime

PREVIEW = 500
# Fields that hold personal data or free text that may name people: never in a preview (the
# stored message keeps them, encrypted, for a replay); nor the sealed personal part (noise).
PRIVATE = frozenset({"name", "id_number", "phone", "address", "recipient", "text", "reason",
                     "note", "description", "detail", "sealed"})


class DeadLetterRead(BaseModel):
    id: int
    service: str
    consumer: str
    subject: str
    message_id: str | None
    error: str
    attempts: int
    stream_seq: int | None
    recorded_at: LocalTime
    replayed_at: LocalTime | None
    replay_error: str | None
    data_preview: str


def build_router(runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1/ops", tags=["ops"])
    table = runtime.tables.dead_letters

    def read(row) -> DeadLetterRead:
        return DeadLetterRead(
            id=row.id, service=runtime.name, consumer=row.consumer, subject=row.subject,
            message_id=row.message_id, error=row.error, attempts=row.attempts,
            stream_seq=row.stream_seq, recorded_at=row.recorded_at,
            replayed_at=row.replayed_at, replay_error=row.replay_error,
            data_preview=preview(bytes(row.data)),
        )

    @router.get("/dead-letters", response_model=list[DeadLetterRead])
    async def dead_letters(pending_only: bool = False) -> list[DeadLetterRead]:
        """Messages this service gave up on, newest first."""
        query = select(table).order_by(table.c.id.desc()).limit(500)
        if pending_only:
            query = query.where(table.c.replayed_at.is_(None))
        async with runtime.db.reading() as session:
            return [read(r) for r in (await session.execute(query)).all()]

    @router.post("/dead-letters/{letter_id}/replay", response_model=DeadLetterRead)
    async def replay(letter_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> DeadLetterRead:
        """Apply the message again, once; on failure the letter stays, with the new error."""
        async with runtime.db.reading() as session:
            row = (await session.execute(select(table).where(table.c.id == letter_id))).first()
        if row is None:
            raise ApiError(404, "dead_letter_not_found", "No dead letter with this id.",
                           "没有该死信记录。")
        if row.replayed_at is not None and row.replay_error is None:
            return read(row)  # already replayed successfully: replaying is idempotent
        consumer = runtime.consumers.get(row.consumer)
        if consumer is None:
            raise ApiError(409, "consumer_unknown", f"This service has no consumer {row.consumer}.",
                           "本服务没有该消费者，无法重放。")
        error = None
        try:
            await consumer.replay(bytes(row.data))
        except Refused as exc:
            error = f"refused again: {exc}"
        except ValidationError as exc:
            error = "still malformed: " + "; ".join(
                f"{f['field']}: {f['reason']}" for f in field_errors(list(exc.errors())))
        except Exception as exc:
            error = repr(exc)
        async with runtime.db.writing() as session:
            await session.execute(update(table).where(table.c.id == letter_id).values(
                replayed_at=runtime.clock.now(), replay_error=error and error[:2000]))
        async with runtime.db.reading() as session:
            row = (await session.execute(select(table).where(table.c.id == letter_id))).first()
        if error:
            raise ApiError(422, "replay_failed", f"Replay failed: {error}",
                           "重放失败，死信仍保留，请查看错误原因。")
        return read(row)

    @router.get("/stats")
    async def stats() -> dict[str, object]:
        """Rows in each of this service's tables, events not yet published, open dead letters."""
        outbox = runtime.tables.outbox
        async with runtime.db.reading() as session:
            rows = {name: await session.scalar(select(func.count()).select_from(t))
                    for name, t in runtime.db.metadata.tables.items()}
            unpublished = await session.scalar(select(func.count()).select_from(outbox)
                                               .where(outbox.c.published_at.is_(None)))
            open_letters = await session.scalar(select(func.count()).select_from(table)
                                                .where(table.c.replayed_at.is_(None)))
        return {"service": runtime.name, "rows": rows, "outbox_unpublished": unpublished,
                "dead_letters_open": open_letters}

    return router


def preview(data: bytes) -> str:
    """The start of a message for operators, without personal data: private fields redacted,
    identity and phone numbers masked anywhere else."""
    text = data.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):  # malformed: masked as text
        text = json.dumps(_redact(json.loads(text)), ensure_ascii=False)
    return mask(text)[:PREVIEW]


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if k in PRIVATE and v not in (None, "") else _redact(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value
