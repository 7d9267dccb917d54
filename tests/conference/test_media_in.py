"""Video in: a camera served by the relay (HTTP-TS) is fed by ffmpeg (-c copy → RTP) into a Janus streaming
mountpoint, and an aiortc participant receives and decodes its frames."""
from __future__ import annotations

import shutil

import pytest

from backend.conference.janus_api import JanusClient
from backend.conference.janus_proc import JanusProcess
from backend.conference.media import MediaIn, feed_command
from tests.conference.bots_media import SubscriberBot
from tests.helpers.rtsp import RelayProc, test_clips

pytestmark = pytest.mark.skipif(shutil.which("janus") is None or shutil.which("ffmpeg") is None,
                                reason="needs the janus and ffmpeg packages")


def test_feed_command_copies_video_to_rtp():
    cmd = feed_command("http://127.0.0.1:8780/cam/c.ts?token=T", 43000)
    assert cmd[cmd.index("-c") + 1] == "copy" and cmd[-1] == "rtp://127.0.0.1:43000?pkt_size=1200"


async def test_a_relay_camera_reaches_a_conference_participant(tmp_path):
    clips = test_clips()
    with RelayProc(tmp_path / "relay", [{"id": "cam-01", "url": str(clips / "cam-01.h264")}]) as relay:
        async with JanusProcess(tmp_path / "janus", rtp_port_range="37000-37999") as janus, \
                JanusClient(janus.ws_url) as api:
            session = await api.create_session()
            streaming = await session.attach("janus.plugin.streaming")
            media_in = MediaIn(streaming, admin_key=janus.room_admin_key)
            watcher = None
            try:
                stream = await media_in.publish("cam-01-in", relay.play_url("cam-01"), description="cam-01")
                watcher = await SubscriberBot.mountpoint(session, "cam-01-in")
                await watcher.wait_frames(10, timeout=40)
                assert watcher.size[0] > 0
                assert await media_in.unpublish("cam-01-in") and stream.proc.returncode is not None
                listed = await streaming.request({"request": "list"})
                assert not any(m.get("id") == "cam-01-in" for m in listed.get("list", []))
            finally:
                if watcher is not None:
                    await watcher.close()
                await media_in.close()
