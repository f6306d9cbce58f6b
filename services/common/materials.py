"""Material codes in a request, against the region's catalogue (``[materials]`` of its policy).

The window (a submission, a supplement) and a department (a materials request) refuse an
unknown code the same way: error ``invalid_materials``, one field per code at its position as
sent (``materials.N``), with the reason in English and Chinese.
"""

from collections.abc import Container, Sequence

INVALID_MATERIALS = "invalid_materials"


def unknown_materials(codes: Sequence[str], catalogue: Container[str]
                      ) -> list[tuple[str, str, str]]:
    """(field, reason, reason_zh) of each code not in ``catalogue``."""
    return [(f"materials.{n}", f"unknown material {code!r}",
             f"本地区材料目录中没有材料代码 {code}")
            for n, code in enumerate(codes) if code not in catalogue]
