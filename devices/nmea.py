"""NMEA 0183 position decoder: a byte stream from a GNSS receiver in, `Fix` records out (pure, no I/O)."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone

import pynmea2

#: Talker ids whose GGA/RMC sentences are decoded: GPS, BeiDou (BD per the Chinese TSCPB standard, GB
#: per NMEA 4.10), GLONASS, Galileo and combined GNSS solutions.
TALKERS = frozenset({"GP", "BD", "GB", "GL", "GA", "GN"})
KNOT_MPS = 1852.0 / 3600.0
#: NMEA 0183 caps a sentence at 82 characters; proprietary ones run longer, so allow slack before a line
#: without a terminator is thrown away as garbage.
MAX_LINE = 512


@dataclass(frozen=True)
class Fix:
    """One position report, from one GGA or RMC sentence.

    Attributes:
        talker: "GP", "BD", "GB", "GL", "GA" or "GN".
        time: UTC instant (aware datetime) once a date is known: from the RMC itself, or, for GGA, the
            date of the last RMC (GGA carries only the time of day). None until then.
        lat, lon: WGS84 degrees (south/west negative); None when the receiver says it has no fix.
        alt: metres above mean sea level (GGA only), None if absent or no fix.
        speed_mps: speed over ground in m/s (RMC only).
        course: true course over ground in degrees (RMC only).
        quality: GGA fix quality (0 none, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 estimated...);
            None for RMC.
        sats: satellites in use (GGA only).
        mode: 1 no fix, 2 two-dimensional, 3 three-dimensional (gpsd's convention; RMC gives at most 2).
        sentence: "GGA" or "RMC".
        time_of_day: the sentence's UTC time of day, even when no date is known yet.
    """

    talker: str
    time: datetime | None
    lat: float | None
    lon: float | None
    alt: float | None
    speed_mps: float | None
    course: float | None
    quality: int | None
    sats: int | None
    mode: int
    sentence: str = "GGA"
    time_of_day: dtime | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass
class NmeaStats:
    """Counters of what the decoder saw; nothing here is fatal.

    Attributes:
        lines: terminated lines seen (blank ones excluded).
        fixes: Fix records produced.
        ignored: valid sentences of kinds or talkers not decoded (GSV, GSA, VTG, GNS, GLL, proprietary…).
        bad_checksum: sentences whose checksum was wrong or missing.
        garbage: lines or stray bytes that were not an NMEA sentence at all.
        invalid: GGA/RMC sentences with a malformed field (e.g. latitude minutes ≥ 60).
        overlong: unterminated runs longer than MAX_LINE that were dropped.
        recent: the last few rejection reasons, newest last, for logs and diagnostics.
    """

    lines: int = 0
    fixes: int = 0
    ignored: int = 0
    bad_checksum: int = 0
    garbage: int = 0
    invalid: int = 0
    overlong: int = 0
    recent: deque = field(default_factory=lambda: deque(maxlen=16))


class _Invalid(ValueError):
    """A GGA/RMC field that cannot be what it claims to be."""


def _coord(value: str, hemi: str, limit: int, hemis: str) -> float | None:
    """'ddmm.mmmm' or 'dddmm.mmmm' plus N/S/E/W → signed degrees; '' → None."""
    if not value and not hemi:
        return None
    if len(hemi) != 1 or hemi not in hemis:
        raise _Invalid(f"coordinate {value!r},{hemi!r}")
    head, _, _frac = value.partition(".")
    if len(head) < 3 or not head.isdigit():
        raise _Invalid(f"coordinate {value!r}")
    try:
        minutes = float(value[len(head) - 2:])
    except ValueError:
        raise _Invalid(f"coordinate {value!r}") from None
    degrees = int(head[:-2])
    if not 0 <= minutes < 60 or degrees + minutes / 60 > limit:
        raise _Invalid(f"coordinate {value!r} out of range")
    result = degrees + minutes / 60.0
    return -result if hemi == hemis[1] else result


def _time_of_day(value: str) -> dtime | None:
    if not value:
        return None
    head, _, frac = value.partition(".")
    if len(head) != 6 or not head.isdigit() or (frac and not frac.isdigit()):
        raise _Invalid(f"time {value!r}")
    hh, mm, ss = int(head[:2]), int(head[2:4]), int(head[4:6])
    if hh > 23 or mm > 59 or ss > 60:
        raise _Invalid(f"time {value!r}")
    micro = int(round(float("0." + frac) * 1_000_000)) if frac else 0
    return dtime(hh, mm, min(ss, 59), min(micro, 999_999))


def _date(value: str) -> date | None:
    if not value:
        return None
    if len(value) != 6 or not value.isdigit():
        raise _Invalid(f"date {value!r}")
    dd, mo, yy = int(value[:2]), int(value[2:4]), int(value[4:6])
    # NMEA has two-digit years; receivers in service report 2000-2099 (gpsd makes the same choice).
    try:
        return date(2000 + yy, mo, dd)
    except ValueError:
        raise _Invalid(f"date {value!r}") from None


def _number(value: str, kind=float):
    if value == "":
        return None
    try:
        result = kind(value)
    except ValueError:
        raise _Invalid(f"number {value!r}") from None
    if isinstance(result, float) and not math.isfinite(result):  # nan/inf are not readings
        raise _Invalid(f"number {value!r}")
    return result


def _raw(msg, name: str) -> str:
    """A field's text exactly as received ('' when the sentence is short)."""
    idx = type(msg).name_to_idx[name]
    return msg.data[idx].strip() if idx < len(msg.data) else ""


class NmeaDecoder:
    """Streaming decoder: feed it whatever bytes arrive, get the fixes completed by them.

    Lines may be split anywhere across feeds. Garbage, bad checksums and malformed sentences are counted
    in `stats` and skipped; `feed` never raises on any input.

    Attributes:
        stats: NmeaStats counters.
        talkers: talker ids decoded (default TALKERS).
    """

    def __init__(self, talkers: frozenset[str] = TALKERS) -> None:
        self.talkers = frozenset(talkers)
        self.stats = NmeaStats()
        self._buf = bytearray()
        self._date: date | None = None
        self._date_tod: dtime | None = None

    def feed(self, data: bytes) -> list[Fix]:
        """Append bytes; return the fixes of every sentence they completed, in order."""
        fixes: list[Fix] = []
        self._buf += data
        while True:
            cut = min((i for i in (self._buf.find(b"\n"), self._buf.find(b"\r")) if i >= 0), default=-1)
            if cut < 0:
                break
            line = bytes(self._buf[:cut])
            del self._buf[:cut + 1]
            fix = self._line(line)
            if fix is not None:
                fixes.append(fix)
        if len(self._buf) > MAX_LINE:
            # Keep a trailing '$' run: it may be the start of a good sentence after a noise burst.
            start = self._buf.rfind(b"$")
            keep = self._buf[start:] if start >= 0 and len(self._buf) - start <= MAX_LINE else b""
            self.stats.overlong += 1
            self._reject(f"unterminated run of {len(self._buf) - len(keep)} bytes dropped")
            self._buf = bytearray(keep)
        return fixes

    def _reject(self, reason: str) -> None:
        self.stats.recent.append(reason)

    def _line(self, raw: bytes) -> Fix | None:
        if not raw.strip():
            return None
        self.stats.lines += 1
        start = raw.rfind(b"$")
        if start < 0:
            self.stats.garbage += 1
            self._reject(f"not NMEA: {raw[:40]!r}")
            return None
        if raw[:start].strip():
            # Noise before the sentence (line hit, partial previous line): count it, decode the rest.
            self.stats.garbage += 1
            self._reject(f"garbage before sentence: {raw[:min(start, 40)]!r}")
        try:
            text = raw[start:].decode("ascii").strip()
        except UnicodeDecodeError:
            self.stats.garbage += 1
            self._reject(f"non-ASCII sentence: {raw[start:start + 40]!r}")
            return None
        try:
            msg = pynmea2.parse(text, check=True)
        except pynmea2.ChecksumError as exc:
            self.stats.bad_checksum += 1
            detail = exc.args[0][0] if exc.args and isinstance(exc.args[0], tuple) else str(exc)
            self._reject(f"{detail}: {text[:40]!r}")
            return None
        except pynmea2.SentenceTypeError:
            self.stats.ignored += 1
            return None
        except Exception as exc:  # pynmea2 raises assorted errors on malformed text
            self.stats.garbage += 1
            self._reject(f"unparseable ({type(exc).__name__}): {text[:40]!r}")
            return None
        kind = getattr(msg, "sentence_type", None)
        if kind not in ("GGA", "RMC") or getattr(msg, "talker", None) not in self.talkers:
            self.stats.ignored += 1
            return None
        try:
            fix = self._gga(msg) if kind == "GGA" else self._rmc(msg)
        except _Invalid as exc:
            self.stats.invalid += 1
            self._reject(f"{msg.talker}{kind}: invalid {exc}: {text[:60]!r}")
            return None
        self.stats.fixes += 1
        return fix

    def _stamp(self, tod: dtime | None) -> datetime | None:
        if tod is None or self._date is None:
            return None
        day = self._date
        if self._date_tod is not None:
            # A GGA just after midnight follows an RMC dated the day before.
            gap = datetime.combine(day, tod) - datetime.combine(day, self._date_tod)
            if gap < -timedelta(hours=12):
                day = day + timedelta(days=1)
        return datetime.combine(day, tod, tzinfo=timezone.utc)

    def _gga(self, msg) -> Fix:
        tod = _time_of_day(_raw(msg, "timestamp"))
        lat = _coord(_raw(msg, "lat"), _raw(msg, "lat_dir"), 90, "NS")
        lon = _coord(_raw(msg, "lon"), _raw(msg, "lon_dir"), 180, "EW")
        quality = _number(_raw(msg, "gps_qual"), int) or 0
        sats = _number(_raw(msg, "num_sats"), int)
        alt = _number(_raw(msg, "altitude"))
        # Quality > 0 with zero satellites in use is a stale position some receivers (Haicom/SiRF) keep
        # repeating after losing lock; gpsd reports it as no fix, and so do we.
        has_fix = quality > 0 and sats != 0 and lat is not None and lon is not None
        if not has_fix:
            lat = lon = alt = None
        mode = 1 if not has_fix else (3 if alt is not None else 2)
        return Fix(msg.talker, self._stamp(tod), lat, lon, alt, None, None, quality, sats, mode, "GGA", tod)

    def _rmc(self, msg) -> Fix:
        tod = _time_of_day(_raw(msg, "timestamp"))
        day = _date(_raw(msg, "datestamp"))
        lat = _coord(_raw(msg, "lat"), _raw(msg, "lat_dir"), 90, "NS")
        lon = _coord(_raw(msg, "lon"), _raw(msg, "lon_dir"), 180, "EW")
        knots = _number(_raw(msg, "spd_over_grnd"))
        course = _number(_raw(msg, "true_course"))
        if day is not None:
            self._date, self._date_tod = day, tod
        stamp = datetime.combine(day, tod, tzinfo=timezone.utc) if day and tod else self._stamp(tod)
        # Status A = valid; the NMEA 2.3 mode indicator N also means "no fix" whatever the status says.
        valid = _raw(msg, "status") == "A" and _raw(msg, "mode_indicator") != "N"
        if not (valid and lat is not None and lon is not None):
            return Fix(msg.talker, stamp, None, None, None, None, None, None, None, 1, "RMC", tod)
        speed = knots * KNOT_MPS if knots is not None else None
        return Fix(msg.talker, stamp, lat, lon, None, speed, course, None, None, 2, "RMC", tod)
