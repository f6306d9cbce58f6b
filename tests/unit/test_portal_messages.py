"""Every word a screen shows exists in Chinese and in English: each key a template or page
module names (``t("screen.key")``) is in services/portal/messages/*.toml with both, and the
roles and departments named by code have theirs."""

import re
from pathlib import Path

from contracts import Department
from services.accounts.domain import Role
from services.portal.i18n import LANGS, Translator, catalogue

PORTAL = Path(__file__).resolve().parents[2] / "services" / "portal"
_USED = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def _used_keys() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.py")]:
        for key in _USED.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, set()).add(str(path.relative_to(PORTAL)))
    return found


def test_every_key_used_has_both_languages() -> None:
    messages = catalogue()
    used = _used_keys()
    assert len(used) > 20
    missing = {key: sorted(where) for key, where in used.items() if key not in messages}
    assert not missing, missing
    for key, texts in messages.items():
        assert set(LANGS) <= set(texts), key
        assert all(texts[lang].strip() for lang in LANGS), key


def test_roles_and_departments_have_names() -> None:
    t = Translator("en")
    for code in [*Role, *Department]:
        prefix = "role" if code in Role else "department"
        assert t(f"{prefix}.{code}") != f"{prefix}.{code}", code
    assert Translator("zh")("nav.window") == "窗口工作台"
    assert Translator("fr")("nav.window") == "窗口工作台"  # an unknown language: Chinese
