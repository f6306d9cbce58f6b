"""The operations page (issue 10), on intake's screens with routing in this process and a real
nats-server: every service's readiness (one that cannot be reached shown as not ready),
consumers, a dead letter listed and replayed through the page, what an admin sees, and one
application's journey across the services without personal data."""

import random
import re
import socket
from datetime import UTC, datetime

from sqlalchemy import insert, select

from contracts import subjects
from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.routing.app import create_app as create_routing
from services.routing.models import Handoff
from tests.integration.test_routing import _submitted
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.factories import application
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, csrf_of, sign_in
from tests.support.waiting import eventually_async


def _closed_port() -> int:
    """A port nothing listens on (taken, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _apps(backend: Backend, nats_server: NatsServer) -> tuple:
    settings = Settings(nats_url=nats_server.url, **backend.settings_kwargs(),
                        peer_urls={"notify": f"http://127.0.0.1:{_closed_port()}"})
    routing = create_routing(settings)
    intake = create_intake(settings)
    intake.state.peers.attach("routing", routing)
    return intake, routing


def _state(html: str, service: str) -> str:
    row = re.search(rf'<th scope="row">{service}</th>\s*<td><span[^>]*>([^<]*)</span>', html)
    assert row, service
    return row.group(1)


async def _letter(routing, data: bytes) -> int:
    table = routing.state.runtime.tables.dead_letters
    async with routing.state.runtime.db.writing() as session:
        done = await session.execute(insert(table).values(
            consumer="routing", subject=subjects.APPLICATION_SUBMITTED, message_id=None,
            data=data, error="RuntimeError('the database went away')", attempts=3,
            stream_seq=None, recorded_at=datetime.now(UTC)))
        return done.inserted_primary_key[0]


async def test_readiness_consumers_and_a_dead_letter_replayed_through_the_page(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    intake, routing = _apps(backend, nats_server)
    async with running(routing), running(intake), browser(intake) as client:
        lost = _submitted(rng, ["dibao"])
        good = await _letter(routing, lost.model_dump_json().encode())
        bad = await _letter(routing, b'{"message_id": 42}')
        await add_person(intake, "ops-1", Role.ops)
        await sign_in(client, "ops-1")

        page = await client.get("/ui/ops")
        assert page.status_code == 200, page.text
        assert "✓ 就绪" in _state(page.text, "intake") and "就绪" in _state(page.text, "routing")
        assert _state(page.text, "notify") == "✗ 无法访问（未就绪）"
        assert "2 个就绪" in page.text
        assert re.search(r'<th scope="row">routing<br><span class="hint">onedoor\.', page.text)
        assert f"#{good} · routing" in page.text and f"#{bad} · routing" in page.text
        assert "RuntimeError" in page.text

        form = f"/ui/ops/dead-letters/routing/{good}/replay"
        assert f'action="{form}"' in page.text
        replayed = await client.post(form, data={"csrf": csrf_of(page.text)})
        assert replayed.status_code == 303, replayed.text
        after = await client.get(replayed.headers["location"])
        assert f"已重放 routing 的死信 #{good}" in after.text
        assert f'action="{form}"' not in after.text  # done: no button any more
        async with routing.state.runtime.db.reading() as session:
            lines = (await session.scalars(select(Handoff).where(
                Handoff.application_id == lost.application_id))).all()
        assert [h.to_department for h in lines] == ["civil_affairs"]

        failed = await client.post(f"/ui/ops/dead-letters/routing/{bad}/replay",
                                   data={"csrf": csrf_of(page.text)})
        assert failed.status_code == 422 and "重放失败" in failed.text
        elsewhere = await client.post("/ui/ops/dead-letters/nowhere/1/replay",
                                      data={"csrf": csrf_of(page.text)})
        assert elsewhere.status_code == 404


async def test_an_admin_sees_readiness_and_ops_trace_an_application(
        backend: Backend, nats_server: NatsServer, rng: random.Random) -> None:
    intake, routing = _apps(backend, nats_server)
    async with running(routing), running(intake) as window, browser(intake) as client:
        body = application(rng, ["dibao"])
        created = await window.post("/api/v1/applications", json=body)
        assert created.status_code == 201, created.text
        receipt = created.json()["receipt_no"]

        async def handed() -> bool:
            async with routing.state.runtime.db.reading() as session:
                assert (await session.scalars(select(Handoff).where(
                    Handoff.receipt_no == receipt))).first()
            return True

        await eventually_async(handed, timeout=15)
        await add_person(intake, "admin-1", Role.admin)
        await add_person(intake, "ops-2", Role.ops)

        await sign_in(client, "admin-1")
        page = await client.get("/ui/ops")
        assert page.status_code == 200 and _state(page.text, "routing") == "✓ 就绪"
        assert "管理员在此只能查看各服务是否就绪" in page.text
        assert 'id="consumers-h"' not in page.text and 'id="letters-h"' not in page.text
        refused = await client.post("/ui/ops/dead-letters/routing/1/replay",
                                    data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 403
        assert (await client.get("/ui/ops/trace")).status_code == 403
        await client.post("/ui/logout", data={"csrf": csrf_of(page.text)})

        await sign_in(client, "ops-2")
        trace = await client.get("/ui/ops/trace", params={"key": receipt})
        assert trace.status_code == 200, trace.text
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="bars chart"' in trace.text
        for step in ("窗口受理", "分办至民政", "<code>intake</code>", "<code>routing</code>"):
            assert step in trace.text, step
        applicant = body["applicant"]
        for private in (applicant["name"], applicant["id_number"], applicant["phone"]):
            assert private not in trace.text
        missing = await client.get("/ui/ops/trace", params={"key": "YD20260101-NOPE00"})
        assert missing.status_code == 404 and "未找到该申请" in missing.text
