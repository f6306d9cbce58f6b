"""Generated test data."""

import random
from typing import Any

from services.launcher.demo import sample_application


def application(rng: random.Random, items: list[str], **overrides: Any) -> dict[str, Any]:
    """A valid application body (valid identity number, phone...), different for each seed."""
    body = sample_application(rng, items)
    # No students unless a test asks: an approval of 低保/特困 then grants nothing by itself
    # (免申即享), so counts of tasks and notices stay what the items say.
    body["household"]["members"] = []
    body.update(overrides)
    return body
