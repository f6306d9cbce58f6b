"""The demo's accounts (``onedoor up --demo``): one per role and per department, the post
holders of the region, and the stand-ins the auto-decider acts as. Names only, no I/O."""

from dataclasses import dataclass

from services.accounts.domain import Role

DEMO_TOWNSHIP = "演示镇"


@dataclass(frozen=True)
class DemoAccount:
    key: str  # in demo-tokens.json and demo-accounts.json ("" for the ones not listed there)
    username: str
    display_name: str
    role: Role
    department: str | None = None
    township: str | None = None


def deciders(department: str) -> tuple[str, str, str]:
    """Who the auto-decider acts as in ``department``: accept, review, confirm — three
    accounts, since separation of duties needs three people (002 §一)."""
    return (f"demo-{department}-accept", f"demo-{department}-review",
            f"demo-{department}-confirm")


def demo_accounts(departments: list[str], supervisor: str,
                  holders: dict[str, list[str]]) -> list[DemoAccount]:
    """Every account the demo needs: ``supervisor`` named as the region's first supervisor,
    ``holders`` the post holders of each department."""
    out = [DemoAccount("window", "window-01", "窗口演示", Role.window, township=DEMO_TOWNSHIP),
           DemoAccount("supervisor", supervisor, "督办演示", Role.supervisor),
           DemoAccount("ops", "ops-demo", "运维演示", Role.ops),
           DemoAccount("admin", "admin-demo", "管理员演示", Role.admin)]
    for code in departments:
        # The window's own post (department "window") is keyed as its process, dept-window,
        # since "window" is the window role's key.
        key = f"dept-{code}" if code == Role.window else code
        out.append(DemoAccount(key, f"{code}-staff", f"{code} 演示", Role.department, code))
        out += [DemoAccount("", name, name, Role.department, code)
                for name in (*deciders(code), *holders.get(code, []))]
    seen: set[str] = set()
    return [a for a in out if not (a.username in seen or seen.add(a.username))]
