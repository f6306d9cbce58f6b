"""The versioned envelope every message travels in."""

from typing import ClassVar, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

P = TypeVar("P", bound=BaseModel)


class Envelope(BaseModel, Generic[P]):
    """Metadata common to every event; the event itself is ``payload``.

    ``message_id`` is deterministic for a given effect (it doubles as the JetStream
    ``Nats-Msg-Id``), so a re-publish after a crash is de-duplicated by the server.
    Unknown fields are ignored so that newer producers never break older consumers.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    EVENT: ClassVar[str] = ""

    message_id: str = Field(min_length=1, max_length=200)
    schema_version: int = SCHEMA_VERSION
    type: str = Field(min_length=1, max_length=100)
    occurred_at: AwareDatetime
    application_id: str = Field(min_length=1, max_length=64)
    correlation_id: str = Field(min_length=1, max_length=200)
    causation_id: str | None = Field(default=None, max_length=200)
    payload: P
