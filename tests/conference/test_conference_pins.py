"""An open conference survives a backend restart (SIGTERM, then SIGKILL): the room is re-created on the new Janus
with the same pin (kept sealed beside the database, never in the change stream, the database or a log) and the
sites are called back and work as before."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import time

import pytest

from backend.conference.janus_api import JanusError
from backend.conference.pins import RoomPins
from backend.secrets import Sealer
from tests.backend.wsclient import RawClient
from tests.conference.bots import Bot
from tests.conference.test_conference_rooms import _conf, _wait, sites  # noqa: F401  (fixture)
from tests.conference.test_conference_wall import _relay_token, consult  # noqa: F401  (fixture)
from tests.relay.vlc_probe import HeadlessPlayer
from tests.room.test_room_backend import _records


def test_room_pins_are_sealed_bound_to_the_room_and_private(tmp_path):
    pins = RoomPins.for_state_dir(tmp_path)
    pins.put("CF-0001", "pin-Abc123", "secret-Xyz789")
    pins.put("CF-0002", "pin-Def456", "secret-Uvw000")
    assert pins.get("CF-0001") == ("pin-Abc123", "secret-Xyz789")
    text = pins.path.read_text("utf-8")
    assert "pin-Abc123" not in text and "secret-Xyz789" not in text
    assert stat.S_IMODE(os.stat(pins.path).st_mode) == 0o600
    entries = json.loads(text)
    entries["CF-0002"] = entries["CF-0001"]  # a sealed pair copied to another room does not open there
    pins.path.write_text(json.dumps(entries), "utf-8")
    assert pins.get("CF-0002") is None
    other = RoomPins(pins.path, Sealer(bytes(32)))  # another key (a restored DB without its secrets.key)
    assert other.get("CF-0001") is None
    pins.drop("CF-0001")
    assert pins.get("CF-0001") is None and pins.rooms() == ["CF-0002"]
    pins.path.write_text("{not json", "utf-8")
    assert pins.get("CF-0002") is None and pins.rooms() == []  # damaged: reported, treated as empty


async def _refused_with_the_pin(janus: str, room: str, pin: str) -> None:
    """A site outside the room is refused with the room's own pin once the call-back window closed."""
    async with asyncio.timeout(40):
        while True:
            outsider = Bot("video-outsider", "外来终端")
            try:
                await outsider.join(janus, room, pin)
            except JanusError:
                return
            finally:
                await outsider.close()
            await asyncio.sleep(0.5)  # still in the call-back window: try again


@pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")
async def test_open_conference_survives_backend_restarts_with_its_pin(sites, tmp_path):  # noqa: F811
    backend, bots = sites
    three = bots[:3]
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        room = (await officer.command("conference.create", {"title": "防汛会商"}))["result"]["room"]
        await officer.command("conference.invite", {"room": room, "terminals": [b.terminal for b in three]})
        await _wait(officer, lambda: len(_conf(officer, room).get("participants", {})) == 3, "joined")
        await officer.command("conference.layout", {"room": room, "split": 9, "mode": "fixed",
                                                    "fixed": [three[2].terminal]})
        pin = three[0].invite["pin"]
        assert (await officer.command("conference.lock", {"room": room, "locked": True}))["ok"]
    finally:
        await officer.close()

    for how, step in (("SIGTERM", 2), ("SIGKILL", 3)):
        if how == "SIGKILL":
            await asyncio.to_thread(backend.kill)
        restarted = time.time()
        await asyncio.to_thread(backend.restart)
        officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
        try:
            async with asyncio.timeout(60):
                while not all(b.ups >= step for b in three):  # each site's media came up on the new Janus
                    await asyncio.sleep(0.05)

            def rejoined() -> bool:
                conf = _conf(officer, room)
                parts = conf.get("participants", {})
                return conf.get("state") == "open" and (conf.get("janus") or {}).get("ok") and len(parts) == 3 \
                    and all(p["joined"] > restarted for p in parts.values())
            await _wait(officer, rejoined, f"after {how}: room re-created and the sites back")
            assert _conf(officer, room)["janus"]["detail"] == "restored after a backend restart"
            assert all(b.invite["pin"] == pin for b in three), f"after {how}: a new pin was handed out"
            conf = _conf(officer, room)
            assert conf["layout"]["mode"] == "fixed" and conf["layout"]["tiles"][0] == three[2].terminal
            res = await officer.command("conference.mute", {"room": room, "participant": three[1].terminal,
                                                            "mute": True})
            assert res["ok"], res  # moderation works on the new Janus with the kept secret
            await _wait(officer, lambda: _conf(officer, room)["participants"][three[1].terminal]["audio_muted"],
                        f"after {how}: muted")
            await officer.command("conference.mute", {"room": room, "participant": three[1].terminal,
                                                      "mute": False})
            # still locked: called back with the kept pin, then closed again to anyone holding it
            assert _conf(officer, room)["locked"]
            res = await officer.command("conference.invite", {"room": room, "terminals": [bots[3].terminal]})
            assert not res["ok"] and res["error"]["code"] == "conflict"
            await _refused_with_the_pin(three[0].invite["janus"], room, pin)
        finally:
            await officer.close()

    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        assert (await officer.command("conference.end", {"room": room}))["ok"]
    finally:
        await officer.close()
    assert RoomPins.for_state_dir(tmp_path).rooms() == []  # an ended room's pin is gone
    # the pin is nowhere in the clear: not in the database (events, audit, state), not in any log
    with sqlite3.connect(backend.db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                assert pin not in json.dumps(row, default=str, ensure_ascii=False), table
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".log", ".json", ".txt", ".jcfg"):
            assert pin not in path.read_text("utf-8", errors="replace"), path


@pytest.mark.skipif(any(shutil.which(b) is None for b in ("janus", "ffmpeg")), reason="needs janus and ffmpeg")
async def test_a_wall_viewer_keeps_playing_a_site_across_a_backend_crash(consult):  # noqa: F811
    """SIGKILL of the backend under a consultation: the relay (kept) holds the wall's connection, the room comes
    back, the site is forwarded again on a new port (a new SDP URL, so the relay re-pulls it) and the same
    connection shows the site's picture again."""
    backend, bots = consult
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    token = await _relay_token(backend)
    try:
        res = await officer.command("incident.create", {"title": "城区 燃气泄漏", "category": "事故灾难", "grade": 3,
                                                       "township": "330784001"})
        res = await leader.command("consultation.start", {"incident": res["result"]["id"]})
        room = res["result"]["conference"]["room"]
        site = bots[0].terminal
        await _wait(leader, lambda: site in ((_conf(leader, room).get("media") or {}).get("out") or {}), "forwarded")
        camera = _conf(leader, room)["media"]["out"][site]
        url = f"http://127.0.0.1:{backend.relay_port}/cam/{camera}.ts?token={token}"
    finally:
        await leader.close()
        await officer.close()
    player = HeadlessPlayer(url).__enter__()
    try:
        await asyncio.to_thread(player.wait_frames, 10, 40)
        await asyncio.to_thread(backend.kill)
        restarted = time.time()
        await asyncio.to_thread(backend.restart)
        leader = await RawClient.connect(backend.url, backend.token("leader"))
        try:
            await _wait(leader, lambda: (_conf(leader, room).get("participants") or {}).get(site, {}).get(
                "joined", 0) > restarted and site in ((_conf(leader, room).get("media") or {}).get("out") or {}),
                "site back and forwarded again", timeout=60)
            assert _conf(leader, room)["media"]["out"][site] == camera
        finally:
            await leader.close()
        before = player.decoded()
        await asyncio.to_thread(player.wait_frames, before + 20, 40)  # the same connection plays again
    finally:
        player.__exit__(None, None, None)


@pytest.mark.skipif(any(shutil.which(b) is None for b in ("janus", "ffmpeg")), reason="needs janus and ffmpeg")
async def test_a_room_without_its_kept_pin_ends_and_its_sources_go(consult, tmp_path):  # noqa: F811
    backend, bots = consult
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        res = await officer.command("incident.create", {"title": "江南街道 积水", "category": "自然灾害", "grade": 4,
                                                        "township": "330784001"})
        room = (await leader.command("consultation.start", {"incident": res["result"]["id"]}))["result"][
            "conference"]["room"]
        await _wait(leader, lambda: len((_conf(leader, room).get("media") or {}).get("out") or {}) == len(bots),
                    "forwarded")
        cams = sorted(_conf(leader, room)["media"]["out"].values())
    finally:
        await leader.close()
        await officer.close()
    await asyncio.to_thread(backend.kill)
    (tmp_path / "conference-pins.json").unlink()  # e.g. a database restored onto another machine
    await asyncio.to_thread(backend.restart)
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    try:
        await _wait(leader, lambda: _conf(leader, room).get("state") == "ended"
                    and _conf(leader, room)["janus"]["detail"] == "backend restarted", "ended")
        await _wait(leader, lambda: not any(c in _records(leader, "cameras") for c in cams), "its sources gone")
    finally:
        await leader.close()
