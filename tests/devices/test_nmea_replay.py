"""gpsd's receiver logs replayed through a real pseudo-terminal pair and decoded as a GNSS driver would."""
import asyncio
import random
from pathlib import Path

import pytest

from devices.nmea import NmeaDecoder
from devices.transport import SerialTransport
from tests.devices.gpsd_chk import compare, decode_chk, log_sentences

DATA = Path(__file__).resolve().parent.parent / "data" / "nmea"
LOGS = sorted(DATA.glob("*.log"))
BAUD = 115200  # a receiver's fastest common rate: 11.5 kB/s, so the whole set replays in ~15 s

pytestmark = pytest.mark.timeout(180)


async def replay(transport: SerialTransport, stream: bytes, seed: str) -> None:
    """Write in irregular chunks that ignore line ends, at the pace of a BAUD 8N1 line."""
    rng = random.Random(seed)
    i = 0
    while i < len(stream):
        chunk = stream[i:i + rng.randint(1, 160)]
        await transport.write(chunk)
        i += len(chunk)
        await asyncio.sleep(len(chunk) * 10 / BAUD)


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
async def test_replayed_log_decodes_like_gpsd(log, pty_pair):
    stream = b"".join(log_sentences(log))
    expected = decode_chk(Path(f"{log}.chk"))  # our fixes from the file, each paired with gpsd's TPV
    decoder = NmeaDecoder()
    fixes, received = [], 0
    async with SerialTransport(pty_pair.a, BAUD) as receiver_side, SerialTransport(pty_pair.b, BAUD) as us:
        sender = asyncio.ensure_future(replay(receiver_side, stream, log.name))

        async def consume():
            nonlocal received
            while received < len(stream):
                chunk = await us.read()
                received += len(chunk)
                fixes.extend(decoder.feed(chunk))

        await asyncio.wait_for(consume(), 120)
        await sender
    assert received == len(stream)
    # The tty delivered the very fixes that decoding the file gives...
    assert fixes == [fix for fix, _ in expected]
    assert decoder.stats.bad_checksum == decoder.stats.garbage == decoder.stats.invalid == 0
    # ...and those agree with gpsd: lat/lon to 1e-6 degree, time (gpsd's 1024-week rollover allowed),
    # GGA altitude (gpsd altMSL), RMC speed, fix versus no fix.
    result = compare(expected)
    assert result.problems == []
    assert result.positions_compared >= 3 and result.times_compared >= 2 and result.alts_compared >= 2
    print(f"{log.name}: {len(fixes)} fixes, {result}")
