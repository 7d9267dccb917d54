"""Recordings: a 5 s bot conference recorded by Janus, converted with janus-pp-rec into a file ffprobe reads,
and linked to the incident as a ``recordings`` record."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import pytest

from backend import store
from backend.conference.janus_api import JanusClient
from backend.conference.janus_proc import JanusProcess
from backend.conference.recording import (convert_file, convert_room, link_recordings, start_recording,
                                          stop_recording)
from backend.core import Core
from tests.conference.bots_media import PublisherBot

pytestmark = pytest.mark.skipif(shutil.which("janus") is None or shutil.which("janus-pp-rec") is None,
                                reason="needs the janus and janus-tools packages")


def test_a_file_that_is_no_recording_is_reported_not_raised(tmp_path):
    bad = tmp_path / "videoroom-R-user-u-1-video-0.mjr"
    bad.write_bytes(b"not a janus recording")
    rec = convert_file(bad, tmp_path / "out")
    assert rec.path == "" and str(bad) in rec.error and rec.room == "R" and rec.participant == "u"


async def test_a_five_second_conference_becomes_a_playable_file_linked_to_the_incident(tmp_path):
    db = tmp_path / "cc.db"
    store.create_schema(db)
    room, secret = "CS-rec-1", "rec-secret"
    async with Core(db) as core, JanusProcess(tmp_path / "janus", rtp_port_range="36000-36999") as janus, \
            JanusClient(janus.ws_url) as api:
        session = await api.create_session()
        videoroom = await session.attach("janus.plugin.videoroom")
        await videoroom.request({"request": "create", "room": room, "secret": secret, "videocodec": "h264",
                                 "publishers": 9, "admin_key": janus.room_admin_key})
        rec_dir = await start_recording(videoroom, room, rec_dir=janus.recordings_dir / room, secret=secret)
        bot = await PublisherBot.join(session, room, "江南街道")
        try:
            await asyncio.sleep(5.0)  # the conference itself: five seconds of video to record
        finally:
            await bot.close()
        await stop_recording(videoroom, room, secret=secret)
        files = await convert_room(rec_dir, tmp_path / "converted")
        video = [r for r in files if r.kind == "video"]
        assert video and not video[0].error, files
        out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                              "stream=codec_name,width,height,nb_read_frames", "-of", "json", video[0].path],
                             capture_output=True, text=True, check=True)
        stream = json.loads(out.stdout)["streams"][0]
        assert stream["codec_name"] == "h264" and (stream["width"], stream["height"]) == (320, 240)
        assert int(stream["nb_read_frames"]) > 30
        assert video[0].path.endswith(".mp4") and video[0].duration_s > 2.0
        assert video[0].room == room and video[0].participant == bot.feed_id

        await link_recordings(core, files, incident="INC-7", room=room)
        record = core.get("recordings", video[0].id)
        assert record["incident"] == "INC-7" and record["path"] == video[0].path and record["codec"] == "h264"
