"""Substitution (同岗替代, 001) in a department on a real nats-server: A holds the post's
tasks; while A is away (approved by the leader in charge) new and open tasks go to B, each
handover in the task's history; once A is back, new tasks go to A again."""

import random
from datetime import timedelta

from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.departments.app import create_app
from tests.integration.test_departments_rules import (
    CIVIL,
    START,
    arrive,
    assigned,
    broker,
    refused,
    settings_for,
    until,
)
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer

A, B = "civil_dibao_a", "civil_dibao_b"
LEADER = "deputy_head"


async def test_a_away_sends_new_and_open_tasks_to_b_and_back_again(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    clock = MovableClock(START)
    app = create_app(settings_for(backend, nats_server), CIVIL, clock=clock)
    async with running(app) as api, broker(nats_server) as js:
        leader = api.as_(LEADER, role=Role.supervisor)  # the leader in charge approves absences
        for holder in (A, B):
            await api.staff.account(holder, Role.department, CIVIL)
        listed = {p["post"]: p for p in (await api.get("/api/v1/posts")).json()}
        assert set(listed) == {"dibao", "temporary_aid"}
        assert (listed["dibao"]["a"], listed["dibao"]["b"], listed["dibao"]["current"]) == (A, B, A)
        assert listed["dibao"]["away"] == []

        open_task = await arrive(js, api, assigned(rng, ["dibao"]))
        decided = await arrive(js, api, assigned(rng, ["tekun"]))
        other_post = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        no_post = await arrive(js, api, assigned(rng, ["disaster_relief"]))
        assert (open_task["assignee"], decided["assignee"]) == (A, A)
        assert (other_post["assignee"], no_post["assignee"]) == ("civil_temp_a", None)
        durl = f"/api/v1/tasks/{decided['id']}"
        await api.post(f"{durl}/accept", json={"by": "civil-x"})
        await api.post(f"{durl}/review", json={"by": "civil-y", "opinion": "同意"})
        await api.post(f"{durl}/decision", json={"outcome": "rejected", "reason": "收入超标",
                                                 "decided_by": "civil-z"})

        away = {"holder": A, "approved_by": LEADER, "reason": "病假"}
        refused(await leader.post("/api/v1/posts/no_such/away", json=away), 404, "post_not_found")
        wrong = refused(await leader.post("/api/v1/posts/dibao/away", json=away | {"holder": "x"}),
                        422, "not_a_holder")
        assert wrong["fields"][0]["field"] == "holder"
        # 001 同岗替代 五: approved by the leader in charge — a supervisor's account, never the
        # holder's nor a colleague's.
        mine = refused(await leader.post("/api/v1/posts/dibao/away", json=away | {"approved_by": A}),
                       422, "validation_failed")
        assert mine["fields"][0]["field"] == "approved_by"
        refused(await api.as_(A).post("/api/v1/posts/dibao/away",
                                      json={"holder": A, "reason": "病假"}), 403, "forbidden")
        refused(await api.post("/api/v1/posts/dibao/away", json={"holder": A, "reason": "病假"}),
                403, "forbidden")
        refused(await leader.post("/api/v1/posts/dibao/away",
                                  json=away | {"until": (START - timedelta(hours=1)).isoformat()}),
                422, "until_in_past")

        first, retry = [await leader.post("/api/v1/posts/dibao/away", json=away)
                        for _ in range(2)]
        assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
        assert first.json()["current"] == B
        [absence] = first.json()["away"]
        assert (absence["holder"], absence["approved_by"], absence["reason"]) == (A, LEADER, "病假")

        handed = await until(api, open_task["id"], lambda t: True)
        assert handed["assignee"] == B
        assert (await api.get(durl)).json()["assignee"] == A  # decided: stays as it was
        assert (await api.get(f"/api/v1/tasks/{other_post['id']}")).json()["assignee"] == "civil_temp_a"
        [line] = [h for h in (await api.get(f"/api/v1/tasks/{open_task['id']}/history")).json()
                  if h["kind"] == "reassigned"]
        assert line["by"] == LEADER
        assert line["detail"] == {"from_holder": A, "to_holder": B, "reason": "病假"}

        new = await arrive(js, api, assigned(rng, ["dibao_edge"]))
        assert new["assignee"] == B
        held_by_b = (await api.get(f"/api/v1/tasks?assignee={B}")).json()["items"]
        assert sorted(t["id"] for t in held_by_b) == sorted([open_task["id"], new["id"]])

        refused(await api.as_(B).post("/api/v1/posts/dibao/back", json={"holder": A}), 403,
                "not_the_holder")
        back = await api.as_(A).post("/api/v1/posts/dibao/back", json={"holder": A})
        assert back.status_code == 200
        assert (back.json()["current"], back.json()["away"]) == (A, [])
        after = await arrive(js, api, assigned(rng, ["dibao"]))
        assert after["assignee"] == A
        assert (await api.get(f"/api/v1/tasks/{open_task['id']}")).json()["assignee"] == B

        # An absence with a planned return ends by itself then.
        planned = away | {"until": (START + timedelta(days=1)).isoformat()}
        assert (await leader.post("/api/v1/posts/dibao/away", json=planned)).json()["current"] == B
        assert (await arrive(js, api, assigned(rng, ["dibao"])))["assignee"] == B
        clock.advance(days=2)
        assert (await arrive(js, api, assigned(rng, ["dibao"])))["assignee"] == A
        assert {p["post"]: p["current"] for p in (await api.get("/api/v1/posts")).json()} == {
            "dibao": A, "temporary_aid": "civil_temp_a"}


async def test_a_department_without_posts_lists_none(backend: Backend, nats_server: NatsServer) -> None:
    app = create_app(settings_for(backend, nats_server), "education", clock=MovableClock(START))
    async with running(app) as api:
        assert (await api.get("/api/v1/posts")).json() == []
        refused(await api.as_(role=Role.supervisor).post("/api/v1/posts/dibao/back",
                                                         json={"holder": A}), 404, "post_not_found")
