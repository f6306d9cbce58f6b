"""``onedoor policy check FILE``, ``policy show REGION``, ``policy list`` and ``onedoor deadline``.

A township adopting OneDoor writes its policy file and checks it here with the same code the
services run at start; staff ask when something is due without starting anything.
"""

import argparse
import contextlib
import logging
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from contracts import DEPARTMENT_NAMES, ITEM_NAMES
from services.common import workdays
from services.common.policy import Policy, known_regions, load_policy, load_policy_file
from services.intake.deadlines import STAGES, DeadlineError, check_received, compute


def add_parser(sub: argparse._SubParsersAction) -> None:
    policy = sub.add_parser("policy", help="check a region policy file, or show a region's items")
    actions = policy.add_subparsers(dest="policy_command", required=True)
    check = actions.add_parser("check", help="validate a policy file (exit 1 if it is not valid)")
    check.add_argument("file", type=Path, help="the policy file (.toml)")
    show = actions.add_parser("show", help="the items of a region: department, level, limit")
    show.add_argument("region", help=f"a shipped region ({', '.join(known_regions())}) "
                                     "or a policy file")
    actions.add_parser("list", help="every shipped region: its name, departments and items")

    deadline = sub.add_parser("deadline", help="when an item received at a given time is due")
    deadline.add_argument("--region", default="default",
                          help=f"a shipped region ({', '.join(known_regions())}) or a policy file")
    deadline.add_argument("--item", required=True, help="item code, e.g. dibao (required)")
    deadline.add_argument("--received", required=True,
                          help="ISO date-time; without an offset it is Shanghai time (required)")
    deadline.add_argument("--stage", choices=STAGES, default="decide",
                          help="which limit: " + ", ".join(STAGES))


def run(args: argparse.Namespace) -> int:
    if args.command == "deadline":
        return run_deadline(args)
    if args.policy_command == "show":
        return run_show(args.region)
    if args.policy_command == "list":
        return run_list()
    return run_check(args.file)


def run_check(path: Path) -> int:
    """Print ``OK ...`` and advice (exit 0), or every problem on its own line (exit 1)."""
    try:
        policy = load_policy_file(path)
    except ValidationError as exc:
        found = validation_problems(exc)
    except (OSError, ValueError) as exc:  # unreadable file, TOML syntax (with line), calendar
        found = [str(exc)]
    except Exception as exc:  # e.g. a holidays file of the wrong shape: a line, not a traceback
        found = [f"cannot read the policy or its holidays file: {exc.__class__.__name__}: {exc}"]
    else:
        print(f"OK {policy.region} ({policy.name}): {len(policy.departments)} departments, "
              f"{len(policy.items)} items")
        for line in advice(policy, path):
            print(f"warning: {line}")
        return 0
    for line in found:
        print(f"{path}: {line}")
    print(f"{len(found)} problem(s): {path} is not a valid policy")
    return 1


def validation_problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as ``location: message``; the cross-checks as one line each."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        # The cross-checks of policy_checks come joined by "; " in one error.
        for part in message.split("; ") if error["type"] == "value_error" else [message]:
            lines.append(f"{where}: {part}" if where else part)
    return lines


def advice(policy: Policy, path: Path) -> list[str]:
    """What is valid but probably not meant."""
    found = []
    if path.suffix == ".toml" and path.stem != policy.region:
        found.append(f"region {policy.region!r} differs from the file name {path.name!r}: in "
                     f"policies/ it would be found as {path.stem!r} but call itself "
                     f"{policy.region!r}")
    used: set[str] = set()
    for code, item in policy.items.items():
        emergency = item.emergency.paperwork_materials if item.emergency else []
        used.update(item.materials.required, item.materials.optional, emergency)
        if (item.route == "department" and item.level != "window"
                and not (item.materials.required or item.materials.optional or emergency)):
            found.append(f"items.{code}: no materials listed; the window cannot tell the "
                         "applicant what to bring (一次性告知)")
    verifiable = []
    for code, material in policy.materials.items():
        required_by = sum(code in i.materials.required for i in policy.items.values())
        if material.verifiable and required_by:
            verifiable.append(f"{code} ({material.name}, {required_by} item(s))")
        if code not in used:
            found.append(f"materials.{code} ({material.name}) is not used by any item")
    if verifiable:
        found.append("required but verifiable, so checked by the system and never demanded from "
                     f"the applicant: {', '.join(verifiable)}")
    return found


@contextlib.contextmanager
def _calendar_quiet() -> Iterator[None]:
    """The fall-back warning is printed once on stderr here, not logged to stdout as well."""
    logger = logging.getLogger(workdays.__name__)
    before, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = before


def run_deadline(args: argparse.Namespace) -> int:
    """Print the due time (ISO, +08:00) and a line in Chinese explaining it."""
    try:
        policy = load_policy(args.region)
        received = check_received(args.received)
        with _calendar_quiet():
            found = compute(policy, args.item, received, args.stage)
    except DeadlineError as exc:
        print(f"onedoor deadline: {exc} ({exc.message_zh})", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"onedoor deadline: {exc}", file=sys.stderr)
        return 2
    print(found.due_at.astimezone(workdays.SHANGHAI).isoformat())
    print(f"{found.explain()}（{policy.name}）")
    if found.calendar == "fallback":
        print(f"warning: no official holiday schedule for a year in this period: counted weekends "
              f"and the holidays of {policy.calendar.source} (未发布官方节假日安排，按周末及备用"
              "节假日文件计算)", file=sys.stderr)
    return 0


def run_show(region: str) -> int:
    """The items table of a region."""
    try:
        policy = load_policy(region)
    except (OSError, ValueError) as exc:
        print(f"onedoor policy show: {exc}", file=sys.stderr)
        return 2
    print(f"{policy.region} ({policy.name})")
    rows = [("item", "department", "level", "limit", "name")]
    for code, item in policy.items.items():
        department = policy.department_of(code)
        limit = policy.limit_of(code).describe()
        if item.extension:
            limit += f"（可延长{item.extension.describe()}）"
        rows.append((code.value, department.value if department else item.route, item.level,
                     limit, ITEM_NAMES[code]))
    for code, outside in policy.outside.items.items():
        rows.append((code.value, "outside", "-", "-", f"{ITEM_NAMES[code]}：{outside.go_to}"))
    widths = [max(_width(row[n]) for row in rows) + 2 for n in range(4)]
    for row in rows:
        print("".join(_pad(cell, w) for cell, w in zip(row, widths, strict=False)) + row[4])
    names = "、".join(DEPARTMENT_NAMES[d] for d in policy.departments)
    print(f"departments: {names}")
    return 0


def run_list() -> int:
    """Every shipped region: code and name, then its departments and its items."""
    broken = 0
    for region in known_regions():
        try:
            policy = load_policy(region)
        except Exception as exc:  # one broken file: say so, list the others
            print(f"onedoor policy list: {region}: {exc}", file=sys.stderr)
            broken += 1
            continue
        print(f"{policy.region}  {policy.name}")
        names = "、".join(DEPARTMENT_NAMES[d] for d in policy.departments)
        print(f"  departments ({len(policy.departments)}): {names}")
        print(f"  items ({len(policy.items)}): {', '.join(code.value for code in policy.items)}")
    return 1 if broken else 0


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
