"""Room device codecs on plain bytes: PJLink, VISCA over IP, Kramer P3000, Extron SIS, NovaStar-style frames, CCL/1."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import lights, matrix, novastar, pjlink, visca


def test_pjlink_lines_and_the_spec_auth_example():
    assert pjlink.command("POWR", "1") == b"%1POWR 1\r"
    assert pjlink.parse_command(b"%1INPT 31\r") == ("INPT", "31")
    assert pjlink.parse_response(b"%1LAMP=12345 1 200 0\r") == ("LAMP", "12345 1 200 0")
    # PJLink specification, class 1, section 5.1: random 498e4a67, password JBMIAProjectorLink
    assert pjlink.auth_digest("498e4a67", "JBMIAProjectorLink") == "5d8409bc1c3fa39749434aa3a5c38682"
    assert pjlink.parse_lamps("12345 1 200 0") == [(12345, True), (200, False)]
    assert pjlink.parse_errors("000120") == {"cover": "warning", "filter": "error"}
    for bad in ("00012", "0003a0"):
        with pytest.raises(pjlink.PjlinkError, match="ERST"):
            pjlink.parse_errors(bad)
    with pytest.raises(pjlink.PjlinkError, match="type 1-5"):
        pjlink.parse_input("61")
    with pytest.raises(pjlink.PjlinkError):
        pjlink.command("HACK")


def test_visca_over_ip_bytes():
    assert visca.preset_recall(5) == bytes.fromhex("81 01 04 3F 02 05 FF")
    assert visca.preset_set(5) == bytes.fromhex("81 01 04 3F 01 05 FF")
    assert visca.pan_tilt(-1, 1, 0x10, 0x08) == bytes.fromhex("81 01 06 01 10 08 01 01 FF")
    assert visca.pan_tilt(0, 0) == bytes.fromhex("81 01 06 01 08 08 03 03 FF")
    assert visca.zoom(1, 3) == bytes.fromhex("81 01 04 07 23 FF")
    assert visca.zoom(-1, 2) == bytes.fromhex("81 01 04 07 32 FF")
    assert visca.pack(visca.COMMAND, 7, visca.power(True)) == bytes.fromhex("01 00 00 06 00 00 00 07 81 01 04 00 02 FF")
    p = visca.unpack(bytes.fromhex("01 11 00 03 00 00 00 07 90 51 FF"))
    assert (p.kind, p.seq, visca.reply_kind(p.payload)) == (visca.REPLY, 7, ("done", None))
    assert visca.reply_kind(bytes.fromhex("90 41 FF")) == ("ack", None)
    assert visca.reply_kind(bytes.fromhex("90 61 41 FF")) == ("error", 0x41)
    with pytest.raises(visca.ViscaError, match="preset"):
        visca.preset_recall(128)
    with pytest.raises(visca.ViscaError, match="header says"):
        visca.unpack(bytes.fromhex("01 11 00 05 00 00 00 07 90 51 FF"))


def test_kramer_and_extron():
    assert matrix.kramer_route(3, 2) == b"#ROUTE 1,2,3\r"
    assert matrix.kramer_vid(3, 2) == b"#VID 3>2\r"
    assert matrix.kramer_parse(b"~01@ROUTE 1,2,3 OK\r\n") == ("ROUTE", "1,2,3 OK")
    assert matrix.kramer_parse(b"~01@ OK\r\n") == ("", "OK")
    with pytest.raises(matrix.MatrixError, match="003 .parameter out of range"):
        matrix.kramer_parse(b"~01@VID ERR 003\r\n")
    assert matrix.extron_tie(1, 2) == b"1*2!"
    assert matrix.extron_tie(1, 2, video_only=True) == b"1*2%"
    assert matrix.extron_parse(b"Out2 In1 All\r\n") == (1, 2, "All")
    with pytest.raises(matrix.MatrixError, match="E01 .invalid input"):
        matrix.extron_parse(b"E01\r\n")
    with pytest.raises(matrix.MatrixError, match="input"):
        matrix.extron_tie(0, 1)


def test_novastar_frames_round_trip_and_resync():
    frame = novastar.brightness(9, 80)
    assert frame[:2] == b"\x55\xAA" and frame[2:7] == bytes([9, 0, 0x02, 1, 0]) and frame[7] == 80
    assert int.from_bytes(frame[-2:], "little") == (9 + 0 + 2 + 1 + 0 + 80 + 0x5555) & 0xFFFF
    dec = novastar.Decoder(novastar.REQ_HEAD)
    stream = b"\x00junk" + frame + frame[:-1] + b"\x00" + novastar.power(10, True)
    frames = dec.feed(stream[:9]) + dec.feed(stream[9:])
    assert [(f.seq, f.cmd, f.payload) for f in frames] == [(9, 2, b"\x50"), (10, 1, b"\x01")]
    assert dec.rejected > 0 and any("checksum" in r for r in dec.reasons)
    rep = novastar.reply(4, novastar.STATUS, 0, bytes([1, 55, 2, 0xF6, 0x05]))
    (f,) = novastar.Decoder().feed(rep)
    st_ = novastar.parse_status(f.payload)
    assert (st_.power, st_.brightness, st_.input, st_.temperature) == (True, 55, "HDMI2", -10)
    assert st_.faults == ["receiving card offline", "over temperature"]
    with pytest.raises(novastar.NovaError, match="input"):
        novastar.select_input(1, 9)


def test_lights_lines():
    assert lights.set_level(3, 200) == b"SET 3 200\n"
    assert lights.parse_reply(b"OK SET 3 200\n") == ["SET", "3", "200"]
    assert lights.parse_request(b"SET 3 200\n") == ("SET", [3, 200])
    with pytest.raises(lights.LightsError, match="gateway error 2"):
        lights.parse_reply(b"ERR 2 channel 600\n")
    with pytest.raises(lights.LightsError, match="level"):
        lights.parse_request(b"SET 3 256\n")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_novastar_decoder_never_raises(data, cut):
    dec = novastar.Decoder(novastar.REP_HEAD)
    dec.feed(data[:cut])
    dec.feed(data[cut:])
    assert len(dec.buffer) <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_text_codecs_raise_only_their_own_errors(data):
    for fn, err in ((matrix.kramer_parse, matrix.MatrixError), (matrix.extron_parse, matrix.MatrixError),
                    (lights.parse_reply, lights.LightsError), (lights.parse_request, lights.LightsError),
                    (pjlink.parse_response, pjlink.PjlinkError), (visca.unpack, visca.ViscaError)):
        try:
            fn(data)
        except err:
            pass
