"""Poison messages: each ends as a dead letter, the messages behind it go on, replay works."""

import json
import random
import re
from pathlib import Path

import nats
from sqlalchemy import select

from contracts import subjects
from services.common.settings import Settings
from services.routing.app import create_app as create_routing
from services.routing.models import Handoff
from tests.integration.test_routing import _submitted
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.waiting import eventually_async

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "services/common/policies/default.toml"


def policy_without_housing(tmp_path: Path) -> str:
    """A region whose policy forgot the housing department: housing aid cannot be routed."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        '[departments.housing]\nitems = ["housing_aid"]\n', "")
    # ...and its item: intake (with the right policy) accepted housing aid, routing cannot place it.
    text = re.sub(r"\[items\.housing_aid\]\n(?:[^\[\n].*\n|\n)*", "", text)
    path = tmp_path / "no-housing.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def _handoffs(app, application_id: str) -> int:
    async with app.state.runtime.db.reading() as session:
        rows = await session.scalars(select(Handoff).where(Handoff.application_id == application_id))
        return len(rows.all())


async def test_poison_messages_become_dead_letters_and_replay_after_the_fix(
    backend: Backend, nats_server: NatsServer, tmp_path: Path, rng: random.Random
) -> None:
    fast_retries = {"max_deliver": 3, "retry_backoff": 0.05}
    broken = Settings(nats_url=nats_server.url, region=policy_without_housing(tmp_path),
                      **fast_retries, **backend.settings_kwargs())
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    crashing, behind = _submitted(rng, ["housing_aid"]), _submitted(rng, ["dibao"])

    routing = create_routing(broken)
    async with running(routing) as http:
        await js.publish(subjects.APPLICATION_SUBMITTED, crashing.model_dump_json().encode())
        await js.publish(subjects.APPLICATION_SUBMITTED, b'{"message_id": 42}')
        await js.publish(subjects.APPLICATION_SUBMITTED, behind.model_dump_json().encode())

        async def two_dead_letters() -> list[dict]:
            letters = (await http.get("/api/v1/ops/dead-letters")).json()
            assert len(letters) == 2, letters
            return letters

        letters = await eventually_async(two_dead_letters, timeout=20)
        assert await _handoffs(routing, behind.application_id) == 1  # not held back
        by_kind = {("housing" in letter["error"]): letter for letter in letters}
        crashed, malformed = by_kind[True], by_kind[False]
        assert crashed["attempts"] == 3 and "UnroutableItem" in crashed["error"]
        assert crashed["message_id"] == crashing.message_id
        assert malformed["attempts"] == 1  # never retried: it can only fail again
        assert all(letter["service"] == "routing" and letter["consumer"] == "routing"
                   for letter in letters)

        still_broken = await http.post(f"/api/v1/ops/dead-letters/{crashed['id']}/replay")
        assert still_broken.status_code == 422
        assert "housing" in still_broken.json()["error"]["message"]
        info = await js.consumer_info(subjects.STREAM, "routing")
        assert info.num_ack_pending == 0 and info.num_pending == 0

    # The fix is deployed (the region's policy names the housing department again).
    fixed = create_routing(Settings(nats_url=nats_server.url, **fast_retries,
                                    **backend.settings_kwargs()))
    async with running(fixed) as http:
        replayed = await http.post(f"/api/v1/ops/dead-letters/{crashed['id']}/replay")
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["replayed_at"] and replayed.json()["replay_error"] is None
        assert await _handoffs(fixed, crashing.application_id) == 1
        again = await http.post(f"/api/v1/ops/dead-letters/{crashed['id']}/replay")
        assert again.status_code == 200
        assert await _handoffs(fixed, crashing.application_id) == 1  # once, however often

        garbage = await http.post(f"/api/v1/ops/dead-letters/{malformed['id']}/replay")
        assert garbage.status_code == 422 and "malformed" in garbage.json()["error"]["message"]
        pending = (await http.get("/api/v1/ops/dead-letters", params={"pending_only": True})).json()
        assert pending == []  # both were dealt with (the malformed one is marked with its error)
        marked = {d["id"]: d for d in (await http.get("/api/v1/ops/dead-letters")).json()}
        assert marked[malformed["id"]]["replay_error"].startswith("still malformed")
    await nc.close()


async def test_a_message_the_process_never_finishes_is_recorded_from_the_advisory(
    backend: Backend, nats_server: NatsServer, rng: random.Random
) -> None:
    """The server gives up (max deliveries) when no delivery is ever acknowledged in time."""
    settings = Settings(nats_url=nats_server.url, max_deliver=1, ack_wait=1,
                        **backend.settings_kwargs())
    app = create_routing(settings)
    stuck = _submitted(rng, ["dibao"])
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    async with running(app) as http:
        # Another routing process takes the message and dies before answering: this one's
        # subscription is paused so that the other gets it.
        subscriber = app.state.runtime.consumers["routing"].subscriber
        await subscriber.stop()
        other = await js.pull_subscribe_bind("routing", stream=subjects.STREAM)
        await js.publish(subjects.APPLICATION_SUBMITTED, stuck.model_dump_json().encode())
        taken = await other.fetch(1, timeout=5)
        assert [json.loads(m.data)["message_id"] for m in taken] == [stuck.message_id]
        await other.unsubscribe()  # ...and never acknowledges it

        async def recorded() -> dict:
            letters = (await http.get("/api/v1/ops/dead-letters")).json()
            assert len(letters) == 1
            return letters[0]

        letter = await eventually_async(recorded, timeout=20)
        assert "deliveries" in letter["error"] and letter["stream_seq"] == 1
        assert stuck.message_id in letter["data_preview"]
        await subscriber.start()
        assert (await http.post(f"/api/v1/ops/dead-letters/{letter['id']}/replay")).status_code == 200
        assert await _handoffs(app, stuck.application_id) == 1
    await nc.close()
