"""One-key consultation ends with the sites' video on the wall: a real backend (Janus, relay) invites aiortc bots,
forwards each joined site to the relay, the wall's camera cells follow the pushed layout, a libvlc player decodes
a site through the relay; recording converts after the meeting and the recordings land on the incident's review;
Janus killed under it: the forwards come back on the same cameras."""
from __future__ import annotations

import asyncio
import json
import shutil

import psutil
import pytest

from backend.conference.wall_follow import plan
from backend_client.layouts import load_layout
from tests.backend.wsclient import RawClient
from tests.conference.bots import Bot
from tests.helpers.backend_proc import start_backend
from tests.relay.vlc_probe import HeadlessPlayer
from tests.room.test_room_backend import _records

pytestmark = pytest.mark.skipif(any(shutil.which(b) is None for b in ("janus", "ffmpeg", "janus-pp-rec")),
                                reason="needs the janus, janus-tools and ffmpeg packages")

SITES = [("video-jnjd", "江南街道视频终端", "乡镇街道", "330784001"),
         ("video-yjj", "应急管理局视频终端", "应急", ""),
         ("video-slj", "水务局视频终端", "水务", "")]


def test_wall_plan_follows_the_split():
    from pathlib import Path
    layouts = {n: load_layout(Path("layouts") / f"{n}.json") for n in ("consultation", "cameras-16")}
    conf = {"state": "open", "layout": {"split": 4, "tiles": ["a", "b", "", ""]},
            "media": {"out": {"a": "conf-R-a", "b": "conf-R-b"}}}
    base = {"2": "cam-01", "3": "cam-02", "4": "cam-03"}
    name, cells = plan(conf, base, layouts)  # consultation camera cells are 2, 3, 4, 5
    assert name == "consultation"
    assert cells == {"2": {"kind": "camera", "camera": "conf-R-a"}, "3": {"kind": "camera", "camera": "conf-R-b"},
                     "4": {"kind": "camera", "camera": "cam-03"}}
    conf["layout"] = {"split": 9, "tiles": ["b", "a"] + [""] * 7}
    name, cells = plan(conf, base, layouts)
    assert name == "cameras-16" and cells == {"0": {"kind": "camera", "camera": "conf-R-b"},
                                              "1": {"kind": "camera", "camera": "conf-R-a"}}
    conf["state"] = "ended"
    assert plan(conf, base, layouts) == ("consultation", {k: {"kind": "camera", "camera": v} for k, v in base.items()})


async def _wait(client: RawClient, pred, what: str, timeout: float = 45.0):
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await client.recv(timeout)
    except TimeoutError:
        raise AssertionError(f"{what}: not reached in {timeout} s; conferences: "
                             f"{json.dumps(_records(client, 'conferences'), ensure_ascii=False)[:2000]}; walls: "
                             f"{json.dumps(_records(client, 'walls'), ensure_ascii=False)[:800]}") from None


@pytest.fixture
async def consult(tmp_path):
    bots = [Bot(tid, name, i + 1) for i, (tid, name, _d, _t) in enumerate(SITES)]
    records = [{"id": tid, "name": name, "department": dept, "township": town, "agent": await bot.serve_agent()}
               for bot, (tid, name, dept, town) in zip(bots, SITES)]
    path = tmp_path / "terminals.json"
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    backend = await asyncio.to_thread(start_backend, tmp_path, relay=True, extra_args=(
        "--conference-terminals", str(path), "--janus-rtp-ports", "46000-46999"))
    try:
        yield backend, bots
    finally:
        await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
        await asyncio.to_thread(backend.stop)


def _decode(url: str, frames: int) -> int:
    with HeadlessPlayer(url) as player:
        return player.wait_frames(frames, timeout=40)


async def _relay_token(backend, role: str = "wall_operator") -> str:
    """A token the relay already knows (the backend pushes new token hashes every ~2 s)."""
    import urllib.error
    import urllib.request
    token = await asyncio.to_thread(backend.session_token, role)  # the relay takes session tokens only
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{backend.relay_port}/health?token={token}", timeout=5):
                return token
        except urllib.error.HTTPError:
            await asyncio.sleep(0.2)
    raise AssertionError("the relay never accepted the wall token")


async def _relay_has(backend, token: str, camera: str) -> None:
    import urllib.request
    for _ in range(150):
        with urllib.request.urlopen(f"http://127.0.0.1:{backend.relay_port}/health?token={token}", timeout=5) as r:
            if any(item.get("id") == camera for item in json.loads(r.read())):
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the relay never got {camera}")


def _wall_cameras(client: RawClient) -> dict[str, str]:
    wall = _records(client, "walls").get("main", {})
    return {k: c.get("camera", "") for k, c in (wall.get("cells") or {}).items()}


async def test_consultation_puts_the_sites_on_the_wall_and_records_onto_the_incident(consult):
    backend, bots = consult
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    wall_token = await _relay_token(backend)
    try:
        res = await officer.command("incident.create", {"title": "江南街道 内涝", "category": "自然灾害", "grade": 3,
                                                        "township": "330784001"})
        incident = res["result"]["id"]
        res = await leader.command("consultation.start", {"incident": incident})
        assert res["ok"], res
        room = res["result"]["conference"]["room"]
        assert res["result"]["wall"]["layout"] == "consultation"
        ids = sorted(b.terminal for b in bots)

        def conf() -> dict:
            return _records(leader, "conferences").get(room, {})

        # every joined site forwarded (H.264: remuxed, not transcoded) and in a consultation camera cell
        await _wait(leader, lambda: sorted((conf().get("media") or {}).get("out", {})) == ids, "all forwarded")
        sources = conf()["media"]["out"]
        assert all(s == f"conf-{room}-{p}" for p, s in sources.items())
        await _wait(leader, lambda: sorted(v for v in _wall_cameras(leader).values() if v.startswith("conf-"))
                    == sorted(sources.values()), "the wall shows the three sites")
        assert _records(leader, "walls")["main"]["layout"] == "consultation"
        first = conf()["layout"]["tiles"][0]
        assert _wall_cameras(leader)["2"] == sources[first]  # tile 0 → the scene's first camera cell

        url = f"http://127.0.0.1:{backend.relay_port}/cam/{sources[first]}.ts?token={wall_token}"
        await _relay_has(backend, wall_token, sources[first])
        assert await asyncio.to_thread(_decode, url, 10) >= 10
        await _wait(leader, lambda: _records(leader, "cameras").get(sources[first], {}).get("codec") == "h264",
                    "the relay remuxes H.264")

        # the pushed layout drives the wall: 1 split → only the first tile's site, incident cameras elsewhere
        assert (await leader.command("conference.layout", {"room": room, "split": 1, "mode": "speaker"}))["ok"]
        await _wait(leader, lambda: [v for v in _wall_cameras(leader).values() if v.startswith("conf-")]
                    == [sources[conf()["layout"]["tiles"][0]]], "1-split on the wall")
        assert (await leader.command("conference.layout", {"room": room, "split": 9, "mode": "speaker"}))["ok"]
        await _wait(leader, lambda: _records(leader, "walls")["main"]["layout"] == "cameras-16"
                    and len(_wall_cameras(leader)) == 3, "9-split takes the 16-camera scene")

        # a consultation forwards everyone: taking one site off is refused, with the reason
        res = await leader.command("conference.video_out", {"room": room, "participant": first, "on": False})
        assert not res["ok"] and res["error"]["code"] == "conflict"

        # record a few seconds, stop: converted by janus-pp-rec and linked to the incident
        assert (await leader.command("conference.record", {"room": room, "on": True}))["ok"]
        await _wait(leader, lambda: conf()["media"]["recording"]["on"], "recording")
        await asyncio.sleep(4.0)  # the meeting being recorded
        assert (await leader.command("conference.record", {"room": room, "on": False}))["ok"]
        await _wait(leader, lambda: sum(1 for r in _records(leader, "recordings").values()
                                        if r["incident"] == incident and r["kind"] == "video" and r["path"]) >= 3,
                    "video recordings linked", timeout=90)
        review = await leader.command("incident.review", {"id": incident})
        linked = [e for e in review["result"]["events"] if e["entity"] == "recordings"]
        assert len(linked) >= 3 and all(e["data"]["room"] == room for e in linked)
        bad = await leader.command("conference.record", {"room": room, "on": False})
        assert not bad["ok"] and bad["error"]["code"] == "conflict"

        # the end: forwards stopped, cameras gone, the wall back on the consultation scene's cameras
        assert (await leader.command("conference.end", {"room": room}))["ok"]
        await _wait(leader, lambda: not any(v.startswith("conf-") for v in _wall_cameras(leader).values())
                    and _records(leader, "walls")["main"]["layout"] == "consultation", "wall restored")
        assert not any(k.startswith(f"conf-{room}") for k in _records(leader, "cameras"))
        actions = {r["action"] for r in backend.audit_rows()}
        assert {"conference.record", "conference.video_out"} <= actions
        assert "pin" not in json.dumps(conf().get("media"))
    finally:
        await leader.close()
        await officer.close()


async def test_janus_restart_brings_the_forwards_back_on_the_same_cameras(consult):
    backend, bots = consult
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    wall_token = await _relay_token(backend)
    try:
        room = (await officer.command("conference.create", {"title": "夜间会商"}))["result"]["room"]
        assert (await officer.command("conference.invite", {"room": room, "terminals": [bots[0].terminal]}))["ok"]
        await asyncio.wait_for(bots[0].connected.wait(), 30)
        await _wait(officer, lambda: bots[0].terminal in _records(officer, "conferences")[room]["participants"],
                    "joined")
        bad = await officer.command("conference.video_out", {"room": room, "participant": "nobody"})
        assert not bad["ok"] and bad["error"]["code"] == "not_found"
        res = await officer.command("conference.video_out", {"room": room, "participant": bots[0].terminal})
        assert res["ok"], res
        camera = res["result"]["camera"]
        url = f"http://127.0.0.1:{backend.relay_port}/cam/{camera}.ts?token={wall_token}"
        await _relay_has(backend, wall_token, camera)
        assert await asyncio.to_thread(_decode, url, 5) >= 5

        janus = [c for c in psutil.Process(backend.proc.pid).children(recursive=True) if c.name() == "janus"]
        janus[0].kill()
        await _wait(officer, lambda: not _records(officer, "conferences")[room]["janus"]["ok"], "janus down")
        await _wait(officer, lambda: _records(officer, "conferences")[room]["janus"]["ok"]
                    and bots[0].terminal in _records(officer, "conferences")[room]["participants"], "site back")
        await _wait(officer, lambda: _records(officer, "conferences")[room]["media"]["out"]
                    == {bots[0].terminal: camera}, "forward back on the same camera")
        # the same camera plays again: the forward was re-added on its old port
        assert await asyncio.to_thread(_decode, url, 5) >= 5
    finally:
        await officer.close()
