"""Staff accounts and what each role reaches, with no I/O.

``services/accounts`` is not a process: it is the identity store every service reads, shared
like ``services/common`` (the one exception to "no service imports another": identity is
not a service's business, and each service must know who calls it). An account has one
role; a department account belongs to one department, a window account to one township.
The acting person always comes from the credential (``Actor``), never from a request body.
"""

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    window = "window"  # registers, searches and reads its township's applications
    department = "department"  # its own department's tasks only
    supervisor = "supervisor"  # reads everything in the region; extensions, joint meeting
    ops = "ops"  # traces, metrics, ledger, dead letters, status — personal data masked
    admin = "admin"  # accounts


ROLE_NAMES_ZH = {Role.window: "窗口", Role.department: "部门", Role.supervisor: "督办",
                 Role.ops: "运维", Role.admin: "管理员"}
# How a caller proved who they are.
VIA_TOKEN, VIA_OIDC = "token", "oidc"

USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,50}")
TOKEN_PREFIX = "od_"
_TOKEN = re.compile(r"od_([0-9a-f]{32})\.([A-Za-z0-9_-]{20,100})")


@dataclass(frozen=True)
class Actor:
    """The person behind a request, as their credential says."""

    account_id: str
    username: str
    display_name: str
    role: Role
    department: str | None = None
    region: str | None = None
    township: str | None = None
    via: str = VIA_TOKEN


class AccountRuleError(ValueError):
    """An account that cannot be: ``field`` names the part at fault (English and Chinese)."""

    def __init__(self, field: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.field, self.message, self.message_zh = field, message, message_zh


def check_account(username: str, role: Role, department: str | None,
                  departments: list[str]) -> None:
    """A department account names one department of ``departments``; no other role does."""
    if not USERNAME.fullmatch(username):
        raise AccountRuleError("username", "letters, digits and _ . @ - only, at most 50",
                               "用户名只能包含字母、数字和 _ . @ -，最长50个字符")
    if role == Role.department and department not in departments:
        raise AccountRuleError("department", f"a department account names its department: "
                               f"one of {', '.join(departments)}", "部门账号须指定所属部门")
    if role != Role.department and department is not None:
        raise AccountRuleError("department", "only a department account has a department",
                               "只有部门账号才有所属部门")


def new_token() -> tuple[str, str, str]:
    """A new API token: (token id, secret, the token as handed out: ``od_<id>.<secret>``)."""
    token_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    return token_id, secret, f"{TOKEN_PREFIX}{token_id}.{secret}"


def parse_token(token: str) -> tuple[str, str] | None:
    """(token id, secret) of an API token; None if it does not look like one."""
    found = _TOKEN.fullmatch(token)
    return (found.group(1), found.group(2)) if found else None


def new_password() -> str:
    """A generated password, shown once: 16 characters a person can type."""
    return secrets.token_urlsafe(12)


# --- what each role reaches -------------------------------------------------------------

def may_read_application(actor: Actor, township: str | None) -> bool:
    """Supervisors read every application of the region (operations staff too, masked: see
    ``sees_personal_data_in_full``); a window its own township's."""
    if actor.role in (Role.supervisor, Role.ops):
        return True
    return actor.role == Role.window and actor.township == township


def may_use_department(actor: Actor, department: str, *, writing: bool) -> bool:
    """A department's service answers its own staff; supervisors may read it."""
    if actor.role == Role.department:
        return actor.department == department
    return actor.role == Role.supervisor and not writing


def sees_personal_data_in_full(actor: Actor) -> bool:
    """Operations staff never see an applicant's name, identity number or phone in full."""
    return actor.role != Role.ops
