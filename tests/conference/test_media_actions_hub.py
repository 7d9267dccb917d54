"""The media actions over the real hub: ``conference.video_in`` (a relay camera fed into the room; an aiortc
watcher decodes it, and again after Janus is killed and restarted by the backend) and ``conference.cascade``
(a township Janus from ``--conference-peers``: its site appears as a publisher in the city room)."""
from __future__ import annotations

import asyncio
import json
import shutil

import psutil
import pytest

from backend.conference.janus_api import JanusClient, JanusError
from backend.conference.janus_proc import JanusProcess
from tests.backend.wsclient import RawClient
from tests.conference.bots import Bot
from tests.conference.bots_media import PublisherBot, SubscriberBot
from tests.helpers.backend_proc import start_backend
from tests.helpers.rtsp import test_clips
from tests.room.test_room_backend import _records

pytestmark = pytest.mark.skipif(any(shutil.which(b) is None for b in ("janus", "ffmpeg")),
                                reason="needs the janus and ffmpeg packages")


async def _wait(client: RawClient, pred, what: str, timeout: float = 45.0):
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await client.recv(timeout)
    except TimeoutError:
        raise AssertionError(f"{what}: not reached in {timeout} s; conferences: "
                             f"{json.dumps(_records(client, 'conferences'), ensure_ascii=False)[:2000]}") from None


async def _until(pred, what: str, timeout: float = 45.0):
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what}: not reached in {timeout} s") from None


async def _watch(janus_url: str, mountpoint: str, pin: str, frames: int = 10):
    """A participant of the room watching the mountpoint: returns (client, watcher) once it decoded frames."""
    api = await JanusClient(janus_url).connect()
    try:
        session = await api.create_session()
        watcher = await SubscriberBot.mountpoint(session, mountpoint, pin=pin)
        await watcher.wait_frames(frames, timeout=40)
        return api, watcher
    except BaseException:
        await api.close()
        raise


async def _unwatch(api, watcher) -> None:
    try:
        await watcher.close()
    except Exception:
        pass
    await api.close()


async def test_video_in_reaches_a_participant_and_comes_back_after_janus_is_killed(tmp_path):
    clips = test_clips()
    cameras = tmp_path / "cameras.json"
    cameras.write_text(json.dumps([{"id": "cam-01", "name": "城区 东门路口", "url": str(clips / "cam-01.h264")}],
                                  ensure_ascii=False), "utf-8")
    bot = Bot("video-yjj", "应急管理局视频终端", 1)
    terminals = tmp_path / "terminals.json"
    terminals.write_text(json.dumps([{"id": bot.terminal, "name": bot.name, "department": "应急",
                                      "agent": await bot.serve_agent()}], ensure_ascii=False), "utf-8")
    backend = await asyncio.to_thread(start_backend, tmp_path, relay=True, cameras=cameras, extra_args=(
        "--conference-terminals", str(terminals), "--janus-rtp-ports", "47000-47999"))
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    held = None
    try:
        room = (await officer.command("conference.create", {"title": "路口视频会商"}))["result"]["room"]
        assert (await officer.command("conference.invite", {"room": room, "terminals": [bot.terminal]}))["ok"]
        await asyncio.wait_for(bot.connected.wait(), 30)

        bad = await officer.command("conference.video_in", {"room": room, "camera": "cam-nope"})
        assert not bad["ok"] and bad["error"]["code"] == "not_found" and "cam-nope" in bad["error"]["message"]
        res = await officer.command("conference.video_in", {"room": room, "camera": "cam-01"})
        assert res["ok"], res
        mountpoint = res["result"]["mountpoint"]
        await _wait(officer, lambda: (_records(officer, "conferences")[room].get("media") or {}).get("in")
                    == {"cam-01": mountpoint}, "feed on the record")
        # the site is told through its agent channel, with what it needs to watch
        await _until(lambda: any(f["mountpoint"] == mountpoint and f["on"] for f in bot.feeds), "site told")
        notice = bot.feeds[-1]
        assert notice["janus"] == bot.invite["janus"] and notice["pin"] == bot.invite["pin"]
        assert notice["pin"] not in json.dumps(officer.received, ensure_ascii=False)
        held = await _watch(notice["janus"], mountpoint, notice["pin"])
        assert held[1].size[0] > 0
        await _unwatch(*held)
        held = None

        # Janus killed under the feed: the backend restarts it, recreates the mountpoint, ffmpeg carries on
        janus = [c for c in psutil.Process(backend.proc.pid).children(recursive=True) if c.name() == "janus"]
        assert len(janus) == 1
        janus[0].kill()
        await _wait(officer, lambda: not _records(officer, "conferences")[room]["janus"]["ok"], "janus down")
        await _wait(officer, lambda: _records(officer, "conferences")[room]["janus"]["ok"], "janus back", 60)
        # the room is reported back before the media hook has recreated the mountpoint: a site retries
        for _ in range(100):
            try:
                held = await _watch(notice["janus"], mountpoint, bot.invite["pin"])
                break
            except JanusError as exc:
                assert exc.code == 455, exc  # no such mountpoint (yet)
                await asyncio.sleep(0.3)
        else:
            raise AssertionError(f"{mountpoint} never recreated after the Janus restart")
        await _unwatch(*held)
        held = None
        assert (_records(officer, "conferences")[room].get("media") or {}).get("in") == {"cam-01": mountpoint}

        res = await officer.command("conference.video_in", {"room": room, "camera": "cam-01", "on": False})
        assert res["ok"] and res["result"]["stopped"], res
        await _until(lambda: any(f["mountpoint"] == mountpoint and not f["on"] for f in bot.feeds), "site told off")
        await _wait(officer, lambda: not _records(officer, "conferences")[room]["media"]["in"], "feed off the record")
        assert not [p for p in psutil.Process(backend.proc.pid).children(recursive=True)
                    if p.name() == "ffmpeg" and any(mountpoint in a or "cam-01.ts" in a for a in p.cmdline())]
        assert "conference.video_in" in {r["action"] for r in backend.audit_rows()}
    finally:
        if held is not None:
            await _unwatch(*held)
        await officer.close()
        await bot.close()
        await asyncio.to_thread(backend.stop)


async def test_cascade_brings_a_township_site_into_the_city_room(tmp_path):
    async with JanusProcess(tmp_path / "township", rtp_port_range="48000-48499") as township, \
            JanusClient(township.ws_url) as town_api:
        town_session = await town_api.create_session()
        town_vr = await town_session.attach("janus.plugin.videoroom")
        await town_vr.request({"request": "create", "room": "TS-1", "secret": "t-s", "videocodec": "vp8",
                               "publishers": 9, "admin_key": township.room_admin_key})
        site = await PublisherBot.join(town_session, "TS-1", "江南街道", codec="video/VP8")
        peers = tmp_path / "peers.json"
        peers.write_text(json.dumps([{"id": "jnjd", "name": "江南街道", "janus": township.ws_url,
                                      "admin_key": township.room_admin_key, "secret": "t-s"}],
                                    ensure_ascii=False), "utf-8")
        bot = Bot("video-yjj", "应急管理局视频终端", 1)  # a city site, whose invitation gives the city Janus
        terminals = tmp_path / "terminals.json"
        terminals.write_text(json.dumps([{"id": bot.terminal, "name": bot.name, "department": "应急",
                                          "agent": await bot.serve_agent()}], ensure_ascii=False), "utf-8")
        (tmp_path / "be").mkdir()
        backend = await asyncio.to_thread(start_backend, tmp_path / "be", extra_args=(
            "--conference-terminals", str(terminals), "--conference-peers", str(peers),
            "--janus-rtp-ports", "48500-48999"))
        officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
        api = watcher = None
        try:
            room = (await officer.command("conference.create", {"title": "市镇两级会商"}))["result"]["room"]
            assert (await officer.command("conference.invite", {"room": room, "terminals": [bot.terminal]}))["ok"]
            await asyncio.wait_for(bot.connected.wait(), 30)

            bad = await officer.command("conference.cascade", {"room": room, "peer": "nowhere", "lower_room": "TS-1"})
            assert not bad["ok"] and bad["error"]["code"] == "not_found" and "nowhere" in bad["error"]["message"]
            res = await officer.command("conference.cascade", {"room": room, "peer": "jnjd", "lower_room": "TS-1"})
            assert res["ok"], res
            assert res["result"]["linked"] == [str(site.feed_id)]
            key = "jnjd/TS-1"
            await _wait(officer, lambda: (_records(officer, "conferences")[room].get("media") or {}).get(
                "cascades") == {key: [str(site.feed_id)]}, "cascade on the record")

            # a city participant subscribes to the township site as to any publisher of the room
            api = await JanusClient(bot.invite["janus"]).connect()
            session = await api.create_session()
            vr = await session.attach("janus.plugin.videoroom")
            listed = await vr.request({"request": "listparticipants", "room": room})
            remote = [p for p in listed["participants"] if p.get("display") == "江南街道"]
            assert len(remote) == 1 and remote[0].get("publisher"), listed
            watcher = await SubscriberBot.videoroom(session, room, remote[0]["id"], pin=bot.invite["pin"])
            await watcher.wait_frames(10, timeout=40)
            assert watcher.size == (320, 240)

            res = await officer.command("conference.cascade", {"room": room, "peer": "jnjd", "lower_room": "TS-1",
                                                               "on": False})
            assert res["ok"] and res["result"]["linked"] == [], res
            await _wait(officer, lambda: not _records(officer, "conferences")[room]["media"]["cascades"], "unlinked")
            listed = await vr.request({"request": "listparticipants", "room": room})
            assert not any(p.get("display") == "江南街道" for p in listed["participants"])
            assert "conference.cascade" in {r["action"] for r in backend.audit_rows()}
        finally:
            if watcher is not None:
                await watcher.close()
            if api is not None:
                await api.close()
            await officer.close()
            await bot.close()
            await site.close()
            await asyncio.to_thread(backend.stop)
