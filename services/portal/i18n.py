"""The screens' words in Chinese and English: ``messages/*.toml``, one table per screen, each
key ``{ zh = "...", en = "..." }``. Chinese is the default; the person's switch is a cookie."""

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
DEFAULT = "zh"
COOKIE = "onedoor_lang"
MESSAGES = Path(__file__).parent / "messages"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every message: ``"screen.key"`` → ``{"zh": ..., "en": ...}``."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES.glob("*.toml")):
        for screen, table in tomllib.loads(path.read_text(encoding="utf-8")).items():
            for key, texts in table.items():
                found[f"{screen}.{key}"] = texts
    return found


def lang_of(value: str | None) -> str:
    return value if value in LANGS else DEFAULT


class Translator:
    """``t(key)`` in one language (``t(key, n=3)`` fills ``{n}``). An unknown key
    shows itself (a test fails on any: tests/unit/test_portal_messages.py)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang_of(lang)
        self.messages = catalogue()

    def __call__(self, key: str, **values: Any) -> str:
        texts = self.messages.get(key)
        if texts is None:
            return key
        text = texts.get(self.lang) or texts.get(DEFAULT, key)
        return text.format(**values) if values else text

    def pick(self, zh: str | None, en: str | None) -> str:
        """Of a pair the API gives (``reason_zh``/``reason``), the one in this language."""
        if self.lang == "zh":
            return zh or en or ""
        return en or zh or ""
