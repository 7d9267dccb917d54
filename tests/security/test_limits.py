"""Limits: per-connection token bucket (rate_limited, connection kept; abuse closes), per-user connection
cap, frame size. Real hub process, real sockets."""
import asyncio

import pytest

from backend_client import protocol
from tests.helpers.backend_proc import start_backend
from tests.security.conftest import closed, first_answer


@pytest.fixture
def hub(tmp_path):
    proc = start_backend(tmp_path, extra_args=["--rate", "5", "--burst", "10", "--max-conns-per-user", "2"])
    try:
        yield proc
    finally:
        proc.stop()


async def _drain(ws, want: int, timeout: float = 30) -> list[dict]:
    frames = []
    async with asyncio.timeout(timeout):
        while len([f for f in frames if f["type"] in ("pong", "error")]) < want:
            frames.append(protocol.decode_server(await ws.recv()))
    return frames


async def test_over_the_rate_a_frame_gets_rate_limited_and_the_connection_stays(hub):
    ok, ws = await first_answer(hub.url, protocol.auth(hub.token("duty_officer")))
    for _ in range(40):
        await ws.send(protocol.encode({"type": "ping"}))
    frames = await _drain(ws, 40)
    kinds = [f["type"] if f["type"] == "pong" else f["code"] for f in frames if f["type"] in ("pong", "error")]
    assert 10 <= kinds.count("pong") < 20 and kinds.count("rate_limited") == 40 - kinds.count("pong")
    await asyncio.sleep(1.0)  # the bucket refills: the same connection works again
    await ws.send(protocol.encode({"type": "ping"}))
    assert (await _drain(ws, 1))[-1]["type"] == "pong"
    result_id = "c-over"
    for i in range(20):  # a command over the limit is answered too, so no caller waits forever
        await ws.send(protocol.encode(protocol.command(f"{result_id}{i}", "alert.ack", {"id": "A-1"})))
    await ws.close()


async def test_sustained_abuse_closes_the_connection(hub):
    ok, ws = await first_answer(hub.url, protocol.auth(hub.token("duty_officer")))
    frame = protocol.encode({"type": "ping"})

    async def flood():
        try:
            for _ in range(1000):
                await ws.send(frame)
        except Exception:
            pass
    task = asyncio.create_task(flood())
    code, reason, _frames = await closed(ws, 30)
    await task
    assert (code, reason) == (1008, "rate_limited")


async def test_per_user_connection_cap(hub):
    token = hub.token("wall_operator")
    first, ws1 = await first_answer(hub.url, protocol.auth(token))
    second, ws2 = await first_answer(hub.url, protocol.auth(token))
    third, ws3 = await first_answer(hub.url, protocol.auth(token))
    assert first["type"] == second["type"] == "auth_ok"
    assert third["code"] == "too_many_connections"
    assert (await closed(ws3))[0] == 4029
    other, ws4 = await first_answer(hub.url, protocol.auth(hub.token("leader")))  # per user, not global
    assert other["type"] == "auth_ok"
    await ws1.close()
    await asyncio.sleep(0.5)
    again, ws5 = await first_answer(hub.url, protocol.auth(token))
    assert again["type"] == "auth_ok"
    for ws in (ws2, ws4, ws5):
        await ws.close()


async def test_a_frame_over_64_kib_is_refused_and_the_connection_stays(hub):
    ok, ws = await first_answer(hub.url, protocol.auth(hub.token("duty_officer")))
    await ws.send(protocol.encode({"type": "ping", "pad": "x" * (65 * 1024)}))
    await ws.send(protocol.encode({"type": "ping"}))
    frames = await _drain(ws, 2)
    errors = [f for f in frames if f["type"] == "error"]
    assert errors[0]["code"] == "too_large" and frames[-1]["type"] == "pong"
    await ws.close()
