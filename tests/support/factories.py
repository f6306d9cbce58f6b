"""Generated test data."""

import random
from typing import Any

from services.launcher.demo import sample_application


def application(rng: random.Random, items: list[str], **overrides: Any) -> dict[str, Any]:
    """A valid application body (valid identity number, phone...), different for each seed."""
    body = sample_application(rng, items)
    body.update(overrides)
    return body
