"""Participant video out: an aiortc site publishes H.264 into a videoroom, Janus forwards it as RTP, the relay
remuxes it (-c copy) like a camera, and a libvlc player decodes it; stopping the forward removes the source."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from types import SimpleNamespace

import pytest

from backend import auth, store
from backend.conference.janus_api import JanusClient
from backend.conference.janus_proc import JanusProcess
from backend.conference.media import MediaError, MediaOut, sdp_text, source_id
from backend.core import Core
from backend.relay.supervisor import RelaySupervisor
from tests.conference.bots_media import PublisherBot
from tests.helpers.rtsp import free_port
from tests.relay.vlc_probe import HeadlessPlayer

pytestmark = pytest.mark.skipif(shutil.which("janus") is None or shutil.which("ffmpeg") is None,
                                reason="needs the janus and ffmpeg packages")


def test_sdp_and_source_ids():
    text = sdp_text(42010, "h264")
    assert "m=video 42010 RTP/AVP 96" in text and "a=rtpmap:96 H264/90000" in text
    assert "packetization-mode=1" in text and text.endswith("\r\n")
    assert "VP8/90000" in sdp_text(42012, "VP8")
    with pytest.raises(MediaError, match="'mjpeg' cannot be described"):
        sdp_text(42014, "mjpeg")
    assert source_id("CS-1", "video-jnjd") == "conf-CS-1-video-jnjd"
    assert all(c.isalnum() or c in "_.-" for c in source_id("会商 1", "a/b"))
    assert len(source_id("R" * 80, "p")) == 64


async def _wait(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await cond() if asyncio.iscoroutinefunction(cond) else cond()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{what} not met within {timeout} s")


def _viewer_token(relay, enrolment: str) -> str:
    """A token the relay takes: a service token where the supervisor mints them (the relay then refuses
    enrolment tokens), else the user's enrolment token."""
    return relay.service_token("test-viewer") if hasattr(relay, "service_token") else enrolment


@contextlib.asynccontextmanager
async def _room_with_a_site(tmp_path, room: str, secret: str):
    """A Core with a wall operator, the relay, Janus with an H.264 room, one aiortc site publishing in it and a
    started MediaOut: ``ns.core, ns.token, ns.janus, ns.videoroom, ns.relay, ns.bot, ns.out``."""
    db = tmp_path / "cc.db"
    store.create_schema(db)
    conn = store.connect(db)
    token = auth.add_user(conn, "wall-1", "wall_operator")
    conn.close()
    async with Core(db) as core, JanusProcess(tmp_path / "janus", rtp_port_range="33000-33999") as janus, \
            JanusClient(janus.ws_url) as api:
        relay = RelaySupervisor(core, port=free_port(), state_dir=tmp_path / "relay", keep_relay=False)
        await relay.start()
        try:
            session = await api.create_session()
            videoroom = await session.attach("janus.plugin.videoroom")
            await videoroom.request({"request": "create", "room": room, "secret": secret, "videocodec": "h264",
                                     "publishers": 9, "admin_key": janus.room_admin_key})
            bot = await PublisherBot.join(session, room, "江南街道")
            out = MediaOut(core, videoroom, admin_key=janus.room_admin_key, sdp_dir=tmp_path / "sdp")
            await out.start()
            try:
                yield SimpleNamespace(core=core, token=token, janus=janus, videoroom=videoroom, relay=relay,
                                      bot=bot, out=out)
            finally:
                await out.close()
                await bot.close()
        finally:
            await relay.stop()


async def _relay_url(relay, source: str, enrolment: str) -> str:
    """The relay's play URL of ``source`` once the supervisor has pushed the source to the relay."""
    async def relay_knows():
        health = await relay._ctl.call("GET", "/control/health")
        return any(item.get("id") == source for item in health)

    await _wait(relay_knows, what="the conference source pushed to the relay")
    return f"{relay.base_url}/cam/{source}.ts?token={_viewer_token(relay, enrolment)}"


def _play(url: str, frames: int) -> int:
    with HeadlessPlayer(url) as player:
        return player.wait_frames(frames, timeout=40)


async def test_participant_video_reaches_a_libvlc_player_through_the_relay(tmp_path):
    room, secret = "CS-media-1", "room-secret"
    async with _room_with_a_site(tmp_path, room, secret) as ns:
        core, out, bot, videoroom = ns.core, ns.out, ns.bot, ns.videoroom
        with pytest.raises(MediaError, match="no such participant"):
            await out.forward(room, "nobody", secret=secret)
        pv = await out.forward(room, bot.feed_id, secret=secret, display="江南街道")
        assert pv.codec == "h264" and pv.source == source_id(room, bot.feed_id)
        assert await out.forward(room, bot.feed_id, secret=secret) == pv  # idempotent
        record = core.get("cameras", pv.source)
        assert record["name"] == "江南街道" and record["room"] == room and record["source"] == "conference"
        assert any(s["id"] == pv.source and s["url"].endswith(".sdp") for s in core.camera_sources())

        url = await _relay_url(ns.relay, pv.source, ns.token)
        decoded = await asyncio.to_thread(_play, url, 10)
        assert decoded >= 10
        live = await _wait(lambda: (core.get("cameras", pv.source) or {}).get("state") == "live"
                           and core.get("cameras", pv.source), what="source live in the store")
        assert live["codec"] == "h264"  # remuxed, not transcoded
        assert out.refreshes >= 1  # the pull turned "connecting": the forward was re-added (keyframe)

        assert await out.stop_forward(room, bot.feed_id, secret=secret)
        assert core.get("cameras", pv.source) is None
        assert not any(s["id"] == pv.source for s in core.camera_sources())
        assert not pv.sdp_path.exists()
        forwarders = await videoroom.request({"request": "listforwarders", "room": room, "secret": secret,
                                              "admin_key": ns.janus.room_admin_key})
        assert all(not p.get("forwarders") for p in forwarders.get("publishers", []))


async def test_a_forward_by_mid_gets_a_keyframe_for_a_new_pull(tmp_path):
    """The backend forwards by mid once it knows it (the ``streams`` form of rtp_forward), and Janus 1.1.2 sends
    the publisher no PLI for that form: keyframe requests must still reach the site. The room here has no
    periodic keyframe request (no fir_freq): the site's sender must get a PLI for each ``refresh``."""
    room, secret = "CS-media-mid", "room-secret"
    async with _room_with_a_site(tmp_path, room, secret) as ns:
        core, out, bot = ns.core, ns.out, ns.bot
        mid = next(s["mid"] for s in bot.streams if s.get("type") == "video")
        asked = []  # keyframe requests (PLI/FIR) the site's aiortc sender got
        sender = next(t.sender for t in bot.pc.getTransceivers() if t.kind == "video")
        plain = sender._send_keyframe
        sender._send_keyframe = lambda: (asked.append(1), plain())[1]
        pv = await out.forward(room, bot.feed_id, secret=secret, codec="h264", mid=mid)
        assert pv.mid == mid
        await asyncio.sleep(1.5)
        before = len(asked)
        await out.refresh(pv.source)
        await _wait(lambda: len(asked) > before, timeout=10.0, what="the site asked for a keyframe")

        url = await _relay_url(ns.relay, pv.source, ns.token)
        player = await asyncio.to_thread(HeadlessPlayer, url)
        try:
            await asyncio.to_thread(player.__enter__)
            await _wait(lambda: (core.get("cameras", pv.source) or {}).get("state") == "live", timeout=30.0,
                        what="the pull live on a requested keyframe")
        finally:
            await asyncio.to_thread(player.__exit__, None, None, None)
        assert out.refreshes >= 1
        forwarders = await ns.videoroom.request({"request": "listforwarders", "room": room, "secret": secret,
                                                 "admin_key": ns.janus.room_admin_key})
        ports = [f.get("port") for p in forwarders.get("publishers", []) for f in p.get("forwarders", [])]
        assert ports == [pv.port]  # the keyframe requests' throw-away forwarders are gone again
