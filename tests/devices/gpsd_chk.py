"""Reads gpsd's expected decoding (.chk) and compares it, cycle by cycle, with our NMEA fixes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path

import pynmea2

from devices.nmea import Fix, NmeaDecoder

# gpsd corrects GPS week-number rollover: a date older than its build date is moved on by 1024 weeks.
# The haicom (2007) and BeiDou (2015) logs therefore come back from gpsd dated 2026 and 2034; we report
# the date the receiver sent, so a time matches if it is equal or exactly 1024 weeks earlier.
GPS_ROLLOVER = timedelta(weeks=1024)


def log_sentences(path: Path) -> list[bytes]:
    """The lines a receiver sent: the .log minus gpsd's '#' comment header, each ending in CRLF."""
    out = []
    for raw in path.read_bytes().splitlines():
        if raw.startswith(b"#") or not raw.strip():
            continue
        out.append(raw.rstrip(b"\r\n") + b"\r\n")
    return out


def _sentence_tod(line: str) -> dtime | None:
    try:
        msg = pynmea2.parse(line.strip())
    except Exception:
        return None
    tod = getattr(msg, "timestamp", None) if "timestamp" in getattr(type(msg), "name_to_idx", {}) else None
    return tod.replace(tzinfo=None) if isinstance(tod, dtime) else None


def decode_chk(chk: Path) -> list[tuple[Fix, dict | None]]:
    """Decode the sentences of a .chk with our decoder and pair each fix with gpsd's answer to it.

    A .chk file interleaves the input sentences with the JSON gpsd printed after each one; gpsd reports
    a TPV after some sentences of a cycle and not others. A fix's answer is the first TPV printed after
    its sentence and before a sentence of another cycle (another UTC time of day); None when gpsd said
    nothing more in that cycle (typically an RMC closing a cycle that gpsd had already reported).
    """
    decoder = NmeaDecoder()
    paired: list[tuple[Fix, dict | None]] = []
    waiting: list[int] = []  # indexes in `paired` of fixes still waiting for a TPV of their cycle
    for line in chk.read_text(encoding="ascii").splitlines():
        if line.startswith("{"):
            report = json.loads(line)
            if report.get("class") == "TPV":
                for i in waiting:
                    paired[i] = (paired[i][0], report)
                waiting = []
            continue
        if not line.strip() or line.startswith("#"):
            continue
        tod = _sentence_tod(line)
        if tod is not None and any(paired[i][0].time_of_day not in (None, tod) for i in waiting):
            waiting = []  # a new cycle began before gpsd reported on the last one
        for fix in decoder.feed(line.strip().encode("ascii") + b"\r\n"):
            paired.append((fix, None))
            waiting.append(len(paired) - 1)
    return paired


def _gpsd_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@dataclass
class Comparison:
    """Outcome of comparing one log; `problems` must be empty."""

    positions_compared: int = 0
    times_compared: int = 0
    alts_compared: int = 0
    speeds_compared: int = 0
    no_fix_agreed: int = 0
    gpsd_silent: int = 0
    problems: list[str] = field(default_factory=list)


def compare(paired: list[tuple[Fix, dict | None]], tol: float = 1e-6) -> Comparison:
    """Compare each fix with gpsd's answer: position to `tol` degrees, time, GGA altitude, fix/no fix."""
    result = Comparison()
    for fix, report in paired:
        where = f"{fix.talker}{fix.sentence} {fix.time_of_day}"
        if report is None:
            result.gpsd_silent += 1
            continue
        gpsd_has_position = "lat" in report and report.get("mode", 0) >= 2
        if not fix.has_position:
            if gpsd_has_position:
                result.problems.append(f"{where}: no position from us, gpsd reports {report}")
            else:
                result.no_fix_agreed += 1
            continue
        if not gpsd_has_position:
            result.problems.append(f"{where}: gpsd reports no fix, we give {fix}")
            continue
        result.positions_compared += 1
        if abs(fix.lat - report["lat"]) > tol or abs(fix.lon - report["lon"]) > tol:
            result.problems.append(f"{where}: {fix.lat},{fix.lon} != gpsd {report['lat']},{report['lon']}")
        if "time" in report:
            result.times_compared += 1
            t = _gpsd_time(report["time"])
            if fix.time is None or fix.time not in (t, t - GPS_ROLLOVER):
                result.problems.append(f"{where}: time {fix.time} != gpsd {report['time']}")
        if fix.sentence == "GGA" and "altMSL" in report:
            result.alts_compared += 1
            if fix.alt is None or abs(fix.alt - report["altMSL"]) > 1e-3:
                result.problems.append(f"{where}: alt {fix.alt} != gpsd altMSL {report['altMSL']}")
        if fix.sentence == "RMC" and fix.speed_mps is not None and "speed" in report:
            # gpsd prints speed with 3 decimals; an RMC's answer carries the RMC's own speed.
            result.speeds_compared += 1
            if abs(fix.speed_mps - report["speed"]) > 1e-3:
                result.problems.append(f"{where}: speed {fix.speed_mps} != gpsd {report['speed']}")
    return result
