"""What a viewer receives is the camera's stream, whole: packet-aligned, nothing lost, doubled or reordered.

The relay writes each chunk straight to a viewer's socket as read (not packet-aligned), keeps what a full
socket cannot take for the next chunk, and starts late viewers from the GOP cache plus the partial packet
read after it. These tests check the bytes: every 188th byte a sync byte, and the video
PID's continuity counter never skipping, across a viewer's pauses and for viewers joining at any moment.
"""
import time

import pytest

from backend.relay.ts import PACKET
from tests.helpers.rtsp import TsClient, check_ts_whole
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.rtsp


def whole_packets(data: bytes) -> bytes:
    """What a TsClient kept, up to its last whole packet (it keeps a byte count, not packets)."""
    return bytes(data[:len(data) - len(data) % PACKET])


@pytest.mark.parametrize("native", ["1", "0"], ids=["c-lane", "python"])
def test_a_paused_viewer_gets_every_byte_in_order(rtsp_server, relay_factory, monkeypatch, native):
    # a small send buffer fills during the pause: the rest waits in the viewer's backlog and goes first (in C:
    # the viewer leaves the lane with what it missed, and comes back once its backlog is written)
    monkeypatch.setenv("CC_RELAY_NATIVE", native)
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
        assert check_ts_whole(whole_packets(viewer.data)) > 1000
        if native == "1":  # its backlog written, it is back in the C lane
            wait_until(lambda: relay.health("cam-01")["native"], timeout=10, what="the stream back in the C lane")
        else:
            assert relay.health("cam-01")["native"] is False


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
                assert check_ts_whole(whole_packets(viewer.data)) > 200
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
                check_ts_whole(whole_packets(viewer.data), from_key=mode != "off", continuity=False)
        finally:
            for viewer in late:
                viewer.stop()
