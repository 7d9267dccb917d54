"""Conferences over a real backend, a real Janus it starts and aiortc bots as sites answering invitations."""
from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from backend.conference.janus_api import JanusError
from tests.backend.wsclient import RawClient
from tests.conference.bots import Bot
from tests.helpers.backend_proc import start_backend
from tests.room.test_room_backend import _records

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")

SITES = [("video-jnjd", "江南街道视频终端", "乡镇街道", "330784001"),
         ("video-xzjd", "西城街道视频终端", "乡镇街道", "330784002"),
         ("video-yjj", "应急管理局视频终端", "应急", ""),
         ("video-slj", "水务局视频终端", "水务", "")]


async def _wait(client: RawClient, pred, what: str, timeout: float = 45.0):
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await client.recv(timeout)
    except TimeoutError:
        raise AssertionError(f"{what}: not reached in {timeout} s; conferences: "
                             f"{json.dumps(_records(client, 'conferences'), ensure_ascii=False)[:3000]}") from None


@pytest.fixture
async def sites(tmp_path):
    bots = [Bot(tid, name, i + 1) for i, (tid, name, _d, _t) in enumerate(SITES)]
    records = []
    for bot, (tid, name, dept, town) in zip(bots, SITES):
        records.append({"id": tid, "name": name, "department": dept, "township": town,
                        "agent": await bot.serve_agent()})
    records.append({"id": "video-off", "name": "离线终端", "department": "应急", "agent": "ws://127.0.0.1:9/none"})
    path = tmp_path / "terminals.json"
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    backend = await asyncio.to_thread(start_backend, tmp_path, extra_args=(
        "--conference-terminals", str(path), "--janus-rtp-ports", "41000-41999"))
    try:
        yield backend, bots
    finally:
        await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
        await asyncio.to_thread(backend.stop)
    assert not (tmp_path / "janus").exists() or "cc: starting janus" in (tmp_path / "janus/janus.log").read_text()


def _conf(client: RawClient, room: str) -> dict:
    return _records(client, "conferences").get(room, {})


async def test_conference_join_mute_layout_rollcall_hand_kick_lock_end(sites):
    backend, bots = sites
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        res = await officer.command("conference.create", {"title": "防汛会商", "incident": "I-1"})
        assert res["ok"], res
        room = res["result"]["room"]
        res = await officer.command("conference.invite", {"room": room, "terminals": [b.terminal for b in bots[:3]]})
        assert res["ok"] and sorted(res["result"]["invited"]) == sorted(b.terminal for b in bots[:3]), res
        await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in bots[:3])), 30)
        await _wait(officer, lambda: len(_conf(officer, room).get("participants", {})) == 3, "3 sites joined")
        conf = _conf(officer, room)
        assert all(conf["invited"][b.terminal]["state"] == "joined" for b in bots[:3])
        pin = bots[0].invite["pin"]
        assert pin and pin not in json.dumps(officer.received, ensure_ascii=False)  # never on the change stream

        # mute one, then everyone: Janus moderates, the site hears of it, the record shows it
        a, b, c = (x.terminal for x in bots[:3])
        assert (await officer.command("conference.mute", {"room": room, "participant": b, "mute": True}))["ok"]
        await _wait(officer, lambda: _conf(officer, room)["participants"][b]["audio_muted"], "b muted")
        assert not _conf(officer, room)["participants"][a]["audio_muted"]
        await asyncio.wait_for(_until(lambda: any(e.get("moderation") == "muted" and e.get("id") == b
                                                  for e in bots[0].events)), 15)
        assert (await officer.command("conference.mute", {"room": room, "mute": True}))["ok"]
        await _wait(officer, lambda: all(p["audio_muted"] for p in _conf(officer, room)["participants"].values()),
                    "all muted")

        # one layout pushed to everyone
        res = await officer.command("conference.layout", {"room": room, "split": 9, "mode": "fixed", "fixed": [c, a]})
        assert res["ok"], res
        await _wait(officer, lambda: _conf(officer, room)["layout"]["tiles"][:3] == [c, a, ""], "fixed layout")
        assert len(_conf(officer, room)["layout"]["tiles"]) == 9
        bad = await officer.command("conference.layout", {"room": room, "split": 5})
        assert not bad["ok"] and bad["error"]["code"] == "bad_args" and "split" in bad["error"]["message"]

        # roll-call (轮巡) through the sites, one second each: the first tile follows it
        assert (await officer.command("conference.rollcall", {"room": room, "active": True, "dwell": 1.0}))["ok"]
        seen: set[str] = set()

        def called() -> bool:
            rc = _conf(officer, room)["rollcall"]
            seen.add(rc["current"])
            return rc["steps"] >= 3 and _conf(officer, room)["layout"]["tiles"][0] == rc["current"]
        await _wait(officer, called, "roll-call advanced")
        assert {a, b, c} <= seen
        assert (await officer.command("conference.rollcall", {"room": room, "active": False}))["ok"]

        # a raised hand from a site's agent, then the floor given to it
        await bots[2].hand(True)
        await _wait(officer, lambda: _conf(officer, room)["hands"] == [c], "hand raised")
        assert (await officer.command("conference.floor", {"room": room, "participant": c}))["ok"]
        await _wait(officer, lambda: _conf(officer, room)["speaker"] == c and not _conf(officer, room)["hands"],
                    "floor given")

        # kick: the site is dropped by Janus and told so
        assert (await officer.command("conference.kick", {"room": room, "participant": b}))["ok"]
        await asyncio.wait_for(bots[1].closed.wait(), 15)
        assert bots[1].kicked
        await _wait(officer, lambda: b not in _conf(officer, room)["participants"]
                    and _conf(officer, room)["invited"][b]["state"] == "kicked", "kicked")

        # lock: no new invitation, and the old pin no longer opens the room at Janus
        assert (await officer.command("conference.lock", {"room": room, "locked": True}))["ok"]
        refused = await officer.command("conference.invite", {"room": room, "terminals": [bots[3].terminal]})
        assert not refused["ok"] and refused["error"]["code"] == "conflict"
        late = Bot("video-late", "迟到终端", 9)
        with pytest.raises(JanusError) as exc:
            await late.join(bots[0].invite["janus"], room, pin)
        assert exc.value.code == 433  # unauthorized: the pin was changed
        await late.close()
        assert (await officer.command("conference.lock", {"room": room, "locked": False}))["ok"]

        # a site that cannot be reached is reported, the others unaffected
        res = await officer.command("conference.invite", {"room": room, "terminals": ["video-off", bots[3].terminal]})
        assert res["ok"] and res["result"]["invited"] == [bots[3].terminal]
        assert "unreachable" in res["result"]["failed"]["video-off"]
        await asyncio.wait_for(bots[3].connected.wait(), 30)

        # end: sites told, room gone
        assert (await officer.command("conference.end", {"room": room}))["ok"]
        await asyncio.wait_for(bots[0].closed.wait(), 15)
        await _wait(officer, lambda: _conf(officer, room)["state"] == "ended", "ended")
        again = await officer.command("conference.mute", {"room": room, "mute": True})
        assert not again["ok"] and again["error"]["code"] == "conflict"
        actions = [r["action"] for r in backend.audit_rows() if r["action"].startswith("conference.")]
        for act in ("conference.create", "conference.invite", "conference.mute", "conference.layout",
                    "conference.rollcall", "conference.kick", "conference.lock", "conference.end"):
            assert act in actions
    finally:
        await officer.close()


async def _until(pred, step: float = 0.05):
    while not pred():
        await asyncio.sleep(step)


async def test_one_key_consultation_opens_the_room_and_calls_the_departments(sites):
    backend, bots = sites
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    wall = await RawClient.connect(backend.url, backend.token("wall_operator"))
    try:
        res = await officer.command("incident.create", {"title": "江南街道 内涝", "category": "自然灾害", "grade": 3,
                                                        "township": "330784001"})
        assert res["ok"], res
        incident = res["result"]["id"]
        res = await leader.command("consultation.start", {"incident": incident})
        assert res["ok"], res
        conf = res["result"]["conference"]
        # 自然灾害 calls 应急管理局 and 水务局; the incident's township brings its street's terminal
        assert conf["room"] and sorted(conf["invited"]) == ["video-jnjd", "video-slj", "video-yjj"], conf
        assert "1 of 4" in conf["detail"]  # the offline 应急 terminal
        joined = [bots[0], bots[2], bots[3]]
        await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in joined)), 30)
        assert not bots[1].invited.is_set()
        await _wait(leader, lambda: len(_conf(leader, conf["room"]).get("participants", {})) == 3, "joined")
        assert _conf(leader, conf["room"])["consultation"] == res["result"]["consultation"]
        denied = await wall.command("conference.kick", {"room": conf["room"], "participant": "video-yjj"})
        assert not denied["ok"] and denied["error"]["code"] == "forbidden"
    finally:
        for c in (officer, leader, wall):
            await c.close()
