"""Warm pulls: a consultation's forwarded sites are pulled by the relay (and live, with a keyframe asked the moment
the pull listens) before any wall or console asks for them; the pulls go when the conference ends."""
from __future__ import annotations

import asyncio
import json
import socket
import urllib.request

from backend.conference.warm import udp_port_bound
from tests.backend.wsclient import RawClient
from tests.conference.test_conference_wall import _relay_token, _wait, consult  # noqa: F401  (fixture)
from tests.room.test_room_backend import _records


def test_udp_port_bound_reads_the_kernel_table():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))  # as ffmpeg binds an SDP's port
        port = s.getsockname()[1]
        assert udp_port_bound(port) is True
    assert udp_port_bound(port) is False
    assert udp_port_bound(port, tables=("/nonexistent/udp",)) is None


def _relay_health(backend, token: str) -> dict[str, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{backend.relay_port}/health?token={token}", timeout=5) as r:
        return {item["id"]: item for item in json.loads(r.read())}


async def test_forwarded_sites_are_live_in_the_relay_before_anyone_watches(consult):  # noqa: F811
    backend, bots = consult
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    token = await _relay_token(backend)
    try:
        res = await officer.command("incident.create", {"title": "西城街道 山体滑坡", "category": "自然灾害",
                                                        "grade": 3, "township": "330784001"})
        res = await leader.command("consultation.start", {"incident": res["result"]["id"]})
        assert res["ok"], res
        room = res["result"]["conference"]["room"]
        ids = sorted(b.terminal for b in bots)

        def out() -> dict:
            return (_records(leader, "conferences").get(room, {}).get("media") or {}).get("out", {})

        await _wait(leader, lambda: sorted(out()) == ids, "all forwarded")
        cams = sorted(out().values())
        # nobody of ours plays them (no wall client here): the backend's own viewer made the relay pull them
        await _wait(leader, lambda: all(_records(leader, "cameras").get(c, {}).get("state") == "live" for c in cams),
                    "every forwarded site live in the relay", timeout=30)
        health = await asyncio.to_thread(_relay_health, backend, token)
        assert all(health[c]["viewers"] >= 1 and health[c]["state"] == "live" for c in cams), health

        assert (await leader.command("conference.end", {"room": room}))["ok"]
        await _wait(leader, lambda: not any(c in _records(leader, "cameras") for c in cams), "sources removed")

        async def pulls_gone() -> None:
            for _ in range(100):
                health = await asyncio.to_thread(_relay_health, backend, token)
                if not any(c in health for c in cams):
                    return
                await asyncio.sleep(0.2)
            raise AssertionError(f"relay still has {[c for c in cams if c in health]}")
        await pulls_gone()
    finally:
        await leader.close()
        await officer.close()
