"""What a department may ask an applicant to bring (一次性告知, 001): materials the region
knows, and never one the system can verify itself (002 §九)."""

from contracts import MaterialNeed
from services.common.materials import INVALID_MATERIALS, unknown_materials
from services.common.policy import MaterialPolicy
from services.departments.domain import TaskRuleError


def material_needs(codes: list[str], known: dict[str, MaterialPolicy],
                   items: list[str]) -> list[MaterialNeed]:
    """The materials asked for (each once), named as the policy names them; every bad code is
    reported at its position as sent."""
    problems = unknown_materials(codes, known)
    problems += [(f"materials.{n}", f"{code} is verified by the system itself: do not ask for it",
                  f"{known[code].name}可由系统核验，不得要求群众提供")
                 for n, code in enumerate(codes) if code in known and known[code].verifiable]
    if problems:
        raise TaskRuleError(INVALID_MATERIALS, "some materials cannot be asked for",
                            "部分材料不能要求补充",
                            fields=sorted(problems, key=lambda p: int(p[0].split(".")[1])))
    return [MaterialNeed(code=c, name=known[c].name, items=items) for c in dict.fromkeys(codes)]
