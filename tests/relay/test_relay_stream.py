"""What a viewer receives is the camera's stream, whole: packet-aligned, nothing lost, doubled or reordered.

The relay writes each chunk straight to a viewer's socket as read (not packet-aligned), falls back to the
asyncio transport's buffer when the socket is full, and starts late viewers from the GOP cache plus the
partial packet read after it. These tests check the bytes: every 188th byte a sync byte, and the video
PID's continuity counter never skipping, across a viewer's pauses and for viewers joining at any moment.
"""
import time

import pytest

from backend.relay.ts import PACKET, TsScanner
from tests.helpers.rtsp import TsClient

pytestmark = pytest.mark.rtsp


def check_whole(data: bytes) -> int:
    """Assert ``data`` is whole TS packets from its first byte, the video PID's continuity counter
    unbroken from the first keyframe on; returns how many video packets were checked."""
    data = bytes(data[:len(data) - len(data) % PACKET])
    bad = [i for i in range(0, len(data), PACKET) if data[i] != 0x47]
    assert not bad, f"sync byte missing at {len(bad)} packet(s), first at byte {bad[0]}"
    scanner = TsScanner()
    _chunk, frames = scanner.feed(data)
    assert scanner.video_pid is not None and frames and frames[0].key
    expected, checked = None, 0
    for i in range(frames[0].index * PACKET, len(data), PACKET):
        pkt = data[i:i + PACKET]
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        if pid != scanner.video_pid or not (pkt[3] >> 4) & 0x1:
            continue  # not video, or no payload (the counter only moves with a payload)
        cc = pkt[3] & 0x0F
        assert expected is None or cc == expected, \
            f"video continuity counter {cc} where {expected} was due, packet {i // PACKET}: bytes lost or doubled"
        expected = (cc + 1) & 0x0F
        checked += 1
    return checked


def test_a_paused_viewer_gets_every_byte_in_order(rtsp_server, relay_factory):
    # a small send buffer fills during the pause: the rest waits in the transport, then direct writes resume
    relay = relay_factory([{"id": "cam-01", "url": rtsp_server.url("cam-01")}],
                          settings={"sndbuf": 16_384, "max_queue_bytes": 8_000_000})
    with TsClient(relay.play_url("cam-01"), keep=3_000_000, rcvbuf=4096) as viewer:
        viewer.wait_bytes(150_000)
        for _ in range(3):
            viewer.pause()
            time.sleep(1.5)  # ~1.5 s of video: far more than the socket buffers hold
            viewer.resume()
            viewer.wait_bytes(viewer.bytes + 150_000)
        assert relay.health("cam-01")["viewers"] == 1  # paused, not dropped
        assert not viewer.closed.is_set()
        assert check_whole(viewer.data) > 1000


def test_late_viewers_join_whole_at_any_moment(rtsp_server, relay_factory):
    relay = relay_factory([{"id": "cam-02", "url": rtsp_server.url("cam-02")}])
    with TsClient(relay.play_url("cam-02"), keep=0) as first:
        first.wait_bytes(100_000)
        relay.wait_state("cam-02", "live")
        late = []
        try:
            for delay in (0.0, 0.13, 0.31, 0.07, 0.22):  # between chunks, and at different partial packets
                time.sleep(delay)
                late.append(TsClient(relay.play_url("cam-02"), keep=600_000).start())
            for viewer in late:
                viewer.wait_bytes(600_000)
                assert check_whole(viewer.data) > 200
        finally:
            for viewer in late:
                viewer.stop()


@pytest.mark.parametrize("mode", ["key", "off"])
def test_late_viewers_start_on_a_packet_in_every_gop_mode(rtsp_server, relay_factory, mode):
    # "key": the cached keyframe, then live (a gap by design); "off": live only, from the next whole packet
    relay = relay_factory([{"id": "cam-03", "url": rtsp_server.url("cam-03")}], settings={"gop_mode": mode})
    with TsClient(relay.play_url("cam-03"), keep=0) as first:
        first.wait_bytes(100_000)
        relay.wait_state("cam-03", "live")
        late = []
        try:
            for delay in (0.0, 0.17, 0.29):
                time.sleep(delay)
                late.append(TsClient(relay.play_url("cam-03"), keep=300_000).start())
            for viewer in late:
                viewer.wait_bytes(300_000, timeout=30)
                data = bytes(viewer.data)
                bad = [i for i in range(0, len(data) - PACKET + 1, PACKET) if data[i] != 0x47]
                assert not bad, f"{mode}: sync byte missing at {len(bad)} packet(s), first at byte {bad[0]}"
                scanner = TsScanner()
                _chunk, frames = scanner.feed(data)
                assert frames and (frames[0].key or mode == "off")
        finally:
            for viewer in late:
                viewer.stop()
