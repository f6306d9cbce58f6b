"""Every shipped region says, for each item, whether an approval of it grants money — citing
the seed that says so, or marked a local choice like the other numbers."""

import re
import tomllib

import pytest
from pydantic import ValidationError

from contracts import Item
from services.common.policy import POLICY_DIR, Policy, known_regions, load_policy

SEED = re.compile(r"\b00[0-4]\b")


@pytest.mark.parametrize("region", known_regions())
def test_each_item_says_whether_it_pays_money_and_why(region: str) -> None:
    text = (POLICY_DIR / f"{region}.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)["items"]
    lines = [ln for ln in text.splitlines() if ln.startswith("pays_money")]
    assert all(isinstance(item.get("pays_money"), bool) for item in raw.values()), raw
    assert len(lines) == len(raw)
    for line in lines:
        comment = line.partition("#")[2]
        assert SEED.search(comment) or "local choice" in comment, line


@pytest.mark.parametrize("region", known_regions())
def test_the_statutory_allowances_pay_money_everywhere(region: str) -> None:
    policy = load_policy(region)
    for item in (Item.dibao, Item.tekun, Item.temporary_aid, Item.emergency_aid):
        if item in policy.items:
            assert policy.items[item].pays_money, item


def _default_with(**items: dict[str, object]) -> dict[str, object]:
    data = tomllib.loads((POLICY_DIR / "default.toml").read_text(encoding="utf-8"))
    for code, changes in items.items():
        data["items"][code] |= changes
    return data


@pytest.mark.parametrize("changes, problem", [
    ({"emergency_aid": {"pays_money": False}}, "items.emergency_aid: emergency aid gives money"),
])
def test_policy_check_names_an_inconsistent_pays_money(changes: dict[str, dict[str, object]],
                                                      problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.model_validate(_default_with(**changes))
    assert problem in str(caught.value)
