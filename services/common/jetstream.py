"""The one stream, its declaration, and the batch subscriber every consumer uses."""

import asyncio
import builtins
import contextlib
import logging
from time import monotonic
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsMessage, NatsRouter, PullSub
from faststream.nats.subscriber.usecases import stream_pull_subscriber
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as ServerAckPolicy
from nats.js.api import (
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError

from contracts import Envelope, subjects
from services.common.consumer import (
    BatchConsumer,
    BatchLock,
    Handler,
    RetryPolicy,
    envelope_decoder,
)

log = logging.getLogger(__name__)

# faststream 0.7.8's pull loops catch ``nats.errors.TimeoutError`` around ``fetch``, but
# nats-py 2.16 (since nats.py#934) also raises the builtin ``asyncio.TimeoutError`` when the
# fetch deadline runs out, which kills the loop (restarted by faststream, with a traceback).
# The builtin is the base of nats-py's own, so catching it covers both.
stream_pull_subscriber.TimeoutError = builtins.TimeoutError  # type: ignore[misc]

# How long a pull waits to fill a batch: the latency a lone message pays at each hop, and
# what lets a busy consumer commit hundreds of messages in one transaction.
FILL_SECONDS = 0.02
BATCH_SIZE = 250
# A consumer whose last pull found nothing waits for its next message in one pull that the
# server answers as soon as a message is there (or after this long): at rest each consumer
# asks once every few seconds instead of fifty times a second (issue 11: idle CPU).
IDLE_WAIT_SECONDS = 5.0


async def _consume_pull_quietly(self: Any) -> None:
    """faststream's batch pull loop (BatchPullStreamSubscriber._consume_pull), but quiet at
    rest: after an empty round the next one starts with a long pull for one message, then
    fills the batch as usual for ``FILL_SECONDS``."""
    batch_size, fill = self.pull_sub.batch_size, self.pull_sub.timeout
    quiet = False
    while self.running:
        messages: list[Msg] = []
        try:
            if quiet:
                messages = await self.subscription.fetch(batch=1, timeout=IDLE_WAIT_SECONDS)
            deadline = monotonic() + fill
            while len(messages) < batch_size and self.running \
                    and (remaining := deadline - monotonic()) > 0:
                try:
                    messages += await self.subscription.fetch(
                        batch=batch_size - len(messages), timeout=remaining)
                except builtins.TimeoutError:
                    break
        except builtins.TimeoutError:
            pass  # nothing for IDLE_WAIT_SECONDS: ask again
        except (ConnectionClosedError, ServiceUnavailableError):
            messages = []  # unacknowledged: the server delivers them again
            await asyncio.sleep(fill)  # then ask again (faststream asks at once: a tight spin)
        quiet = not messages
        if messages and self.running:
            await self.consume(messages)


stream_pull_subscriber.BatchPullStreamSubscriber._consume_pull = _consume_pull_quietly  # type: ignore[method-assign]



def stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=subjects.STREAM,
        subjects=list(subjects.STREAM_SUBJECTS),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=subjects.DUPLICATE_WINDOW.total_seconds(),
        max_age=subjects.STREAM_MAX_AGE.total_seconds(),
        num_replicas=replicas,
    )


# Subscribers never declare the stream: ``ensure_stream`` is the only place that does.
STREAM = JStream(subjects.STREAM, declare=False)


async def ensure_stream(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the stream, or bring an existing one to this configuration (the admin user's
    work on a closed bus; a service's own only on an open one)."""
    config = stream_config(replicas)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


class StreamMissing(RuntimeError):
    """The stream is not declared (yet): on a closed bus only the admin user declares it."""


async def stream_exists(js: JetStreamContext) -> None:
    """Raise StreamMissing until the admin has declared the stream (a service on a closed bus
    may read the stream's information, never create or change it)."""
    try:
        await js.stream_info(subjects.STREAM)
    except NotFoundError:
        raise StreamMissing(f"the stream {subjects.STREAM} is not declared yet (the admin "
                            f"declares it: 'onedoor up', or 'onedoor nats declare')") from None


def durable_config(subject: str, durable: str, retry: RetryPolicy,
                   batch_size: int = BATCH_SIZE) -> ConsumerConfig:
    """The durable consumer as the server keeps it: what the subscriber creates at start, and
    what the watchdog creates again if it was deleted."""
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        filter_subject=subject,
        ack_policy=ServerAckPolicy.EXPLICIT,
        ack_wait=retry.ack_wait,
        max_deliver=retry.max_deliver,
        max_ack_pending=batch_size * 8,
    )


def batch_subscriber(
    router: NatsRouter,
    subject: str,
    *,
    durable: str,
    model: type[Envelope[Any]],
    description: str,
    retry: RetryPolicy,
    batch_size: int = BATCH_SIZE,
) -> Any:
    """A durable pull subscriber delivering validated batches, acknowledged by the handler."""
    return router.subscriber(
        subject,
        stream=STREAM,
        durable=durable,
        # A copy: nats-py fills in the config it is given when it creates the consumer.
        config=durable_config(subject, durable, retry, batch_size),
        pull_sub=PullSub(batch_size=batch_size, timeout=FILL_SECONDS, batch=True),
        # None: the connection's own inbox (``_INBOX.<user>`` on a closed bus, natsauth.py),
        # where faststream would otherwise pull into the shared ``_INBOX.``.
        inbox_prefix=None,
        ack_policy=AckPolicy.MANUAL,
        decoder=envelope_decoder(model),
        description=description,
    )


def documented_publisher(
    router: NatsRouter, subject: str, model: type[Envelope[Any]], description: str
) -> None:
    """Declare, for the AsyncAPI document, an event this service publishes through its outbox."""
    router.publisher(subject, schema=model, description=description)


def consume(
    router: NatsRouter,
    consumer: BatchConsumer,
    subject: str,
    *,
    model: type[Envelope[Any]],
    handle: Handler,
    description: str,
    lock: BatchLock | None = None,
) -> None:
    """Subscribe ``consumer`` (its name is the durable) to ``subject``: each message → ``handle``
    (``lock``: first, once per batch, with the batch's new messages)."""

    async def on_batch(batch: list[model], message: NatsMessage) -> None:  # type: ignore[valid-type]
        await consumer.process(message)

    # The name becomes the operation's name in the AsyncAPI document.
    on_batch.__name__ = on_batch.__qualname__ = consumer.name.replace("-", "_")
    subscriber = batch_subscriber(router, subject, durable=consumer.name, model=model,
                                  description=description, retry=consumer.retry)
    subscriber(on_batch)
    consumer.bind(model, handle, subscriber,
                  durable_config(subject, consumer.name, consumer.retry), lock)


def reader_name(durable: str) -> str:
    """The short-lived consumer through which ``durable``'s service reads back one message of
    its own subject. Its NATS user may create, pull from and delete this one name, filtered
    to its durable's subject: reading the stream by sequence (``js.get_msg``) would let it read
    every other service's messages too."""
    return f"{durable}-reader"


async def read_own_message(js: JetStreamContext, durable: ConsumerConfig, seq: int,
                           timeout: float = 5.0) -> Msg | None:
    """The message at stream sequence ``seq`` of ``durable``'s filter subject (None if it is
    gone), read through its reader consumer, which is deleted again afterwards."""
    name = reader_name(durable.durable_name or durable.name or "")
    reader = ConsumerConfig(
        name=name, filter_subject=durable.filter_subject,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=seq,
        ack_policy=ServerAckPolicy.NONE, mem_storage=True, num_replicas=1,
        inactive_threshold=60.0)  # the server removes one a crash left behind
    with contextlib.suppress(NotFoundError):  # left by a read that was interrupted
        await js.delete_consumer(subjects.STREAM, name)
    await js.add_consumer(subjects.STREAM, reader)
    sub = await js.pull_subscribe_bind(name, stream=subjects.STREAM)
    try:
        found = await sub.fetch(1, timeout=timeout)
    except builtins.TimeoutError:
        found = []
    finally:
        await sub.unsubscribe()
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(subjects.STREAM, name)
    if not found or found[0].metadata.sequence.stream != seq:
        return None
    return found[0]
