"""Property tests: the Pelco-D parser and the NMEA decoder never raise, whatever bytes arrive."""
from hypothesis import given, strategies as st

from devices import pelco_d
from devices.nmea import NmeaDecoder
from tests.helpers.fuzz import TEN_K, cpu_bound

# Bytes biased towards the interesting ones, so that sync bytes, separators and digits meet: half of the
# draws are one of these four. One choice per byte (a one_of takes two: the branch, then the value).
pelco_bytes = st.lists(st.sampled_from(list(range(256)) + [0xFF, 0x00, 0x01, 0x07] * 64), max_size=80).map(bytes)


@TEN_K
@given(data=pelco_bytes, frames=st.lists(st.tuples(*[st.integers(0, 255)] * 5), max_size=4))
@cpu_bound
def test_pelco_parse_never_raises(data, frames):
    good = b"".join(pelco_d.PelcoFrame(max(a, 1), b, c, d, e).to_bytes() for a, b, c, d, e in frames)
    rejects = []
    out = pelco_d.parse(data + good, rejects)
    assert all(1 <= f.addr <= 255 for f in out)
    assert all(isinstance(r.reason, str) and r.reason for r in rejects)
    # Pelco-D has no escaping: garbage ending in 0xFF can pair with a following frame into something that
    # checks out, so frames after garbage are not guaranteed. On a clean line every frame comes back.
    assert [f.to_bytes() for f in pelco_d.parse(good)] == [good[i:i + 7] for i in range(0, len(good), 7)]
    # Streaming in two pieces finds exactly what one pass over the whole buffer finds.
    dec = pelco_d.PelcoDecoder()
    assert dec.feed(data[: len(data) // 3]) + dec.feed(data[len(data) // 3:] + good) == out

field = st.one_of(
    st.text(alphabet="0123456789.", max_size=12),
    st.sampled_from(["", "N", "S", "E", "W", "A", "V", "M", "-1", "nan", "inf", "1e9", "9999.9999"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=6),
)  # non-ASCII and control bytes come from the raw binary chunks mixed into the stream
talker = st.sampled_from(["GP", "GN", "BD", "GB", "GL", "GA"] * 3 + ["XX", "P", ""])
kind = st.sampled_from(["GGA", "RMC", "GSV", "GLL", "ZDA"])


hhmmss = st.builds(lambda h, m, s, f: f"{h:02d}{m:02d}{s:02d}{f}", st.integers(0, 23), st.integers(0, 59),
                   st.integers(0, 60), st.sampled_from(["", ".00", ".5", ".799"]))
ddmm = st.builds(lambda d, m, w: f"{d:0{w}d}{m:07.4f}", st.integers(0, 180), st.floats(0, 59.9999), st.sampled_from([2, 3]))
ddmmyy = st.builds(lambda d, m, y: f"{d:02d}{m:02d}{y:02d}", st.integers(1, 31), st.integers(1, 12), st.integers(0, 99))
number = st.one_of(st.integers(0, 20).map(str), st.floats(-100, 9000, allow_nan=False).map(lambda x: f"{x:.2f}"))
# The GGA and RMC layouts: a plausible value for each field, "M" for the units, None where anything goes.
# Built once: a strategy made inside each draw is validated anew every time, which was most of the cost of
# this file's 10,000-case runs.
_LAT_LON = [ddmm, st.sampled_from("NS"), ddmm, st.sampled_from("EW")]
_GGA = [hhmmss, *_LAT_LON, number, number, number, number, "M", number, "M", None, None]
_RMC = [hhmmss, st.sampled_from("AV"), *_LAT_LON, number, number, ddmmyy, None, None, st.sampled_from("ADNE")]
_ONE_IN_TEN = st.integers(0, 9)


@st.composite
def gga_rmc(draw):
    """Field lists laid out like GGA or RMC, each field usually plausible (9 times in 10), sometimes anything."""
    name, layout = ("GGA", _GGA) if draw(st.booleans()) else ("RMC", _RMC)
    fields = []
    for plausible in layout:
        if isinstance(plausible, str):
            fields.append(plausible)
        elif plausible is None or draw(_ONE_IN_TEN) == 0:
            fields.append(draw(field))
        else:
            fields.append(draw(plausible))
    return name, fields


_LAYOUT = gga_rmc()
_ANY_FIELDS = st.lists(field, max_size=16)
_ONE_IN_FOUR, _BAD_BITS = st.integers(0, 3), st.integers(1, 255)
_ENDING = st.sampled_from([b"\r\n", b"\n", b"\r", b""])


@st.composite
def sentences(draw):
    """Sentences with the right shape and a correct (or deliberately wrong) checksum."""
    if draw(st.booleans()):
        name, fields = draw(_LAYOUT)
    else:
        name, fields = draw(kind), draw(_ANY_FIELDS)
    body = draw(talker) + name + "," + ",".join(fields)
    raw = body.encode("utf-8", "replace")
    cs = 0
    for b in raw:
        cs ^= b
    if draw(_ONE_IN_FOUR) == 0:
        cs ^= draw(_BAD_BITS)
    return b"$" + raw + f"*{cs:02X}".encode() + draw(_ENDING)


stream = st.lists(st.one_of(sentences(), st.binary(max_size=40)), max_size=8).map(b"".join)


@TEN_K
@given(data=stream, cut=st.integers(0, 400))
@cpu_bound
def test_nmea_decoder_never_raises(data, cut):
    dec = NmeaDecoder()
    fixes = dec.feed(data[:cut]) + dec.feed(data[cut:]) + dec.feed(b"\r\n")
    for fix in fixes:
        assert fix.sentence in ("GGA", "RMC") and fix.mode in (1, 2, 3)
        if fix.has_position:
            assert -90 <= fix.lat <= 90 and -180 <= fix.lon <= 180
    assert dec.stats.fixes == len(fixes)


@TEN_K
@given(data=st.binary(max_size=300))
@cpu_bound
def test_nmea_decoder_never_raises_on_raw_bytes(data):
    dec = NmeaDecoder()
    dec.feed(data)
    dec.feed(b"\n")


@TEN_K
@given(lat=st.floats(-89.999, 89.999), lon=st.floats(-179.999, 179.999), noise=st.binary(max_size=30),
       cut=st.integers(0, 120))
@cpu_bound
def test_nmea_position_round_trip_through_noise(lat, lon, noise, cut):
    def ddmm(value, width):
        deg = int(abs(value))
        minutes = round((abs(value) - deg) * 60, 4)
        if minutes >= 60:  # 59.99996 rounds up: carry into the degrees
            deg, minutes = deg + 1, 0.0
        return f"{deg:0{width}d}{minutes:07.4f}"
    body = (f"GNGGA,120000.00,{ddmm(lat, 2)},{'N' if lat >= 0 else 'S'},{ddmm(lon, 3)},"
            f"{'E' if lon >= 0 else 'W'},1,08,0.9,88.0,M,7.1,M,,")
    cs = 0
    for b in body.encode():
        cs ^= b
    data = noise + b"\r\n" + f"${body}*{cs:02X}\r\n".encode()
    dec = NmeaDecoder()
    fixes = dec.feed(data[:cut]) + dec.feed(data[cut:])
    assert len(fixes) == 1
    # 4 decimals of minutes are 1/1,200,000 degree of rounding at worst
    assert abs(fixes[0].lat - lat) < 1e-6
    assert abs(fixes[0].lon - lon) < 1e-6
