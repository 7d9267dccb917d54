"""Speaker-following from Janus's own voice activity: a site that talks (a loud tone; the others send silence)
becomes the conference's speaker and the pushed layout's first tile; another site talks, the tile follows."""
from __future__ import annotations

import asyncio
import shutil

import pytest

from tests.backend.wsclient import RawClient
from tests.conference.test_conference_rooms import _conf, _wait, sites  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")


async def test_speaker_tile_follows_the_site_that_talks(sites):  # noqa: F811
    backend, bots = sites
    three = bots[:3]
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        room = (await officer.command("conference.create", {"title": "防汛调度会"}))["result"]["room"]
        await officer.command("conference.invite", {"room": room, "terminals": [b.terminal for b in three]})
        await _wait(officer, lambda: len(_conf(officer, room).get("participants", {})) == 3, "joined")
        res = await officer.command("conference.layout", {"room": room, "split": 4, "mode": "speaker"})
        assert res["ok"], res
        await _wait(officer, lambda: sorted(_conf(officer, room)["layout"]["tiles"][:3])
                    == sorted(b.terminal for b in three), "the three sites in the tiles while nobody talks")
        assert _conf(officer, room)["speaker"] == ""

        for talker in (three[2], three[1]):
            for b in three:
                b.mic.loud = b is talker
            await _wait(officer, lambda: _conf(officer, room)["speaker"] == talker.terminal
                        and _conf(officer, room)["layout"]["tiles"][0] == talker.terminal,
                        f"{talker.terminal} talking: speaker and first tile", timeout=30)
            tiles = _conf(officer, room)["layout"]["tiles"]
            assert sorted(tiles[:3]) == sorted(b.terminal for b in three) and tiles[3] == ""

        # a muted site is not made the speaker by its (still loud) microphone
        await officer.command("conference.mute", {"room": room, "participant": three[0].terminal, "mute": True})
        for b in three:
            b.mic.loud = b is three[0]
        await _wait(officer, lambda: _conf(officer, room)["participants"][three[0].terminal]["audio_muted"], "muted")
        try:  # read the change stream for longer than Janus's 1 s talking window
            async with asyncio.timeout(3.0):
                while True:
                    await officer.recv(3.0)
        except TimeoutError:
            pass
        assert _conf(officer, room)["speaker"] == three[1].terminal
    finally:
        await officer.close()
