"""The PTZ and GNSS drivers over a real pseudo-terminal pair."""
import asyncio

import pytest

from devices import pelco_d
from devices.gnss import GnssReceiver
from devices.ptz_pelco import PelcoDPtz
from devices.transport import NotConnected, SerialTransport

pytestmark = pytest.mark.timeout(120)


async def test_ptz_commands_arrive_as_pelco_frames(pty_pair):
    async with SerialTransport(pty_pair.a, 9600) as bus, SerialTransport(pty_pair.b, 9600) as camera_end:
        ptz = PelcoDPtz(bus, 2)
        await ptz.move(-1, 0, pan_speed=0x20)
        await ptz.zoom(1)
        await ptz.goto_preset(12)
        await ptz.power(True)
        await ptz.stop()
        decoder, frames = pelco_d.PelcoDecoder(), []
        while len(frames) < 5:
            frames += decoder.feed(await asyncio.wait_for(camera_end.read(), 15))
        assert [f.to_bytes() for f in frames] == [
            bytes.fromhex("FF 02 00 04 20 00 26"), pelco_d.zoom(2, 1), pelco_d.goto_preset(2, 12),
            pelco_d.camera_on(2), bytes.fromhex("FF 02 00 00 00 00 02")]
        with pytest.raises(ValueError, match=r"preset must be 1-255 \(0x01-0xFF\), got 0"):
            await ptz.goto_preset(0)
    with pytest.raises(ValueError, match="address must be 1-255"):
        PelcoDPtz(bus, 0)


async def test_ptz_command_on_unplugged_port_fails_clearly(pty_pair):
    async with SerialTransport(pty_pair.a, 9600, backoff=(0.01, 0.1)) as bus:
        pty_pair.unplug()
        while bus.connected:
            await asyncio.sleep(0.01)
        with pytest.raises(NotConnected, match="/a: not connected"):
            await PelcoDPtz(bus, 1).stop()


async def test_gnss_receiver_yields_fixes_until_closed(pty_pair):
    gga = b"$GNGGA,003956.00,4552.65403,S,17030.00668,E,1,12,0.64,14.2,M,1.8,M,,*56\r\n"
    async with SerialTransport(pty_pair.a, 9600) as gps_end:
        receiver_port = SerialTransport(pty_pair.b, 9600)
        await receiver_port.open()
        receiver = GnssReceiver(receiver_port)
        got = []

        async def run():
            async for fix in receiver.fixes():
                got.append(fix)

        task = asyncio.ensure_future(run())
        await gps_end.write(b"noise\r\n" + gga[:30])
        await gps_end.write(gga[30:] + gga)
        await asyncio.wait_for(_until(lambda: len(got) == 2), 15)
        await receiver_port.close()
        await asyncio.wait_for(task, 10)  # the iteration ends cleanly on close
    assert got[0].alt == 14.2 and got[0].lat == pytest.approx(-45.877567167)
    assert receiver.stats.garbage == 1


async def _until(predicate):
    while not predicate():
        await asyncio.sleep(0.01)
