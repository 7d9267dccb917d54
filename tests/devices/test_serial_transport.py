"""SerialTransport on real pseudo-terminals (socat): bytes, unplug/replug, stuck peers, silence, leaks."""
import asyncio
import os
import threading

import pytest

from devices.transport import (
    Heartbeat, NotConnected, SerialTransport, TransportClosed, TransportError, WriteTimeout,
)
from tests.helpers.pty import PtyPair

pytestmark = pytest.mark.timeout(240)


async def until(predicate, timeout=15.0, what="condition"):
    """Wait for a condition, polling; generous timeout because the machine is shared."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


async def read_until(transport, marker: bytes, timeout=15.0) -> bytes:
    got = b""
    async def collect():
        nonlocal got
        while marker not in got:
            got += await transport.read()
    await asyncio.wait_for(collect(), timeout)
    return got


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_bytes_flow_both_ways_intact(pty_pair):
    async with SerialTransport(pty_pair.a, 115200) as a, SerialTransport(pty_pair.b, 115200) as b:
        assert a.connected and b.connected
        await a.write(b"ping\x00\xff")
        assert await read_until(b, b"\xff") == b"ping\x00\xff"
        await b.write(b"pong")
        assert await read_until(a, b"pong") == b"pong"
        blob = bytes(range(256)) * 400  # 100 kB, every byte value
        writer = asyncio.ensure_future(a.write(blob))
        got = bytearray()
        while len(got) < len(blob):
            got += await asyncio.wait_for(b.read(), 15)
        await writer
        assert bytes(got) == blob


async def test_open_missing_port_names_it_and_leaves_nothing_running(tmp_path):
    threads, fds = threading.active_count(), open_fds()
    t = SerialTransport(str(tmp_path / "ttyUSB9"), 9600)
    with pytest.raises(TransportError, match=r"ttyUSB9: cannot open: .*No such file"):
        await t.open()
    assert threading.active_count() == threads and open_fds() == fds
    with pytest.raises(TransportClosed):
        await t.write(b"x")


async def test_invalid_settings_rejected():
    with pytest.raises(ValueError, match="write_timeout must be > 0"):
        SerialTransport("/dev/null", 9600, write_timeout=None)
    with pytest.raises(ValueError, match="idle_after must be > 0"):
        Heartbeat(0, print)


async def test_background_open_connects_when_the_port_appears(tmp_path):
    pair = PtyPair(tmp_path / "late")  # links do not exist yet
    states = []
    t = SerialTransport(pair.a, 9600, backoff=(0.02, 0.2), on_state=lambda s, d: states.append(s))
    await t.open(wait=False)
    try:
        assert not t.connected
        with pytest.raises(NotConnected, match=r"/a: not connected"):
            await t.write(b"x")
        await until(lambda: t.last_error is not None, what="a failed open attempt")
        assert "cannot open" in t.last_error
        pair.start()
        await t.wait_connected(15)
        async with SerialTransport(pair.b, 9600) as b:
            await t.write(b"hello")
            assert await read_until(b, b"hello") == b"hello"
        assert states[0] == "connected"
    finally:
        await t.close()
        pair.stop()


async def test_unplug_replug_100_times_without_leaks(pty_pair):
    threads_before, fds_before = threading.active_count(), open_fds()
    states = []
    a = SerialTransport(pty_pair.a, 115200, backoff=(0.01, 0.1), on_state=lambda s, d: states.append((s, d)))
    b = SerialTransport(pty_pair.b, 115200, backoff=(0.01, 0.1))
    await a.open()
    await b.open()
    threads_open, fds_open = threading.active_count(), open_fds()
    assert threads_open == threads_before + 4  # one reader and one writer per transport
    for i in range(100):
        pty_pair.unplug(hard=bool(i % 2))  # SIGKILL every other time: the links are left dangling
        await until(lambda: not a.connected and not b.connected, what=f"unplug {i} noticed")
        with pytest.raises(NotConnected):
            await a.write(b"lost")
        pty_pair.replug()
        await a.wait_connected(15)
        await b.wait_connected(15)
        marker = b"<%d>" % i
        await a.write(marker)
        assert (await read_until(b, marker)).endswith(marker)
    assert a.connects == b.connects == 101
    assert threading.active_count() == threads_open
    assert open_fds() == fds_open
    disconnects = [d for s, d in states if s == "disconnected"]
    assert len(disconnects) == 100 and "connection lost" in disconnects[0]
    await a.close()
    await b.close()
    assert threading.active_count() == threads_before and open_fds() == fds_before
    assert states[-1] == ("closed", None)


async def test_peer_that_stops_reading_times_out_without_blocking_the_loop(pty_pair):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with SerialTransport(pty_pair.a, 115200, write_timeout=1.0) as a:
        # Nobody opens or reads end b: socat's buffers and the ttys' fill up, then writes stall.
        tick_task = asyncio.ensure_future(ticker())
        try:
            with pytest.raises(WriteTimeout, match=r"/a: write of 1000000 bytes timed out after 1.0 s: "
                                                   r"the device is not reading"):
                await a.write(b"x" * 1_000_000)
            assert ticks >= 3, "the event loop was blocked during the write"
        finally:
            tick_task.cancel()
        assert a.connected  # a slow device is not an unplugged one
        async with SerialTransport(pty_pair.b, 115200) as b:  # the device recovers and reads again
            await a.write(b"<after>")
            assert (await read_until(b, b"<after>")).endswith(b"<after>")


async def test_close_during_a_stuck_write_returns_promptly(pty_pair):
    a = SerialTransport(pty_pair.a, 115200, write_timeout=60.0)
    await a.open()
    stuck = asyncio.ensure_future(a.write(b"y" * 1_000_000))
    await asyncio.sleep(0.3)  # let the writer thread fill the buffers and stall (not an assertion)
    await asyncio.wait_for(a.close(), 10)  # well before the 60 s write timeout
    # Normally the write was stalled and is cut short; on a very slow machine it may not have started.
    with pytest.raises(TransportError, match=r"write interrupted after \d+ of 1000000 bytes|not connected"):
        await asyncio.wait_for(stuck, 10)


async def test_pending_read_ends_with_transport_closed(pty_pair):
    a = SerialTransport(pty_pair.a, 9600)
    await a.open()
    reader = asyncio.ensure_future(a.read())
    await asyncio.sleep(0)
    await a.close()
    with pytest.raises(TransportClosed, match="/a: closed"):
        await asyncio.wait_for(reader, 10)


async def test_heartbeat_reports_a_silent_peer_once_per_spell(pty_pair):
    calls = []

    async def on_idle(silent):  # coroutine callbacks are allowed
        calls.append(silent)

    beat = Heartbeat(idle_after=0.2, on_idle=on_idle)
    async with SerialTransport(pty_pair.a, 9600, heartbeat=beat) as a, SerialTransport(pty_pair.b, 9600) as b:
        await until(lambda: calls, what="the first idle report")
        assert a.idle and calls[0] >= 0.2
        await asyncio.sleep(0.6)  # three more idle periods of silence...
        assert len(calls) == 1    # ...are still the same silent spell
        await b.write(b"$GPTXT*00\r\n")
        await until(lambda: not a.idle, what="data to clear idle")
        assert await read_until(a, b"\n")
        await until(lambda: len(calls) == 2, what="the second silent spell")


async def test_unread_bytes_beyond_max_buffer_are_dropped_and_counted(pty_pair):
    blob = bytes(range(250)) * 20  # 5000 bytes
    async with SerialTransport(pty_pair.a, 115200, max_buffer=1000) as a, SerialTransport(pty_pair.b, 115200) as b:
        await b.write(blob)
        await until(lambda: a.dropped == 4000, what="4000 bytes dropped")
        assert await a.read() == blob[-1000:]  # the newest bytes are kept
