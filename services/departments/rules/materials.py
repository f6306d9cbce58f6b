"""What a department may ask an applicant to bring (一次性告知, 001): materials the region
knows, and never one the system can verify itself (002 §九)."""

from contracts import MaterialNeed
from services.common.policy import MaterialPolicy
from services.departments.domain import TaskRuleError


def material_needs(codes: list[str], known: dict[str, MaterialPolicy],
                   items: list[str]) -> list[MaterialNeed]:
    """The materials asked for, named as the policy names them; every bad code is reported."""
    problems: list[tuple[str, str, str]] = []
    for n, code in enumerate(codes):
        if code not in known:
            problems.append((f"materials.{n}", f"unknown material {code!r}",
                             f"未知的材料代码 {code}"))
        elif known[code].verifiable:
            problems.append((f"materials.{n}",
                             f"{code} is verified by the system itself: do not ask for it",
                             f"{known[code].name}可由系统核验，不得要求群众提供"))
    if problems:
        raise TaskRuleError("invalid_materials", "some materials cannot be asked for",
                            "部分材料不能要求补充", fields=problems)
    return [MaterialNeed(code=c, name=known[c].name, items=items) for c in codes]
