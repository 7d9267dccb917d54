"""A channel's hot path on real bytes: chunks cut anywhere (as pipe reads cut ffmpeg's writes), viewers
joining between any two chunks, in every GOP mode: each viewer's stream is whole TS packets from its first
byte, and from its first keyframe on nothing is lost, doubled or reordered (the video continuity counter).

The pull is not started (``ensure_running`` is switched off): the test hands the channel the bytes the
pump would, through the same callback, and the viewers are real sockets (socket pairs) read by threads.
"""
import asyncio
import fcntl
import os
import random
import shutil
import socket
import struct
import subprocess
import termios
import threading
import time

import pytest

from backend.relay import pump as pumps
from backend.relay.channel import Channel, Settings, Viewer
from tests.helpers.rtsp import check_ts_whole, test_clips

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def ts_h264() -> bytes:
    clip = test_clips() / "h264-test.h264"
    return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "+genpts", "-r", "25",
                           "-i", str(clip), "-c", "copy", "-f", "mpegts", "-mpegts_flags", "+resend_headers",
                           "pipe:1"], capture_output=True, check=True, timeout=60).stdout


class SocketViewer:
    """A Viewer writing into one end of a socket pair; a thread reads the other end to EOF."""

    def __init__(self):
        mine, self._peer = socket.socketpair()
        mine.setblocking(False)
        self.viewer = Viewer("tester", "c", "main", None)
        self.viewer.attach(mine)
        mine.close()  # the viewer holds its own duplicate: EOF comes when the channel closes it
        self.data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while part := self._peer.recv(1 << 16):
            self.data += part

    def result(self) -> bytes:
        self._thread.join(10)
        self._peer.close()
        return bytes(self.data)


async def _close(channel: Channel, viewers: list[SocketViewer]) -> None:
    """Remove the viewers from the channel, each once what its full socket left waiting has gone out."""
    for v in viewers:
        while v.viewer._backlog:
            await asyncio.sleep(0.01)
            with pumps.LOCK:
                v.viewer.send(b"", 1 << 30)
        channel.remove_viewer(v.viewer)


@pytest.mark.parametrize("mode", ["gop", "key", "off"])
def test_viewers_joining_between_odd_chunks_get_whole_streams(ts_h264, mode):
    rng = random.Random(7)
    stream = ts_h264[:-100]  # the pull ends inside a packet (ffmpeg killed mid-write)
    cuts, pos = [], 0
    while pos < len(stream):  # chunk sizes that are not multiples of 188, like reads of a pipe
        size = rng.choice((97, 188 * 3 + 5, 1000, 4093, 9001, 20_011))
        cuts.append(stream[pos:pos + size])
        pos += size
    joins = set(rng.sample(range(40, len(cuts) - 40), 6))

    async def main():
        channel = Channel("c", "main", "unused", Settings(gop_mode=mode), lambda viewer: None)
        channel.ensure_running = lambda: None  # no pull: the test is the pump
        first, late = SocketViewer(), []
        channel.add_viewer(first.viewer)
        for i, chunk in enumerate(cuts):
            if i in joins:
                late.append(SocketViewer())
                channel.add_viewer(late[-1].viewer)
            with pumps.LOCK:
                channel._on_bytes(chunk)
            if i % 7 == 0:
                channel.tick(0.0)  # the once-a-second scan, at some point between chunks
        with pumps.LOCK:
            channel._end_stream()
        await _close(channel, [first, *late])
        return first, late

    first, late = asyncio.run(main())
    assert check_ts_whole(first.result()) > 1000
    for v in late:
        data = v.result()
        if mode == "key":  # the cached keyframe (if whole yet), then live: a gap by design; whole packets
            check_ts_whole(data, from_key=False, continuity=False)
        else:
            assert check_ts_whole(data, from_key=mode == "gop") > 100


def _first_stream(stream: bytes, sizes: tuple[int, ...]) -> bytes:
    """The bytes a viewer gets when it watches from before the pull's first byte and the channel is given
    ``stream`` in chunks of ``sizes`` (in turn)."""
    async def main():
        channel = Channel("c", "main", "unused", Settings(), lambda viewer: None)
        channel.ensure_running = lambda: None  # no pull: the test is the pump
        v = SocketViewer()
        channel.add_viewer(v.viewer)
        pos, n = 0, 0
        while pos < len(stream):
            size = sizes[n % len(sizes)]
            with pumps.LOCK:
                channel._on_bytes(stream[pos:pos + size])
            pos, n = pos + size, n + 1
        with pumps.LOCK:
            channel._end_stream()
        await _close(channel, [v])
        return v

    return asyncio.run(main()).result()


def test_a_pull_s_first_bytes_do_not_depend_on_how_reads_cut_them(ts_h264):
    """The stream starts at the first keyframe with the PAT and PMT sent last before it, whatever the reads: a
    first read holding more tables after the keyframe (the muxer sends them every 0.1 s) once made the first
    packet another PAT (seen as a flake: the same stream through the C lane and the Python path differed)."""
    stream = ts_h264[:-100]
    one_read = _first_stream(stream, (len(stream),))
    assert check_ts_whole(one_read) > 1000
    for sizes in ((97,), (20_011,), (188 * 40 + 5, 4093), (1000, 9001, 188 * 3 + 5)):
        assert _first_stream(stream, sizes) == one_read, sizes


class PausingViewer(SocketViewer):
    """A SocketViewer whose reader stops for a while now and then (small buffers: its socket fills at once)."""

    def __init__(self):
        self.reads = 0
        super().__init__()

    def _read(self):
        self._peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        while part := self._peer.recv(1000):
            self.data += part
            self.reads += 1
            if self.reads % 300 == 0:
                time.sleep(0.3)


def _unread(fd: int) -> int:
    """How many bytes wait in pipe ``fd``."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]


def _through_the_pump(stream: bytes, native: bool, seed: int = 11):
    """Write ``stream`` into a real pipe read by a real pump (with its C lane or without), as a pull would, with
    viewers joining at random moments, one of them pausing. Returns (first viewer's bytes, the late viewers',
    the pausing one's, (how many writes found the pipe in the lane, how often viewers left it), each viewer's
    byte count)."""
    rng = random.Random(seed)

    async def main():
        pump = pumps.Pump(interval_s=0.0, native=native)
        channel = Channel("c", "main", "unused", Settings(gop_mode="gop"), lambda viewer: None)
        channel.ensure_running = lambda: None  # no ffmpeg: this test writes the pull's pipe itself
        rfd, wfd = pumps.make_pipe()
        channel._pump, channel._rfd = pump, rfd  # what _pull_once does
        left = []  # each time viewers left the C lane

        def on_short():
            left.append(1)
            channel._relane()

        pump.add(rfd, channel._on_bytes, lambda: None, None, on_short)
        first, pausing, late, laned = SocketViewer(), PausingViewer(), [], 0
        channel.add_viewer(first.viewer)
        channel.add_viewer(pausing.viewer)
        pos = 0
        while pos < len(stream):
            size = rng.choice((97, 188 * 3 + 5, 1000, 4093, 9001, 20_011))
            os.write(wfd, stream[pos:pos + size])
            pos += size
            await asyncio.sleep(0.001)
            if rng.random() < 0.01:
                late.append(SocketViewer())
                channel.add_viewer(late[-1].viewer)
            if rng.random() < 0.05:
                channel.tick(0.0)
            with pumps.LOCK:
                laned += bool(pump.lane and rfd in pump.lane.pipes())
        while _unread(rfd):  # the pump reads the rest (it reads and hands out under LOCK, taken next)
            await asyncio.sleep(0.01)
        with pumps.LOCK:  # the end of _pull_once
            channel._rfd = -1
            channel._relane()
        pump.remove(rfd)
        os.close(wfd)
        with pumps.LOCK:
            channel._end_stream()
        await _close(channel, [first, pausing, *late])
        pump.close()
        return first, pausing, late, laned, len(left)

    first, pausing, late, laned, left = asyncio.run(main())
    return (first.result(), [v.result() for v in late], pausing.result(), (laned, left),
            [v.viewer.bytes for v in [first, pausing, *late]])


@pytest.mark.parametrize("native", [True, False], ids=["c-lane", "python"])
def test_through_a_real_pipe_and_pump_every_viewer_gets_the_same_whole_stream(ts_h264, native):
    """The pump's C lane sends exactly what the Python path sends: the first viewer's stream is the same bytes
    either way, a viewer whose socket fills (and so leaves the lane with a backlog) still gets every byte, and
    viewers joining at any moment start whole from the cached GOP."""
    if native and not pumps.native_available():
        pytest.skip("the C lane (backend/relay/_fanout.c) is not built here: see test_the_c_lane_is_built")
    stream = ts_h264[:-100]
    first, late, pausing, (laned, left), counted = _through_the_pump(stream, native)
    assert check_ts_whole(first) > 1000
    assert pausing == first  # it fell behind (its backlog went first) and lost nothing
    assert late and all(check_ts_whole(data) > 100 for data in late)
    assert counted == [len(first), len(pausing), *map(len, late)]  # the byte counts of the view records
    if native:
        assert laned > 0, "the stream never went through the C lane"
        assert left > 0, "no viewer ever left the lane: the pausing viewer's socket never filled"
    else:
        assert laned == left == 0
    reference, *_ = _through_the_pump(stream, False, seed=3)  # other chunking, other joins, the Python path
    assert first == reference


def test_the_c_lane_is_built():
    """`make setup` builds backend/relay/_fanout.c (the relay's CPU goal depends on it); CC_RELAY_NATIVE=0
    says it is left out on purpose."""
    if os.environ.get("CC_RELAY_NATIVE") == "0":
        pytest.skip("CC_RELAY_NATIVE=0")
    assert pumps.native_available(), "backend.relay._fanout is not built: run `make setup` (needs gcc, python3-dev)"
