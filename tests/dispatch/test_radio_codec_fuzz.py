"""Property tests of the radio gateway codec: arbitrary bytes never raise, reports round-trip (10,000 cases)."""
from hypothesis import assume, given
from hypothesis import strategies as st

from devices import radio_gw as rg
from tests.helpers.fuzz import TEN_K, cpu_bound

RADIO = st.integers(min_value=1, max_value=rg.MAX_RADIO_ID)


@TEN_K
@given(st.lists(st.binary(max_size=300), max_size=6))
@cpu_bound
def test_the_decoder_never_raises_on_arbitrary_bytes(chunks):
    decoder = rg.LineDecoder()
    for chunk in chunks:
        for msg in decoder.feed(chunk):
            assert isinstance(msg, (rg.Ok, rg.Error, rg.GpsReport, rg.StatusReport, rg.Emergency, rg.CallEvent,
                                    rg.PttEvent, rg.TextMessage, rg.ChannelReport, rg.Unknown))


@TEN_K
@given(st.text(max_size=200))
@cpu_bound
def test_parse_line_never_raises_on_arbitrary_text(line):
    assert rg.parse_line(line) is not None


@TEN_K
@given(RADIO, st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180),
       st.floats(min_value=0, max_value=300), st.floats(min_value=0, max_value=359.9),
       st.integers(min_value=1, max_value=5), st.booleans(),
       st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60))
@cpu_bound
def test_reports_round_trip_through_a_split_stream(radio, lat, lon, speed, course, status, on, message):
    message = message.strip() or "x"
    assume(len(message.encode("utf-8")) <= rg.MAX_TEXT)  # longer ones are refused by the builder (tested below)
    stream = (rg.gps_report(radio, lat, lon, speed, course) + rg.status_report(radio, status)
              + rg.emergency(radio, on) + rg.text_message(radio, message))
    cut = len(stream) // 2
    decoder = rg.LineDecoder()
    msgs = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
    assert decoder.rejected == 0 and len(msgs) == 4
    gps = msgs[0]
    assert isinstance(gps, rg.GpsReport) and gps.radio == radio
    assert abs(gps.lat - lat) < 1e-6 and abs(gps.lon - lon) < 1e-6
    assert msgs[1] == rg.StatusReport(radio, status) and msgs[2] == rg.Emergency(radio, on)
    assert isinstance(msgs[3], rg.TextMessage) and msgs[3].radio == radio


@TEN_K
@given(RADIO, st.text(min_size=1, max_size=400))
@cpu_bound
def test_text_builders_refuse_with_a_clear_error_or_build_one_line(radio, message):
    try:
        line = rg.text(radio, message)
    except rg.RadioCodecError as exc:
        assert "text" in str(exc)
    else:
        assert line.endswith(b"\r\n") and line.count(b"\n") == 1
