"""Cross-checks of a region policy: each problem as one sentence naming the entry."""

from typing import TYPE_CHECKING

from contracts import Department

if TYPE_CHECKING:
    from services.common.policy import Policy


def problems(policy: "Policy") -> list[str]:
    found: list[str] = []
    owners: dict[str, Department] = {}
    for dept, dp in policy.departments.items():
        for item in dp.items:
            if item in owners:
                found.append(f"item {item} is handled by both {owners[item]} and {dept}")
            owners[item] = dept
            if item not in policy.items:
                found.append(f"departments.{dept}: item {item} has no entry under [items]")
    for code, item in policy.items.items():
        where = f"items.{code}"
        if item.route == "department" and code not in owners:
            found.append(f"{where}: route is department but no department lists it")
        if item.route != "department" and code in owners:
            found.append(f"{where}: route is {item.route} but departments.{owners[code]} lists it")
        if item.route == "referral" and not item.referral_to:
            found.append(f"{where}: a referral needs referral_to (the organisation)")
        if item.level not in policy.levels:
            found.append(f"{where}: level {item.level} has no entry under [levels]")
        elif item.limit is None and policy.levels[item.level].handle is None:
            found.append(f"{where}: no limit, and level {item.level} has no handle limit")
        is_window = owners.get(code) == Department.window
        if is_window != (item.level == "window" and item.route == "department"):
            found.append(f"{where}: the window department handles exactly the items of level "
                         "window")
        for material in [*item.materials.required, *item.materials.optional,
                         *(item.emergency.paperwork_materials if item.emergency else [])]:
            if material not in policy.materials:
                found.append(f"{where}: material {material} has no entry under [materials]")
        for alt in item.alternates:
            if alt not in policy.departments:
                found.append(f"{where}: alternate {alt} is not a department of this region")
            elif alt == owners.get(code):
                found.append(f"{where}: alternate {alt} is the item's own department")
        if item.emergency and not item.pays_money:
            found.append(f"{where}: emergency aid gives money: set pays_money = true")
        if item.extension and item.limit and item.limit.total_with(item.extension) is None:
            found.append(f"{where}: extension must use the same unit as the limit")
    for code in policy.outside.items:
        if code in policy.items:
            found.append(f"outside.items.{code}: the item is also handled under [items]")
    posted: dict[tuple[str, str], str] = {}
    for name, post in policy.posts.items():
        for item in post.items:
            if (post.department, item) in posted:
                found.append(f"posts.{name}: {item} is already in posts.{posted[post.department, item]}")
            posted[post.department, item] = name
        if post.a == post.b:
            found.append(f"posts.{name}: the A and B holders must be different people")
        for item in post.items:
            if owners.get(item) != post.department:
                found.append(f"posts.{name}: {item} is not handled by {post.department}")
    for n, grant in enumerate(policy.automatic_grants):
        if owners.get(grant.grant) != grant.department:
            found.append(f"automatic_grants[{n}]: {grant.grant} is not handled by "
                         f"{grant.department}")
        for item in grant.when_approved:
            if item not in owners:
                found.append(f"automatic_grants[{n}]: {item} is not handled by any department")
    return found
