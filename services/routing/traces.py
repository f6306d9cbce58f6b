"""Which trace a hand-off belongs to: the application's, whoever makes the hand-off.

A hand-off made while consuming a message is in that message's trace (the application's,
continued from the window). One made by a person in a request of their own (the joint
meeting, maybe days later) continues the trace the case was queued in, linked to the
request, as a department's decision continues its task's."""

from typing import Any

from opentelemetry import trace

from services.common.tracing import APPLICATION_ID, ITEMS, extract, inject, span_context_of
from services.common.uow import Transaction


def trace_id(tx: Transaction) -> str | None:
    """The id of the trace the transaction's work belongs to; None if there is none (tracing
    off), never made up."""
    span = tx.causing_span or trace.get_current_span()
    context = span.get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


def trace_parent(tx: Transaction) -> dict[str, str] | None:
    """The W3C headers that continue the transaction's trace later (kept with a case)."""
    return inject(tx.causing_span) if tx.causing_span is not None else None


def continue_trace(tx: Transaction, parent: dict[str, Any] | None, name: str, *,
                   application_id: str, items: list[str]) -> None:
    """A person's request acts on something queued earlier in the application's trace
    (``parent``): the request links to it, and a span in that trace, linked back to the
    request, becomes the cause of what is recorded and published now."""
    queued = span_context_of(parent)
    if not queued.is_valid:
        return  # queued before cases kept their trace: the request's own trace it is
    request = tx.causing_span or trace.get_current_span()
    if request.is_recording():
        request.add_link(queued)
        request.set_attribute(APPLICATION_ID, application_id)
    links = [trace.Link(request.get_span_context())] if request.get_span_context().is_valid else []
    span = tx.tracer.start_span(name, context=extract(parent), links=links,
                                attributes={APPLICATION_ID: application_id, ITEMS: items})
    span.end()
    tx.causing_span = span
