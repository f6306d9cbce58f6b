"""An approval of an item that grants money (the region's policy says which) gives its amount;
an item that grants none is approved without one."""

import random
from decimal import Decimal

from contracts import Department
from services.common.clock import MovableClock
from services.departments.app import create_app
from tests.integration.test_departments_rules import (
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

CJK = range(0x4E00, 0x9FFF + 1)


async def test_an_approval_of_temporary_aid_needs_its_amount(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """临时救助 pays money (002 §八: 临时救助资金审批后3个工作日内发放)."""
    civil = Department.civil_affairs
    app = create_app(settings_for(backend, nats_server), civil, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        task = await arrive(js, api, assigned(rng, ["temporary_aid"], department=civil))
        url = f"/api/v1/tasks/{task['id']}"
        await api.post(f"{url}/accept", json={"by": "civil-01"})
        approve = {"outcome": "approved", "decided_by": "civil-01"}
        for body in (approve, approve | {"amount": None}, approve | {"amount": "0"}):
            error = refused(await api.post(f"{url}/decision", json=body), 422, "amount_required")
            (field,) = error["fields"]
            assert field["field"] == "amount" and "amount" in field["reason"]
            assert "临时救助" in field["reason_zh"] and "金额" in field["reason_zh"]
            still = (await api.get(url)).json()
            assert (still["status"], still["outcome"]) == ("accepted", None)

        decided = await api.post(f"{url}/decision", json=approve | {"amount": "1200.00"})
        assert decided.status_code == 200, decided.text
        assert (decided.json()["outcome"], decided.json()["amount"]) == ("approved", "1200.00")


async def test_a_rejection_and_an_item_that_grants_no_money_need_no_amount(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    """残疾人康复 (federations) grants no money here (a local choice in the policy)."""
    feds = Department.federations
    app = create_app(settings_for(backend, nats_server), feds, clock=MovableClock(START))
    async with running(app) as api, broker(nats_server) as js:
        rehab = await arrive(js, api, assigned(rng, ["disabled_rehab"], department=feds))
        await api.post(f"/api/v1/tasks/{rehab['id']}/accept", json={"by": "cl-01"})
        approved = await api.post(f"/api/v1/tasks/{rehab['id']}/decision",
                                  json={"outcome": "approved", "decided_by": "cl-01"})
        assert approved.status_code == 200, approved.text
        assert (approved.json()["outcome"], approved.json()["amount"]) == ("approved", None)


async def test_the_demo_names_a_sum_for_paying_items_only(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    clock = MovableClock(START)
    feds, civil = Department.federations, Department.civil_affairs
    settings = settings_for(backend, nats_server).model_copy(update={"auto_decide_after": 60.0})
    async with running(create_app(settings, civil, clock=clock)) as ca, \
            running(create_app(settings, feds, clock=clock)) as fd, broker(nats_server) as js:
        aid = await arrive(js, ca, assigned(rng, ["temporary_aid"], department=civil, income=100))
        rehab = await arrive(js, fd, assigned(rng, ["disabled_rehab"], department=feds,
                                              income=100))
        clock.advance(minutes=5)
        aid = await until(ca, aid["id"], lambda t: t["status"] == "decided")
        rehab = await until(fd, rehab["id"], lambda t: t["status"] == "decided")
        assert aid["outcome"] == rehab["outcome"] == "approved"
        assert Decimal(aid["amount"]) > 0 and rehab["amount"] is None
