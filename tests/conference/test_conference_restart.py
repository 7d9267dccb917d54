"""Janus dies under an open conference: the backend starts it again, recreates the room and calls the sites back."""
from __future__ import annotations

import asyncio
import shutil

import psutil
import pytest

from tests.backend.wsclient import RawClient
from tests.conference.test_conference_rooms import _conf, _wait, sites  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")


async def _until(pred, timeout: float = 45.0):
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.05)


async def test_janus_killed_under_a_conference_is_restarted_and_sites_rejoin(sites):  # noqa: F811
    backend, bots = sites
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        room = (await officer.command("conference.create", {"title": "夜间值守会商"}))["result"]["room"]
        await officer.command("conference.invite", {"room": room, "terminals": [b.terminal for b in bots[:3]]})
        await _wait(officer, lambda: len(_conf(officer, room).get("participants", {})) == 3, "joined")
        await officer.command("conference.layout", {"room": room, "split": 9, "mode": "rotating", "every": 5})
        janus = [c for c in psutil.Process(backend.proc.pid).children(recursive=True) if c.name() == "janus"]
        assert len(janus) == 1
        janus[0].kill()
        await _wait(officer, lambda: not _conf(officer, room)["janus"]["ok"], "janus reported down")
        await _wait(officer, lambda: _conf(officer, room)["janus"]["ok"]
                    and len(_conf(officer, room)["participants"]) == 3, "room recreated and sites back")
        await _until(lambda: all(b.ups == 2 for b in bots[:3]))
        conf = _conf(officer, room)
        assert conf["layout"]["split"] == 9 and conf["layout"]["mode"] == "rotating"  # the pushed layout kept
        res = await officer.command("conference.mute", {"room": room, "mute": True})
        assert res["ok"], res  # moderation works on the new Janus
    finally:
        await officer.close()
