"""The acting person comes from the credential, and each role reaches its own: a department
another's tasks never, a window its township's applications only, operations staff the
applicant masked; three duties need three real accounts; a disabled account stops working."""

import random
from pathlib import Path

from services.accounts.domain import Role
from services.common.clock import MovableClock
from services.common.settings import Settings
from services.departments.app import create_app as create_department
from services.intake.app import create_app as create_intake
from tests.integration.test_departments_rules import (
    CIVIL,
    START,
    arrive,
    assigned,
    broker,
    refused,
    settings_for,
)
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async


async def test_the_actor_is_the_account_and_a_body_naming_another_is_refused(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    app = create_department(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["temporary_aid"]))
        url = f"/api/v1/tasks/{task['id']}"
        mine = api.as_("mz-07")
        wrong = refused(await mine.post(f"{url}/accept", json={"by": "mz-08"}), 422,
                        "validation_failed")
        assert [f["field"] for f in wrong["fields"]] == ["by"]
        assert "mz-07" in wrong["fields"][0]["reason_zh"]
        accepted = await mine.post(f"{url}/accept", json={})  # no body field: the account
        assert accepted.status_code == 200 and accepted.json()["accepted_by"] == "mz-07"
        named = await mine.post(f"{url}/decision", json={
            "outcome": "rejected", "reason": "收入超标", "decided_by": "mz-07"})
        assert named.status_code == 200 and named.json()["decided_by"] == "mz-07"


async def test_a_department_never_reads_another_departments_task(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = settings_for(backend, nats_server)
    app = create_department(settings, CIVIL, clock=MovableClock(START))
    async with running(app) as civil, broker(nats_server) as js:
        task = await arrive(js, civil, assigned(rng, ["temporary_aid"]))
        education = civil.as_("jy-01", role=Role.department, department="education")
        for path in (f"/api/v1/tasks/{task['id']}", "/api/v1/tasks",
                     f"/api/v1/tasks/{task['id']}/history"):
            refused(await education.get(path), 403, "other_department")
        refused(await education.post(f"/api/v1/tasks/{task['id']}/accept", json={}), 403,
                "other_department")
        supervisor = civil.as_("center_director", role=Role.supervisor)
        assert (await supervisor.get(f"/api/v1/tasks/{task['id']}")).status_code == 200
        refused(await supervisor.post(f"/api/v1/tasks/{task['id']}/accept", json={}), 403,
                "forbidden")  # supervisors read a department's tasks; its staff handle them


async def test_three_duties_need_three_accounts(backend: Backend, nats_server: NatsServer,
                                                rng: random.Random) -> None:
    app = create_department(settings_for(backend, nats_server), CIVIL, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["dibao"]))
        url = f"/api/v1/tasks/{task['id']}"
        first, second, third = api.as_("mz-a"), api.as_("mz-b"), api.as_("mz-c")
        assert (await first.post(f"{url}/accept", json={})).status_code == 200
        refused(await first.post(f"{url}/review", json={"opinion": "同意"}), 409,
                "separation_of_duties")  # the acceptor cannot review too
        assert (await second.post(f"{url}/review", json={"opinion": "同意"})).status_code == 200
        for one in (first, second):  # nor may either confirm
            refused(await one.post(f"{url}/decision", json={
                "outcome": "approved", "amount": "600"}), 409, "separation_of_duties")
        done = await third.post(f"{url}/decision", json={"outcome": "approved", "amount": "600"})
        assert done.status_code == 200, done.text
        assert (done.json()["accepted_by"], done.json()["reviewed_by"],
                done.json()["decided_by"]) == ("mz-a", "mz-b", "mz-c")


async def test_a_window_reads_its_own_township_and_ops_read_masked(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs())
    async with running(create_intake(settings)) as intake:
        body = application(rng, ["housing_aid"])
        body.pop("received_by")
        created = await intake.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        view = created.json()
        assert (view["received_by"], view["township"]) == ("window-test", "测试镇")
        url = f"/api/v1/applications/{view['id']}"

        elsewhere = intake.as_("window-x", township="河口镇")
        refused(await elsewhere.get(url), 403, "other_township")
        refused(await elsewhere.post(f"{url}/materials", json={"materials": ["income_proof"]}),
                403, "other_township")
        assert (await elsewhere.get("/api/v1/applications")).json()["total"] == 0
        assert (await intake.get("/api/v1/applications")).json()["total"] == 1
        supervisor = intake.as_("center_director", role=Role.supervisor)
        assert (await supervisor.get(url)).json()["applicant"] == view["applicant"]

        ops = intake.as_("ops-01", role=Role.ops)
        seen = (await ops.get(url)).json()
        name, id_number = view["applicant"]["name"], view["applicant"]["id_number"]
        assert seen["applicant"]["name"] == name[0] + "*" * (len(name) - 1)
        assert seen["applicant"]["id_number"] == id_number[:6] + "*" * 8 + id_number[-4:]
        phone = view["applicant"]["phone"].removeprefix("+86")
        assert seen["applicant"]["phone"] == f"{phone[:3]}****{phone[-4:]}"
        listed = (await ops.get("/api/v1/applications")).json()["items"]
        assert [a["applicant_name"] for a in listed] == [seen["applicant"]["name"]]
        text = (await ops.get(url)).text
        assert name not in text and id_number not in text and phone not in text
        refused(await ops.get("/api/v1/applications", params={"name": name[0]}), 403,
                "forbidden")


async def test_a_disabled_account_is_refused_within_seconds_and_sign_in_gives_a_token(
        tmp_path: Path, nats_server: NatsServer) -> None:
    settings = Settings(nats_url=nats_server.url, data_dir=tmp_path, auth_cache_seconds=1)
    async with running(create_intake(settings)) as intake:
        admin = intake.as_("admin-01", role=Role.admin)
        made = await admin.post("/api/v1/accounts", json={
            "username": "jy-09", "display_name": "王建国", "role": "department",
            "department": "education"})
        assert made.status_code == 201, made.text
        password, token = made.json()["password"], made.json()["token"]
        anonymous = intake.anonymous()
        wrong = await anonymous.post("/api/v1/auth/login", json={"username": "jy-09",
                                                                 "password": "nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        signed = await anonymous.post("/api/v1/auth/login", json={"username": "jy-09",
                                                                  "password": password})
        assert signed.status_code == 200, signed.text
        assert signed.json()["expires_at"].endswith("+08:00")
        for bearer in (token, signed.json()["access_token"]):
            me = await anonymous.get("/api/v1/auth/me",
                                     headers={"Authorization": f"Bearer {bearer}"})
            assert me.json() | {"username": "jy-09", "role": "department",
                                "department": "education"} == me.json()

        off = await admin.post("/api/v1/accounts/jy-09/disable")
        assert off.status_code == 200 and off.json()["disabled"] is True, off.text

        async def refused_now() -> bool:
            for bearer in (token, signed.json()["access_token"]):
                response = await anonymous.get("/api/v1/auth/me",
                                               headers={"Authorization": f"Bearer {bearer}"})
                assert response.status_code == 401, response.text
            return True

        await eventually_async(refused_now, timeout=10)
        again = await anonymous.post("/api/v1/auth/login", json={"username": "jy-09",
                                                                 "password": password})
        assert again.status_code == 401
