"""PTZ end to end on a real pseudo-terminal: command over websocket -> backend -> Pelco-D bytes on the tty."""
from __future__ import annotations

import asyncio
import json
import os
import select
import time

import pytest

from devices import pelco_d
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend
from tests.helpers.pty import PtyPair


def _read(path: str, n: int, timeout: float = 20.0) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        out = b""
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                out += os.read(fd, 64)
        return out
    finally:
        os.close(fd)


@pytest.fixture
def ptz_backend(tmp_path):
    pair = PtyPair(tmp_path / "pty").start()
    cameras = tmp_path / "cameras.json"
    cameras.write_text(json.dumps([
        {"id": "cam-01", "name": "丽州路口", "url": "rtsp://127.0.0.1:9/cam-01",
         "ptz": {"protocol": "pelco-d", "port": pair.a, "address": 3}},
        {"id": "cam-02", "name": "无云台", "url": "rtsp://127.0.0.1:9/cam-02"},
        {"id": "cam-03", "name": "断线", "url": "rtsp://127.0.0.1:9/cam-03",
         "ptz": {"protocol": "pelco-d", "port": str(tmp_path / "no-such-tty"), "address": 1}},
    ]), "utf-8")
    backend = start_backend(tmp_path, cameras=cameras)
    try:
        yield backend, pair
    finally:
        backend.stop()
        pair.stop()


def test_ptz_commands_become_pelco_d_bytes_on_the_serial_line(ptz_backend):
    backend, pair = ptz_backend
    token = backend.token("wall_operator")

    async def scenario():
        client = await RawClient.connect(backend.url, token)
        cases = [
            ("ptz.move", {"camera": "cam-01", "pan": -1, "tilt": 1, "speed": 0x10}, pelco_d.pan_tilt(3, -1, 1, 0x10, 0x10)),
            ("ptz.stop", {"camera": "cam-01"}, pelco_d.stop(3)),
            ("ptz.zoom", {"camera": "cam-01", "direction": 1}, pelco_d.zoom(3, 1)),
            ("ptz.preset", {"camera": "cam-01", "n": 7, "op": "set"}, pelco_d.set_preset(3, 7)),
            ("ptz.preset", {"camera": "cam-01", "n": 7, "op": "goto"}, pelco_d.goto_preset(3, 7)),
        ]
        got = []
        for action, args, expected in cases:
            result = await client.command(action, args)
            assert result["ok"], result
            got.append((action, await asyncio.to_thread(_read, pair.b, len(expected)), expected))
        await client.ws.close()
        return got

    for action, data, expected in asyncio.run(scenario()):
        assert data == expected, f"{action}: {data.hex(' ')} != {expected.hex(' ')}"
    # byte-for-byte against a hand-checked vector too: FF 03 00 0C 10 10 2F (pan left + tilt up, speed 0x10)
    assert pelco_d.pan_tilt(3, -1, 1, 0x10, 0x10) == bytes.fromhex("ff03000c10102f")
    audited = [r for r in backend.audit_rows() if r["action"].startswith("ptz.")]
    assert len(audited) == 5 and all(r["ok"] for r in audited)


def test_ptz_refusals_are_command_failures_and_the_backend_stays_up(ptz_backend):
    backend, _pair = ptz_backend

    async def scenario():
        leader = await RawClient.connect(backend.url, backend.token("leader"))
        op = await RawClient.connect(backend.url, backend.token("duty_officer"))
        out = {
            "forbidden": await leader.command("ptz.move", {"camera": "cam-01", "pan": 1, "tilt": 0}),
            "no_ptz": await op.command("ptz.move", {"camera": "cam-02", "pan": 1, "tilt": 0}),
            "unknown": await op.command("ptz.stop", {"camera": "cam-99"}),
            "bad_pan": await op.command("ptz.move", {"camera": "cam-01", "pan": 5, "tilt": 0}),
            "bad_preset": await op.command("ptz.preset", {"camera": "cam-01", "n": 0}),
            "no_port": await op.command("ptz.stop", {"camera": "cam-03"}),
            "still_ok": await op.command("ptz.stop", {"camera": "cam-01"}),
        }
        await leader.ws.close()
        await op.ws.close()
        return out

    out = asyncio.run(scenario())
    assert out["forbidden"]["error"]["code"] == "forbidden"
    assert out["no_ptz"]["error"]["code"] == "unavailable" and "no PTZ" in out["no_ptz"]["error"]["message"]
    assert out["unknown"]["error"]["code"] == "not_found"
    assert out["bad_pan"]["error"]["code"] == "bad_args"
    assert out["bad_preset"]["error"]["code"] == "bad_args"
    assert out["no_port"]["error"]["code"] == "unavailable" and "no-such-tty" in out["no_port"]["error"]["message"]
    assert out["still_ok"]["ok"], out["still_ok"]
    assert backend.running
