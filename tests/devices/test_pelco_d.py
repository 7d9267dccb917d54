"""Pelco-D codec: published byte vectors, builders, argument errors, parsing with resync."""
import pytest

from devices import pelco_d as p

VECTORS = [
    (p.camera_on(1), "FF 01 88 00 00 00 89"),
    (p.camera_off(1), "FF 01 08 00 00 00 09"),
    (p.pan_tilt(2, -1, 0, pan_speed=0x20), "FF 02 00 04 20 00 26"),
    (p.stop(2), "FF 02 00 00 00 00 02"),
]


@pytest.mark.parametrize("built,expected", VECTORS, ids=["camera-on", "camera-off", "pan-left", "stop"])
def test_published_vectors_byte_for_byte(built, expected):
    assert built == bytes.fromhex(expected)


def test_frame_checksum_is_sum_of_bytes_2_to_6():
    raw = p.frame(0x10, 0x12, 0x34, 0x56, 0x78)
    assert raw[0] == 0xFF and len(raw) == 7
    assert raw[6] == (0x10 + 0x12 + 0x34 + 0x56 + 0x78) % 256


@pytest.mark.parametrize("built,expected", [
    (p.pan_tilt(1, 1, 0, 0x3F), "FF 01 00 02 3F 00 42"),
    (p.pan_tilt(1, 0, 1, tilt_speed=0x10), "FF 01 00 08 00 10 19"),
    (p.pan_tilt(1, 0, -1, tilt_speed=0x10), "FF 01 00 10 00 10 21"),
    (p.pan_tilt(1, 1, 1, 0xFF, 0x3F), "FF 01 00 0A FF 3F 49"),
    (p.pan_tilt(7, 0, 0), "FF 07 00 00 00 00 07"),
    (p.zoom(1, 1), "FF 01 00 20 00 00 21"),
    (p.zoom(1, -1), "FF 01 00 40 00 00 41"),
    (p.focus(1, 1), "FF 01 00 80 00 00 81"),
    (p.focus(1, -1), "FF 01 01 00 00 00 02"),
    (p.iris(1, 1), "FF 01 02 00 00 00 03"),
    (p.iris(1, -1), "FF 01 04 00 00 00 05"),
    (p.set_preset(1, 5), "FF 01 00 03 00 05 09"),
    (p.clear_preset(1, 5), "FF 01 00 05 00 05 0B"),
    (p.goto_preset(1, 5), "FF 01 00 07 00 05 0D"),
])
def test_builders(built, expected):
    assert built == bytes.fromhex(expected)


@pytest.mark.parametrize("call,message", [
    (lambda: p.stop(0), "address must be 1-255"),
    (lambda: p.stop(256), "address must be 1-255"),
    (lambda: p.pan_tilt(1, 2, 0), "pan must be -1, 0 or +1, got 2"),
    (lambda: p.pan_tilt(1, 0, -2), "tilt must be -1, 0 or +1"),
    (lambda: p.pan_tilt(1, 1, 0, 0x40), "pan_speed must be 0-63 (0x00-0x3F), got 64 (or 0xFF for turbo)"),
    (lambda: p.pan_tilt(1, 0, 1, tilt_speed=0xFF), "tilt_speed must be 0-63"),
    (lambda: p.pan_tilt(1, 1, 0, -1), "pan_speed must be 0-63"),
    (lambda: p.zoom(1, 3), "zoom must be -1, 0 or +1"),
    (lambda: p.set_preset(1, 0), "preset must be 1-255"),
    (lambda: p.goto_preset(1, 256), "preset must be 1-255"),
    (lambda: p.frame(1, 0x100, 0, 0, 0), "cmd1 must be 0-255"),
    (lambda: p.frame(1, 0, 0, 1.5, 0), "data1 must be an int, got 1.5"),
    (lambda: p.pan_tilt(1, True, 0), "pan must be -1, 0 or +1"),
])
def test_out_of_range_arguments_raise_precise_value_errors(call, message):
    with pytest.raises(ValueError, match=r"^Pelco-D .*" + __import__("re").escape(message)):
        call()


ALL = [p.camera_on(1), p.camera_off(2), p.pan_tilt(3, -1, 1, 0xFF, 0x3F), p.zoom(4, 1), p.focus(5, -1),
       p.iris(6, 1), p.set_preset(7, 1), p.clear_preset(8, 128), p.goto_preset(255, 255), p.stop(9)]


def test_parse_round_trip():
    frames = p.parse(b"".join(ALL))
    assert [f.to_bytes() for f in frames] == ALL
    assert frames[2] == p.PelcoFrame(3, 0x00, 0x0C, 0xFF, 0x3F)
    assert frames[2].describe() == "addr 3: pan left 0xFF, tilt up 0x3F"
    assert frames[8].describe() == "addr 255: goto preset 255"
    assert frames[9].describe() == "addr 9: stop"


def test_parse_resyncs_on_garbage_and_gives_reasons():
    bad = bytearray(p.camera_on(1))
    bad[6] ^= 0x01  # wrong checksum
    data = b"\x00\x13noise" + bytes(bad) + p.stop(2) + b"\xff\xff" + p.zoom(3, -1) + b"\xff\x01\x02"
    rejects = []
    frames = p.parse(data, rejects)
    assert [f.to_bytes() for f in frames] == [p.stop(2), p.zoom(3, -1)]
    reasons = [r.reason for r in rejects]
    assert reasons[0] == "7 bytes before a sync byte"
    assert reasons[1] == "bad checksum 0x88, expected 0x89"
    assert reasons[-1] == "truncated frame: 3 of 7 bytes"
    assert rejects[1].offset == 7 and rejects[1].raw == bytes(bad)


def test_frame_found_inside_a_false_start():
    # A stray 0xFF right before a real frame: the first candidate fails, the next byte starts the frame.
    assert p.parse(b"\xff" + p.goto_preset(1, 3)) == [p.PelcoFrame(1, 0, 7, 0, 3)]


def test_address_zero_is_rejected():
    rejects = []
    assert p.parse(b"\xff\x00\x00\x00\x00\x00\x00", rejects) == []
    assert rejects[0].reason == "address 0"


def test_streaming_decoder_handles_every_split():
    stream = b"junk" + b"".join(ALL)
    for cut in range(len(stream) + 1):
        dec = p.PelcoDecoder()
        frames = dec.feed(stream[:cut]) + dec.feed(stream[cut:])
        assert [f.to_bytes() for f in frames] == ALL, cut
    dec = p.PelcoDecoder()
    frames = [f for b in stream for f in dec.feed(bytes([b]))]
    assert [f.to_bytes() for f in frames] == ALL
    # Fed one byte at a time, the junk is skipped (and reported) byte by byte.
    assert dec.rejected == 4 and dec.last_reject == p.Rejected(0, b"k", "1 byte before a sync byte")
