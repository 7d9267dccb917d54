"""NMEA decoder on recorded bytes: fields, talkers, streaming, errors, and gpsd's expected positions."""
from datetime import datetime, time, timezone
from pathlib import Path

import pytest

from devices.nmea import NmeaDecoder
from tests.devices.gpsd_chk import compare, decode_chk, log_sentences

DATA = Path(__file__).resolve().parent.parent / "data" / "nmea"
LOGS = sorted(DATA.glob("*.log"))

RMC = b"$GNRMC,003956.00,A,4552.65403,S,17030.00668,E,0.025,,120419,,,A,V*07\r\n"
GGA = b"$GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56\r\n"


def nmea(body: str) -> bytes:
    """A sentence with a correct checksum."""
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"${body}*{cs:02X}\r\n".encode()


def test_rmc_fields():
    (fix,) = NmeaDecoder().feed(RMC)
    assert fix.talker == "GN" and fix.sentence == "RMC" and fix.mode == 2
    assert fix.time == datetime(2019, 4, 12, 0, 39, 56, tzinfo=timezone.utc)
    assert fix.lat == pytest.approx(-45.877567167, abs=1e-9)
    assert fix.lon == pytest.approx(170.500111333, abs=1e-9)
    assert fix.speed_mps == pytest.approx(0.025 * 1852 / 3600)
    assert fix.course is None and fix.alt is None and fix.quality is None


def test_gga_takes_date_from_last_rmc():
    dec = NmeaDecoder()
    (alone,) = NmeaDecoder().feed(GGA)
    assert alone.time is None and alone.time_of_day == time(0, 39, 56)
    dec.feed(RMC)
    (fix,) = dec.feed(GGA)
    assert fix.time == datetime(2019, 4, 12, 0, 39, 56, tzinfo=timezone.utc)
    assert (fix.alt, fix.quality, fix.sats, fix.mode) == (14.2, 1, 12, 3)


def test_gga_after_midnight_moves_to_next_day():
    dec = NmeaDecoder()
    dec.feed(nmea("GPRMC,235959.50,A,2854.0000,N,12001.5000,E,0.0,,311224,,,A"))
    (fix,) = dec.feed(nmea("GPGGA,000000.50,2854.0000,N,12001.5000,E,1,08,1.0,80.0,M,7.0,M,,"))
    assert fix.time == datetime(2025, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    assert (fix.lat, fix.lon) == (pytest.approx(28.9), pytest.approx(120.025))  # Yongkang


@pytest.mark.parametrize("talker", ["GP", "BD", "GB", "GL", "GA", "GN"])
def test_talkers(talker):
    (fix,) = NmeaDecoder().feed(nmea(f"{talker}GGA,010203,2854.0000,N,12001.5000,E,1,05,1.0,80.0,M,,M,,"))
    assert fix.talker == talker and fix.has_position


def test_no_fix_sentences_give_no_position():
    dec = NmeaDecoder()
    fixes = dec.feed(b"$GPGGA,,,,,,0,,,,M,,M,,*66\r\n$GPRMC,,V,,,,,,,,,,N*53\r\n"
                     + nmea("GPRMC,095255.810,V,2712.6404,S,15303.1201,E,0.00,0.00,080407,,,A")
                     + nmea("GPGGA,095304.802,2712.6520,S,15303.1397,E,1,00,17.0,3.0,M,42.2,M,,"))
    assert [f.has_position for f in fixes] == [False, False, False, False]
    assert [f.mode for f in fixes] == [1, 1, 1, 1]


def test_split_anywhere_same_result():
    stream = b"".join(log_sentences(DATA / "ublox-zed-f9p-nmea.log"))[:6000]
    whole = NmeaDecoder().feed(stream)
    assert len(whole) > 5
    for cut in range(0, 400):
        dec = NmeaDecoder()
        assert dec.feed(stream[:cut]) + dec.feed(stream[cut:]) == whole
    dec = NmeaDecoder()
    assert [f for i in range(len(stream)) for f in dec.feed(stream[i:i + 1])] == whole


def test_bad_input_is_counted_not_fatal():
    dec = NmeaDecoder()
    bad_cs = RMC.replace(b"*07", b"*08")
    no_cs = b"$GNRMC,003956.00,A,4552.65403,S,17030.00668,E,0.025,,120419,,,A,V\r\n"
    junk = b"\x00\xff\xfe garbage\r\n" + b"x" * 2000 + b"\n"
    bad_field = nmea("GPGGA,010203,2875.0000,N,12001.5000,E,1,05,1.0,80.0,M,,M,,")  # 75 minutes
    utf = "$GPTXT,01,01,02,北京*00\r\n".encode()
    fixes = dec.feed(bad_cs + no_cs + junk + bad_field + utf + b"noise$" + GGA)
    assert len(fixes) == 1 and fixes[0].sentence == "GGA"  # GGA survives noise before its '$'
    s = dec.stats
    assert (s.bad_checksum, s.invalid, s.fixes) == (2, 1, 1)
    assert s.garbage == 4  # binary junk, the x run, the non-ASCII sentence, the noise before GGA's '$'
    assert any("checksum does not match: 08 != 07" in r for r in s.recent)
    assert any("invalid coordinate '2875.0000' out of range" in r for r in s.recent)


def test_unterminated_run_is_dropped_but_a_sentence_start_kept():
    dec = NmeaDecoder()
    assert dec.feed(b"\x00" * 5000) == []
    assert dec.stats.overlong == 1 and "unterminated run of 5000 bytes dropped" in dec.stats.recent[-1]
    assert dec.feed(b"y" * 3000 + RMC[:20]) == []
    assert [f.sentence for f in dec.feed(RMC[20:])] == ["RMC"]


def test_other_sentences_ignored():
    dec = NmeaDecoder()
    assert dec.feed(b"$GPGSA,A,1,,,,,,,,,,,,,,,*1E\r\n$PSRFEPE,074150.799,V,,,,,*23\r\n") == []
    assert dec.stats.ignored == 2 and dec.stats.garbage == dec.stats.bad_checksum == 0


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_matches_gpsd_expected_output(log):
    """Decoding straight from the file (the pty replay test does it through a real tty)."""
    dec = NmeaDecoder()
    fixes = [f for line in log_sentences(log) for f in dec.feed(line)]
    paired = decode_chk(Path(f"{log}.chk"))
    assert [fix for fix, _ in paired] == fixes
    result = compare(paired)
    assert result.problems == []
    assert result.positions_compared >= 3 and result.times_compared >= 2 and result.alts_compared >= 2
    assert dec.stats.bad_checksum == 0 and dec.stats.invalid == 0
