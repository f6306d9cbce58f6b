"""What a consumer's batch is made of: the decoded deliveries, the retry policy, and the
one exception a handler raises to refuse a message."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.message import StreamMessage
from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts import Envelope


class Refused(Exception):
    """Raised by a handler, before it changed anything, for a message it must not apply (a
    second, different decision for a task already decided): the message is recorded as a dead
    letter with this reason, for the ops team, and acknowledged; the rest of the batch goes on.
    The reason is shown to operators: ids and codes only, never personal data."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing message is tried again, and how long to wait in between."""

    max_deliver: int = 8  # the consumer's max_deliver; the last failure becomes a dead letter
    ack_wait: float = 60.0  # seconds before an unacknowledged delivery is redelivered
    backoff_base: float = 2.0  # seconds before the 2nd delivery, doubling after each failure
    backoff_max: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.backoff_base * 2.0 ** (attempt - 1), self.backoff_max)


@dataclass(frozen=True, slots=True)
class Delivery:
    envelope: Envelope[Any]
    raw: Msg


def envelope_decoder(model: type[Envelope[Any]]) -> Callable[..., Awaitable[list[Any]]]:
    """FastStream decoder for a pull batch: validates each message on its own."""

    async def decode(message: StreamMessage[list[Msg]], _default: Any = None) -> list[Any]:
        deliveries: list[Delivery] = []
        malformed: list[tuple[Msg, str]] = []
        for raw in message.raw_message:
            try:
                deliveries.append(Delivery(model.model_validate_json(raw.data), raw))
            except ValidationError as exc:
                malformed.append((raw, _short(exc)))
        # Handed to BatchConsumer.process through the message, which it receives as well.
        message.deliveries = deliveries  # type: ignore[attr-defined]
        message.malformed = malformed  # type: ignore[attr-defined]
        return [d.envelope for d in deliveries]

    return decode


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(message)'}: {e['msg']}" for e in exc.errors()
    )[:2000]
