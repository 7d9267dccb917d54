"""Radio gateway line protocol: builders byte for byte, parsing, stream splitting, bad input."""
import pytest

from devices import radio_gw as rg


def test_commands_byte_for_byte():
    assert rg.channel(3) == b"AT+CHAN=3\r\n"
    assert rg.ptt(True) == b"AT+PTT=1\r\n" and rg.ptt(False) == b"AT+PTT=0\r\n"
    assert rg.call("P", 3307001) == b"AT+CALL=P,3307001\r\n"
    assert rg.call("G", 9001) == b"AT+CALL=G,9001\r\n"
    assert rg.call("A", 0) == b"AT+CALL=A,16777215\r\n"
    assert rg.hangup() == b"AT+HANG\r\n"
    assert rg.group_assign(9001, [3307001, 3307002]) == b"AT+DGNA=9001,3307001,3307002\r\n"
    assert rg.patch(1, 4) == b"AT+PATCH=1,4,1\r\n" and rg.patch(1, 4, False) == b"AT+PATCH=1,4,0\r\n"
    assert rg.text(3307001, "速到江南街道") == "AT+TXT=3307001,速到江南街道\r\n".encode()
    assert rg.poll() == b"AT+POLL\r\n"


def test_reports_byte_for_byte_and_round_trip():
    assert rg.gps_report(3307001, 28.892712, 120.037, 12.5, 90) == b"+GPS:3307001,28.892712,120.037000,12.5,90\r\n"
    assert rg.status_report(3307001, 2) == b"+STAT:3307001,2\r\n"
    assert rg.emergency(3307001) == b"+EMRG:3307001,1\r\n"
    assert rg.call_event("P", 3307001, 0, "START") == b"+CALL:P,3307001,0,START\r\n"
    assert rg.ptt_event(0, True) == b"+PTT:0,1\r\n"
    assert rg.text_message(3307002, "已到达, 现场安全") == "+MSG:3307002,已到达, 现场安全\r\n".encode()
    d = rg.LineDecoder()
    msgs = d.feed(rg.gps_report(3307001, 28.9, 120.1, 3.0, 45) + rg.status_report(5, 3) + rg.emergency(7, False)
                  + rg.call_event("G", 9001, 3307003, "END") + rg.text_message(3307002, "a,b") + rg.ok() + rg.error(2))
    assert msgs == [rg.GpsReport(3307001, 28.9, 120.1, 3.0, 45.0), rg.StatusReport(5, 3), rg.Emergency(7, False),
                    rg.CallEvent("G", 9001, 3307003, "END"), rg.TextMessage(3307002, "a,b"), rg.Ok(), rg.Error(2)]
    assert msgs[1].status == "on_scene" and msgs[-1].reason == "busy"
    assert d.rejected == 0


def test_every_split_of_a_stream_gives_the_same_messages():
    stream = rg.gps_report(1, 1.5, 2.5) + b"\n" + rg.ok() + rg.text_message(2, "中文消息") + rg.emergency(3)
    whole = rg.LineDecoder().feed(stream)
    assert len(whole) == 4
    for cut in range(1, len(stream)):
        d = rg.LineDecoder()
        assert d.feed(stream[:cut]) + d.feed(stream[cut:]) == whole


@pytest.mark.parametrize("line, reason", [
    ("+GPS:1,91.0,120,0,0", "out of range"), ("+GPS:1,x,120,0,0", "numbers"), ("+STAT:1", "2 fields"),
    ("+EMRG:1,2", "0 or 1"), ("+CALL:X,1,0,START", "kind"), ("+FOO:1", "unknown report"), ("hello", "not a"),
    ("ERROR:x", "integers"), ("+MSG:1", "radio,text"),
])
def test_bad_lines_are_unknown_with_a_reason(line, reason):
    msg = rg.parse_line(line)
    assert isinstance(msg, rg.Unknown) and reason in msg.reason


def test_garbage_and_overlong_lines_are_counted_not_raised():
    d = rg.LineDecoder()
    out = d.feed(b"\xff\xfe\r\n" + b"x" * 600 + b"\r\n" + rg.ok())
    assert out[-1] == rg.Ok() and d.rejected == 2
    assert d.feed(b"y" * 2000) == [] and d.rejected == 3  # no line end: dropped, not kept forever
    assert d.feed(rg.ok()) == [rg.Ok()]


@pytest.mark.parametrize("build", [
    lambda: rg.channel(0), lambda: rg.channel(100), lambda: rg.call("X", 1), lambda: rg.call("P", 0),
    lambda: rg.call("P", True), lambda: rg.group_assign(9001, []), lambda: rg.patch(2, 2),
    lambda: rg.text(1, "a\r\nAT+HANG"), lambda: rg.text(1, "长" * 60), lambda: rg.gps_report(1, 95, 0),
])
def test_bad_arguments_raise_naming_the_field(build):
    with pytest.raises(rg.RadioCodecError):
        build()


def test_gateway_side_command_parsing():
    assert rg.parse_command("AT+CALL=G,9") == ("CALL", ["G", "9"])
    assert rg.parse_command("AT+HANG") == ("HANG", [])
    assert rg.parse_command("AT+TXT=5,a,b") == ("TXT", ["5", "a,b"])
    with pytest.raises(rg.RadioCodecError):
        rg.parse_command("ATD123")
