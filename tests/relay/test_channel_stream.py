"""A channel's hot path on real bytes: chunks cut anywhere (as pipe reads cut ffmpeg's writes), viewers
joining between any two chunks, in every GOP mode: each viewer's stream is whole TS packets from its first
byte, and from its first keyframe on nothing is lost, doubled or reordered (the video continuity counter).

The pull is not started (``ensure_running`` is switched off): the test hands the channel the bytes the
pump would, through the same callback, and the viewers are real sockets (socket pairs) read by threads.
"""
import asyncio
import random
import shutil
import socket
import subprocess
import threading

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
        for v in [first, *late]:  # what a full socket left waiting goes out before the viewer is closed
            while v.viewer._backlog:
                await asyncio.sleep(0.01)
                with pumps.LOCK:
                    v.viewer.send(b"", 1 << 30)
            channel.remove_viewer(v.viewer)
        return first, late

    first, late = asyncio.run(main())
    assert check_ts_whole(first.result()) > 1000
    for v in late:
        data = v.result()
        if mode == "key":  # the cached keyframe (if whole yet), then live: a gap by design; whole packets
            check_ts_whole(data, from_key=False, continuity=False)
        else:
            assert check_ts_whole(data, from_key=mode == "gop") > 100
