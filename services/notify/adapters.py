"""Channel adapters: where a notice goes. The defaults record what they would send."""

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Protocol

from services.common.masking import mask_text
from services.notify.domain import Notice


class ChannelAdapter(Protocol):
    async def send(self, notice: Notice) -> None: ...


class RecordingAdapter:
    """Appends each notice as a JSON line: the default SMS gateway and the window inbox.

    What a developer needs to see that a notice went out (its id, channel, kind and text)
    with the personal data masked: the phone number, and the applicant's name in the text
    (``139****5678``, ``王**``). A production SMS adapter posts to the operator's gateway, in
    full, with ``notice.id`` as the request id, so that a repeat after a crash is dropped by
    the gateway.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Like a gateway that drops a request id it has seen: a notice sent again after a
        # crash (sent, but not yet marked sent) is not recorded twice.
        self.sent: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, KeyError):
                    self.sent.add(json.loads(line)["id"])

    async def send(self, notice: Notice) -> None:
        if notice.id in self.sent:
            return
        line = json.dumps({"id": notice.id, "channel": notice.channel,
                           "recipient": mask_text(notice.recipient), "kind": notice.kind,
                           "text": mask_text(notice.text, notice.names)},
                          ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append, line)
        self.sent.add(notice.id)

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)


class Channels:
    def __init__(self, adapters: dict[str, ChannelAdapter]) -> None:
        self.adapters = adapters

    async def send(self, notice: Notice) -> None:
        await self.adapters[notice.channel].send(notice)
