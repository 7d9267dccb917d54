"""NMEA positions from serial radios into the backend's units: gpsd's logs replayed through real pseudo-terminals
into a real backend (``--gnss PORT=UNIT``), positions compared with gpsd's expected decoding (.chk)."""
import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from backend.units_gnss import parse_spec
from devices.transport import SerialTransport
from tests.devices.gpsd_chk import decode_chk, log_sentences
from tests.helpers.backend_proc import start_backend
from tests.helpers.pty import PtyPair

DATA = Path(__file__).resolve().parent.parent / "data" / "nmea"
LOGS = {"U-BD": DATA / "beidou-bd.log", "U-GB": DATA / "beidou-gb.log"}
BAUD = 115200

pytestmark = pytest.mark.timeout(180)


def test_parse_spec():
    assert parse_spec("/dev/ttyUSB0=U-07") == ("/dev/ttyUSB0", "U-07")
    assert parse_spec("COM3=甲") == ("COM3", "甲")
    for bad in ("/dev/ttyUSB0", "=U-1", "/dev/x="):
        with pytest.raises(ValueError, match="PORT=UNIT_ID"):
            parse_spec(bad)


def gpsd_positions(log: Path) -> list[tuple[float, float]]:
    """Positions gpsd reported for the fixes of this log, in order."""
    out = []
    for fix, report in decode_chk(Path(f"{log}.chk")):
        if fix.has_position:
            if report is not None and "lat" in report and report.get("mode", 0) >= 2:
                out.append((report["lat"], report["lon"]))
            else:  # gpsd said nothing in that cycle: our decoding (checked against gpsd in tests/devices)
                out.append((fix.lat, fix.lon))
    return out


def unit_positions(db: Path, unit: str) -> list[tuple[float, float]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT data FROM events WHERE entity='units' AND key=? AND actor='gnss' ORDER BY seq",
                            (unit,)).fetchall()
    finally:
        conn.close()
    out = []
    for (data,) in rows:
        rec = json.loads(data)
        if rec.get("lat") is not None and rec.get("gnss") == "fix":
            pos = (rec["lat"], rec["lon"])
            if not out or out[-1] != pos:
                out.append(pos)
    return out


async def replay(port: str, stream: bytes) -> None:
    async with SerialTransport(port, BAUD) as t:
        for i in range(0, len(stream), 64):
            await t.write(stream[i:i + 64])
            await asyncio.sleep(64 * 10 / BAUD)
        await asyncio.sleep(0.2)


def test_gnss_ports_update_units_like_gpsd(tmp_path):
    pairs = {unit: PtyPair(tmp_path / unit).start() for unit in LOGS}
    backend = None
    try:
        args = []
        for unit, pair in pairs.items():
            args += ["--gnss", f"{pair.b}={unit}"]
        args += ["--gnss", "/dev/does-not-exist-0=U-NONE", "--gnss", "garbage", "--gnss-baud", str(BAUD)]
        (tmp_path / "be").mkdir()
        backend = start_backend(tmp_path / "be", extra_args=args)

        async def both():
            await asyncio.gather(*(replay(pairs[u].a, b"".join(log_sentences(log))) for u, log in LOGS.items()))

        asyncio.run(both())
        for unit, log in LOGS.items():
            want = gpsd_positions(log)
            deadline = time.monotonic() + 30
            got = unit_positions(backend.db, unit)
            while (not got or got[-1] != pytest.approx(want[-1], abs=1e-6)) and time.monotonic() < deadline:
                time.sleep(0.1)
                got = unit_positions(backend.db, unit)
            assert got, f"{unit}: no position stored\n{backend.log_tail()}"
            # every stored position is one gpsd reported, in order, and the last one is gpsd's last
            j = 0
            for pos in got:
                while j < len(want) and (abs(want[j][0] - pos[0]) > 1e-6 or abs(want[j][1] - pos[1]) > 1e-6):
                    j += 1
                assert j < len(want), f"{unit}: {pos} is not (in order) among gpsd's positions"
            assert got[-1] == pytest.approx(want[-1], abs=1e-6)
            assert len(got) >= 2
        assert backend.running  # a missing port and a bad spec did not stop it
        conn = sqlite3.connect(f"file:{backend.db}?mode=ro", uri=True)
        row = conn.execute("SELECT data FROM units WHERE id='U-BD'").fetchone()
        conn.close()
        rec = json.loads(row[0])
        assert rec["kind"] == "radio" and rec["talker"] in ("BD", "GB", "GN", "GP")
    finally:
        if backend is not None:
            backend.stop()
        for pair in pairs.values():
            pair.stop()
