"""The region's items and materials as the window's screens use them, read from intake's
catalogue APIs (``/api/v1/departments``, ``/api/v1/materials``): items grouped by the
department (and so the situation) they serve, and what each still lacks."""

from dataclasses import dataclass, field
from typing import Any

from contracts import ITEM_NAMES, Item
from services.portal.i18n import Translator
from services.portal.web import Viewer

OTHER = "other"  # the group of items no department owns: joint meeting, referral, refusal


@dataclass(frozen=True)
class ItemEntry:
    code: str
    name: str
    department: str | None
    limit_text: str  # e.g. 20个工作日; "" when no department handles it
    required: list[str]


@dataclass(frozen=True)
class Group:
    code: str  # a department's code, or OTHER
    name: str  # the department's name as the region calls it
    items: list[ItemEntry]


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    verifiable: bool  # the system checks it: never asked of the applicant
    needed_by: list[str] = field(default_factory=list)  # item names


@dataclass(frozen=True)
class Catalogue:
    groups: list[Group]
    materials: dict[str, Material]

    @property
    def items(self) -> dict[str, ItemEntry]:
        return {i.code: i for g in self.groups for i in g.items}

    @property
    def asked(self) -> list[Material]:
        """The materials an applicant may be asked to bring."""
        return [m for m in self.materials.values() if not m.verifiable]

    @property
    def verified(self) -> list[Material]:
        return [m for m in self.materials.values() if m.verifiable]

    def material_name(self, code: str) -> str:
        found = self.materials.get(code)
        return found.name if found else code

    def missing(self, items: list[str], brought: list[str]) -> list[tuple[str, list[str]]]:
        """(material name, item names) still missing for ``items``, as the API counts them."""
        known = self.items
        needs: dict[str, list[str]] = {}
        for code in items:
            for material in known[code].required if code in known else []:
                found = self.materials.get(material)
                if material not in brought and found and not found.verifiable:
                    needs.setdefault(material, []).append(known[code].name)
        return [(self.material_name(code), names) for code, names in needs.items()]

    def page_data(self, t: Translator) -> dict[str, Any]:
        """What the form's script needs (embedded in the page as JSON, not as script)."""
        return {"items": {i.code: {"name": i.name, "required": i.required}
                          for i in self.items.values()},
                "materials": {m.code: {"name": m.name, "verifiable": m.verifiable}
                              for m in self.materials.values()},
                "text": {"none_missing": t("intake_form.none_missing"),
                         "choose_items": t("intake_form.choose_items"),
                         "checking": t("intake_form.checking"),
                         "looks_valid": t("intake_form.looks_valid"),
                         "missing_for": t("intake_form.missing_for")}}


def build(departments: list[dict[str, Any]], materials: list[dict[str, Any]]) -> Catalogue:
    """The catalogue from the two APIs' answers."""
    required_by: dict[str, list[str]] = {}
    for material in materials:
        for ref in material["required_by"]:
            required_by.setdefault(ref["code"], []).append(material["code"])
    groups = [Group(d["code"], d["name"], [
        ItemEntry(i["code"], i["name"], d["code"], i["limit_text"], list(i["required_materials"]))
        for i in d["items"]]) for d in departments]
    owned = {i.code for g in groups for i in g.items}
    # Items no department owns are still registered: the API puts them before the joint
    # meeting, refers them, or refuses them in writing with where to go.
    others = [ItemEntry(code, ITEM_NAMES[Item(code)], None, "", required_by.get(code, []))
              for code in map(str, Item) if code not in owned]
    if others:
        groups.append(Group(OTHER, "", others))
    names = {i.code: i.name for g in groups for i in g.items}
    return Catalogue(groups, {m["code"]: Material(
        m["code"], m["name"], m["verifiable"], [names.get(r["code"], r["name"])
                                                for r in m["required_by"]])
        for m in materials})


async def load_catalogue(person: Viewer) -> Catalogue:
    """The region's catalogue, as ``person`` may read it."""
    return build(await person.get("intake", "/api/v1/departments"),
                 await person.get("intake", "/api/v1/materials"))
